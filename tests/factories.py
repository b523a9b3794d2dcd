"""Small builders for test data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from triage.core.models import Item, ToolCall

BASE = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def make_item(n: int = 1, **overrides: Any) -> Item:
    values: dict[str, Any] = {
        "id": f"it-{n:04d}",
        "source": "files",
        "created_at": BASE + timedelta(minutes=n),
        "agent": "support-bot",
        "task_type": "support_reply",
        "input": f"Where is my order #{1000 + n}? It was due yesterday.",
        "output": "It ships today; you will get tracking by email.",
        "model": "claude-sonnet-4-5",
        "meta": {"customer_facing": True},
    }
    values.update(overrides)
    return Item(**values)


def record(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A native JSON record, as an agent would log it."""
    values: dict[str, Any] = {
        "id": f"rec-{n:04d}",
        "created_at": (BASE + timedelta(minutes=n)).isoformat().replace("+00:00", "Z"),
        "agent": "support-bot",
        "task_type": "support_reply",
        "input": f"Where is my order #{1000 + n}? It was due yesterday.",
        "output": "It ships today; you will get tracking by email.",
        "model": "claude-sonnet-4-5",
        "meta": {"customer_facing": True},
    }
    values.update(overrides)
    return values


def write_jsonl(path: Path, records: list[Any]) -> Path:
    """Write records (dicts, or raw strings for deliberately broken lines)."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def refund_item(n: int, amount: float, **overrides: Any) -> Item:
    return make_item(
        n,
        agent="billing-agent",
        task_type="refund",
        input=f"Customer asks for a refund of {amount} on order #{5000 + n}",
        output=f"Refund of {amount} EUR approved and issued.",
        meta={"amount": amount, "currency": "EUR", "customer_facing": True},
        tool_calls=(ToolCall(name="issue_refund", arguments={"amount": amount}, result="ok"),),
        **overrides,
    )
