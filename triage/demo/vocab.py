"""The demo shop's fixed vocabulary: agents, task types, models and meta values.

The shipped rule files test exactly these names, so they change together.
"""

from __future__ import annotations

SHOP = "Linden & Loom"
"""An online homeware shop with showrooms that also books styling visits and workshops."""

AGENT_TASKS: dict[str, tuple[str, ...]] = {
    "support-bot": ("support_reply", "refund"),
    "mailer": ("outbound_email",),
    "billing-agent": ("refund", "invoice_adjustment"),
    "concierge": ("booking_change", "cancel_reservation"),
    "coder": ("code_change",),
    "summarizer": ("internal_summary",),
}

TASK_TYPES: tuple[str, ...] = (
    "support_reply",
    "refund",
    "outbound_email",
    "invoice_adjustment",
    "booking_change",
    "cancel_reservation",
    "code_change",
    "internal_summary",
)

WEEKDAY_MIX: tuple[tuple[str, str, int], ...] = (
    ("support-bot", "support_reply", 35),
    ("support-bot", "refund", 8),
    ("billing-agent", "refund", 7),
    ("mailer", "outbound_email", 12),
    ("concierge", "booking_change", 6),
    ("concierge", "cancel_reservation", 6),
    ("coder", "code_change", 10),
    ("billing-agent", "invoice_adjustment", 6),
    ("summarizer", "internal_summary", 10),
)
"""(agent, task type, percent of a working day's items)."""

WEEKEND_MIX: tuple[tuple[str, str, int], ...] = (
    ("support-bot", "support_reply", 44),
    ("support-bot", "refund", 10),
    ("billing-agent", "refund", 5),
    ("mailer", "outbound_email", 12),
    ("concierge", "booking_change", 9),
    ("concierge", "cancel_reservation", 9),
    ("coder", "code_change", 3),
    ("billing-agent", "invoice_adjustment", 3),
    ("summarizer", "internal_summary", 5),
)
"""Saturdays and Sundays: more customers, fewer developers and trade accounts."""

MODELS: dict[str, tuple[str, str | None]] = {
    "support-bot": ("claude-sonnet-4-5", "claude-sonnet-4-6"),
    "mailer": ("gpt-4.1-mini", None),
    "billing-agent": ("claude-haiku-4-5", None),
    "concierge": ("gemini-2.5-flash", None),
    "coder": ("gpt-5-codex", "gpt-5.1-codex"),
    "summarizer": ("claude-haiku-4-5", None),
}
"""Each agent's model before and (when it switches mid-week) after the switch."""

_SWITCH_IN_A_WEEK = {"support-bot": 3, "coder": 5}
"""Index of the day, in a seven-day week, from which the agent runs its new model."""

CURRENCIES: tuple[str, ...] = ("EUR", "GBP", "USD")
CHANNELS: tuple[str, ...] = ("email", "chat", "sms", "github", "slack")
TIERS: tuple[str, ...] = ("standard", "vip")
TOUCHES: tuple[str, ...] = ("payments", "migrations", "auth", "docs", "tests", "ui", "search")
ENVIRONMENTS: tuple[str, ...] = ("production", "staging")

META_TYPES: dict[str, type | tuple[type, ...]] = {
    "customer_facing": bool,
    "amount": (int, float),
    "currency": str,
    "recipients": int,
    "channel": str,
    "customer_tier": str,
    "order_id": str,
    "files_changed": int,
    "lines_changed": int,
    "touches": list,
    "environment": str,
    "tests_passed": bool,
    "policy_limit": (int, float),
    "platform_outcome": dict,
}
"""Every meta key a demo record may carry, with the JSON type of its value."""

REFUND_LIMIT = {"support-bot": 100.0, "billing-agent": 500.0}
"""The most each agent may refund without a person approving it (in the order's currency)."""

CREDIT_LIMIT = 250.0
"""The largest invoice credit the billing agent may issue without finance signing off."""

REVIEWERS: tuple[str, ...] = ("maja", "tomas", "priya")


def switch_day(agent: str, days: int) -> int | None:
    """The day index from which ``agent`` runs its new model in a ``days``-day span."""
    if MODELS[agent][1] is None or agent not in _SWITCH_IN_A_WEEK:
        return None
    at = max(1, days * _SWITCH_IN_A_WEEK[agent] // 7)
    return at if at < days else None


def model_for(agent: str, day_index: int, days: int) -> str:
    """The model ``agent`` runs on day ``day_index`` of a ``days``-day span."""
    old, new = MODELS[agent]
    at = switch_day(agent, days)
    if new is not None and at is not None and day_index >= at:
        return new
    return old
