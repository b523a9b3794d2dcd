"""The rule set that ships in ``rules/``: it loads cleanly, routes as its comments say,
and its README documents every name a condition can use."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from triage.core.checks import run_checks
from triage.core.models import Item, Lane, Novelty, ToolCall
from triage.core.signals import SIGNALS, compute_signals
from triage.rules import RuleSet, check_rules, load_rules
from triage.rules.checks import RULE_KEYS, SETTINGS_KEYS
from triage.rules.values import FUNCTIONS

RULES = Path(__file__).resolve().parent.parent / "rules"
README = RULES / "README.md"

AGENT_OF = {
    "support_reply": "support-bot",
    "refund": "support-bot",
    "outbound_email": "mailer",
    "invoice_adjustment": "billing-agent",
    "booking_change": "concierge",
    "cancel_reservation": "concierge",
    "code_change": "coder",
    "internal_summary": "summarizer",
}

FAMILIAR_REPLY = (
    "Hi Emma, your Fjord wool throw left our Hamburg hub yesterday and is usually "
    "delivered within 2-3 working days. You can follow it with the tracking link in "
    "your confirmation email."
)


def signals(
    task_type: str,
    *,
    output: str = "Done: the change is described below.",
    agent: str | None = None,
    novelty: float = 75.0,
    is_novel: bool = False,
    model_is_new: bool = False,
    tool_errors: int = 0,
    history: int = 200,
    **meta: Any,
) -> dict[str, Any]:
    item = Item(
        id="t-1",
        created_at=datetime(2025, 6, 3, 10, 15, tzinfo=UTC),
        agent=agent or AGENT_OF[task_type],
        task_type=task_type,
        input="a request",
        output=output,
        model="claude-sonnet-4-5",
        tool_calls=tuple(ToolCall(name="lookup", is_error=True) for _ in range(tool_errors)),
        meta=meta,
    )
    return compute_signals(
        item,
        novelty=Novelty(score=novelty, is_novel=is_novel),
        model_is_new=model_is_new,
        history=history,
        checks=run_checks(item),
    )


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules(RULES)


def test_the_shipped_folder_has_no_problems() -> None:
    assert check_rules(RULES) == []


def test_shipped_settings(shipped: RuleSet) -> None:
    assert shipped.settings.default_lane is Lane.SCAN
    assert shipped.settings.audit_rate == 0.05
    assert shipped.settings.novelty_threshold == 60
    assert shipped.settings.new_model_days == 3
    assert shipped.settings.link_domains == ("lindenloom.com",)


def test_every_rule_is_documented(shipped: RuleSet) -> None:
    assert len(shipped.rules) >= 20
    for rule in shipped.rules:
        assert rule.why.endswith(".") and len(rule.why) > 20, rule.id
        assert rule.owner, rule.id
    for name, text in shipped.files.items():
        assert text.lstrip().startswith("#"), f"{name} should open with a comment"


def test_pass_is_only_granted_in_relax_toml(shipped: RuleSet) -> None:
    assert {r.file for r in shipped.rules if r.lane is Lane.PASS} == {"relax.toml"}


def lane_and_rules(shipped: RuleSet, s: dict[str, Any]) -> tuple[Lane, set[str]]:
    return shipped.lane_for(s), {rule.id for rule in shipped.matching(s)}


ROUTES: list[tuple[str, dict[str, Any], Lane, str | None]] = [
    # (case, signals, expected lane, a rule that must be among the matches)
    (
        "large refund",
        signals("refund", amount=350, policy_limit=500, customer_facing=True),
        Lane.DEEP,
        "refund-over-200",
    ),
    (
        "refund above the support bot's limit",
        signals("refund", amount=150, policy_limit=100, customer_facing=True),
        Lane.DEEP,
        "refund-over-policy-limit",
    ),
    (
        "refund without amount",
        signals("refund", customer_facing=True),
        Lane.DEEP,
        "refund-without-amount",
    ),
    (
        "small refund within the limit",
        signals("refund", agent="billing-agent", amount=80, policy_limit=500),
        Lane.SCAN,
        "refund-any",
    ),
    (
        "big invoice credit",
        signals("invoice_adjustment", amount=-700),
        Lane.DEEP,
        "invoice-adjustment-over-500",
    ),
    (
        "invoice adjustment over the credit limit",
        signals("invoice_adjustment", amount=300, policy_limit=250),
        Lane.DEEP,
        "invoice-adjustment-over-policy-limit",
    ),
    ("small invoice adjustment", signals("invoice_adjustment", amount=40), Lane.SCAN, None),
    (
        "familiar short support reply",
        signals("support_reply", output=FAMILIAR_REPLY, novelty=92, customer_facing=True),
        Lane.PASS,
        "familiar-support-reply-pass",
    ),
    (
        "support reply mentioning money",
        signals(
            "support_reply",
            output=FAMILIAR_REPLY + " We've added a 10% voucher.",
            novelty=92,
            customer_facing=True,
        ),
        Lane.SCAN,
        None,
    ),
    (
        "support reply on a less familiar question",
        signals("support_reply", output=FAMILIAR_REPLY, novelty=70, customer_facing=True),
        Lane.SCAN,
        None,
    ),
    (
        "promise to a customer",
        signals(
            "support_reply",
            output="I promise it will reach you before the weekend.",
            novelty=95,
            customer_facing=True,
        ),
        Lane.DEEP,
        "customer-promise",
    ),
    (
        "fixed delivery day",
        signals(
            "support_reply",
            output="Good news: your lamp will be delivered on Friday morning.",
            novelty=95,
            customer_facing=True,
        ),
        Lane.DEEP,
        "customer-fixed-delivery-day",
    ),
    (
        "vip customer",
        signals("support_reply", output=FAMILIAR_REPLY, novelty=95, customer_tier="vip"),
        Lane.SCAN,
        "vip-customer",
    ),
    (
        "little history",
        signals("support_reply", output=FAMILIAR_REPLY, novelty=0, is_novel=True, history=3),
        Lane.SCAN,
        "little-history",
    ),
    (
        "mass email",
        signals("outbound_email", recipients=120, channel="email", customer_facing=True),
        Lane.DEEP,
        "mass-email",
    ),
    (
        "small mailing",
        signals("outbound_email", recipients=12, channel="email", customer_facing=True),
        Lane.SCAN,
        "outbound-email",
    ),
    (
        "placeholder left in",
        signals(
            "outbound_email",
            output="Dear {{first_name}}, our summer workshops are open.",
            recipients=8,
        ),
        Lane.DEEP,
        "unfilled-placeholder",
    ),
    (
        "code change to payments",
        signals(
            "code_change",
            touches=["payments", "tests"],
            tests_passed=True,
            lines_changed=12,
            files_changed=2,
        ),
        Lane.DEEP,
        "code-sensitive-area",
    ),
    (
        "code change for production",
        signals("code_change", touches=["ui"], environment="production", tests_passed=True),
        Lane.DEEP,
        "code-production",
    ),
    (
        "code change with failing tests",
        signals("code_change", touches=["docs"], tests_passed=False, lines_changed=3),
        Lane.DEEP,
        "code-tests-failed",
    ),
    (
        "small docs and tests change",
        signals(
            "code_change",
            touches=["docs", "tests"],
            tests_passed=True,
            lines_changed=20,
            files_changed=2,
            environment="staging",
        ),
        Lane.PASS,
        "small-docs-tests-change-pass",
    ),
    (
        "small change that also touches the ui",
        signals(
            "code_change",
            touches=["docs", "ui"],
            tests_passed=True,
            lines_changed=20,
            files_changed=2,
        ),
        Lane.SCAN,
        None,
    ),
    (
        "large code change",
        signals("code_change", touches=["search"], lines_changed=900, files_changed=4),
        Lane.DEEP,
        "code-large-change",
    ),
    (
        "tool error the agent carried on after",
        signals("booking_change", tool_errors=1),
        Lane.DEEP,
        "tool-error-ignored",
    ),
    (
        "novel request",
        signals("support_reply", output=FAMILIAR_REPLY, novelty=20, is_novel=True),
        Lane.DEEP,
        "novel-request",
    ),
    (
        "familiar reply from a new model",
        signals(
            "support_reply",
            output=FAMILIAR_REPLY,
            novelty=95,
            model_is_new=True,
            customer_facing=True,
        ),
        Lane.SCAN,
        "new-model",
    ),
    ("empty output", signals("internal_summary", output="  \n "), Lane.DEEP, "empty-output"),
    (
        "very long output",
        signals("support_reply", output="word " * 1000, novelty=95),
        Lane.DEEP,
        "very-long-output",
    ),
    (
        "internal summary",
        signals(
            "internal_summary", output="Tuesday: 14 refunds, 2 escalations.", customer_facing=False
        ),
        Lane.PASS,
        "internal-summary-pass",
    ),
    (
        "summary sent to a customer",
        signals("internal_summary", output="Your order history in short.", customer_facing=True),
        Lane.SCAN,
        None,
    ),
    ("cancellation", signals("cancel_reservation", amount=60), Lane.SCAN, "booking-changes"),
]


@pytest.mark.parametrize(
    ("signals_", "lane", "rule"),
    [pytest.param(s, lane, rule, id=case) for case, s, lane, rule in ROUTES],
)
def test_routes(shipped: RuleSet, signals_: dict[str, Any], lane: Lane, rule: str | None) -> None:
    got, matched = lane_and_rules(shipped, signals_)
    assert got is lane, matched
    if rule is not None:
        assert rule in matched


def test_matched_values_explain_the_decision(shipped: RuleSet) -> None:
    s = signals(
        "support_reply",
        output="Hello! We guarantee delivery by Friday, no matter what.",
        customer_facing=True,
    )
    rule = next(r for r in shipped.matching(s) if r.id == "customer-promise")
    explained = rule.explain(s)
    assert explained["meta.customer_facing"] is True
    key = next(k for k in explained if "=~" in k)
    assert "guarantee" in explained[key]


def test_disabled_example_rule_is_valid_but_not_applied(shipped: RuleSet) -> None:
    rule = shipped.get("failing-task-type")
    assert rule is not None and not rule.enabled
    s = signals("cancel_reservation")
    s["stats"] = {"reviewed": 40, "failures": 12, "failure_rate": 0.3}
    assert rule.matches(s)
    assert rule not in shipped.matching(s)


def test_failure_modes_named_by_rules_exist_in_the_demo_failure_model(shipped: RuleSet) -> None:
    failure_modes = pytest.importorskip("triage.demo.failure_modes")
    known = {mode.id for mode in failure_modes.FAILURE_MODES}
    named = {mode for rule in shipped.rules for mode in rule.failure_modes}
    assert named <= known, named - known


# -- README ------------------------------------------------------------------------------


def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_lists_every_signal() -> None:
    text = readme()
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))
    missing = [name for name in SIGNALS if name not in rows]
    assert not missing, f"add these names to the table in rules/README.md: {missing}"


def test_readme_documents_keys_settings_and_functions() -> None:
    text = readme()
    for name in [*RULE_KEYS, *SETTINGS_KEYS]:
        assert f"| `{name}` |" in text, name
    for name in FUNCTIONS:
        assert f"`{name}(" in text, name
    for word in ("=~", "deep", "scan", "pass", "audit", "r-", "file:line: message"):
        assert word in text
