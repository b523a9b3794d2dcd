"""What the platforms and the checks catch lands outside ``pass``, with the check named
and its evidence shown: a failed promptfoo assertion, an errored span, an aborted
OpenClaw turn, a refund claimed after the refund call failed. And under the shipped
rules no item with a failed check is in ``pass``: not in the demo week, not among
generated hostile items, not even under a rule set that passes everything."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.core.checks import CHECKS
from triage.core.models import Item, Lane, ToolCall
from triage.core.novelty import NoveltyIndex
from triage.demo.build import build_demo
from triage.platforms.native import parse_record
from triage.rules import RuleSet, load_rules, rules_from_files
from triage.rules.triager import History, Triager
from triage.service.workspace import shipped_rules_dir

SOURCES = Path(__file__).parent / "fixtures" / "sources"


@pytest.fixture
def cli(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return make_cli(tmp_path, sqlite_url, monkeypatch)


def explained(cli: Cli, ref: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(lane, the failed checks by name, the rules that matched by id) of item ``ref``."""
    data = cli.json("explain", ref)
    failed = {c["name"]: c for c in data["checks"] if c["failed"]}
    rules = {r["rule"]: r for r in data["reasons"]}
    return data["lane"], failed, rules


def test_a_failed_promptfoo_assertion_goes_to_deep(cli: Cli) -> None:
    cli("pull", str(SOURCES / "promptfoo" / "results_v3.json"))
    ids = [row["id"] for row in cli.json("queue")]
    found = {ref: explained(cli, ref) for ref in ids}
    failing = {ref: f for ref, f in found.items() if "platform" in f[1]}
    assert len(failing) == 2  # one assertion failed, one provider error
    for lane, _, rules in failing.values():
        assert lane == "deep" and "platform-failed" in rules
    evidence = sorted(f["platform"]["evidence"] for _, f, _ in failing.values())
    assert evidence == [
        "the platform failed it: policy allows unused items only",
        "the run ended in an error: API error: 500 Internal Server Error",
    ]
    passing = [f for ref, f in found.items() if ref not in failing]
    assert passing and all("platform-failed" not in rules for _, _, rules in passing)


def test_an_errored_span_goes_to_deep(cli: Cli) -> None:
    cli("pull", str(SOURCES / "otlp" / "chat_aliases.json"))
    [row] = cli.json("queue")
    lane, failed, rules = explained(cli, row["id"])
    assert lane == "deep" and "platform-failed" in rules
    assert failed["platform"]["status"] == "errored"
    assert failed["platform"]["evidence"] == (
        "the run ended in an error: upstream 429 after 2 retries"
    )


def _turn(n: int, at: datetime, message: dict[str, Any]) -> dict[str, Any]:
    stamp = at.isoformat().replace("+00:00", "Z")
    parent = f"e{n - 1}" if n > 1 else None
    return {"type": "message", "id": f"e{n}", "parentId": parent, "timestamp": stamp,
            "message": message}  # fmt: skip


def test_an_aborted_openclaw_turn_goes_to_deep(cli: Cli, tmp_path: Path) -> None:
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    session = "5e551011-0000-4000-8000-00000000abcd"
    lines = [
        {"type": "session", "version": 3, "id": session, "timestamp": "2026-11-30T09:00:00Z"},
        _turn(
            1,
            start + timedelta(seconds=5),
            {"role": "user", "content": [{"type": "text", "text": "Book the 10:00 table"}]},
        ),
        _turn(
            2,
            start + timedelta(seconds=9),
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "Booking the 10:00 table for"}],
                "provider": "anthropic", "model": "claude-sonnet-4",
                "stopReason": "aborted", "errorMessage": "Request was aborted",
            },
        ),
    ]  # fmt: skip
    folder = tmp_path / "openclaw" / "agents" / "main" / "sessions"
    folder.mkdir(parents=True)
    path = folder / f"{session}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    cli("pull", str(path))
    [row] = cli.json("queue")
    lane, failed, rules = explained(cli, row["id"])
    assert lane == "deep" and "platform-failed" in rules
    assert failed["platform"]["status"] == "errored"
    assert "aborted" in failed["platform"]["evidence"]


def test_a_refund_claimed_after_the_refund_call_failed_goes_to_deep(
    cli: Cli, tmp_path: Path
) -> None:
    claimed = record(
        1,
        task_type="support_reply",
        input="Order LL-44135 arrived broken, can I have my €49.00 back?",
        output="Good news: your refund of €49.00 has been issued to your card.",
        tool_calls=[
            {"name": "lookup_order", "arguments": {"order_id": "LL-44135"},
             "result": {"total": 49.0, "currency": "EUR"}, "is_error": False},
            {"name": "issue_refund", "arguments": {"order_id": "LL-44135", "amount": 49.0},
             "result": {"error": "card declined"}, "is_error": True},
        ],
    )  # fmt: skip
    cli("pull", str(write_jsonl(tmp_path / "a.jsonl", [claimed])))
    lane, failed, rules = explained(cli, "rec-0001")
    assert lane == "deep" and "claimed-success-without-action" in rules
    evidence = failed["claimed_success"]["evidence"]
    assert "has been issued" in evidence and "issue_refund" in evidence
    assert "card declined" in evidence
    shown = cli("explain", "rec-0001").stdout
    assert "✗ claimed_success" in shown and "card declined" in shown


# --- no failed check in pass -------------------------------------------------------


def _triager(rules: RuleSet) -> Triager:
    return Triager(rules, History(novelty=NoveltyIndex()))


def _pass_everything() -> RuleSet:
    """The shipped rules plus a rule that passes everything, audit samples off: only
    the floor stands between a failed check and ``pass``."""
    shipped = load_rules(shipped_rules_dir())
    files = dict(shipped.files)
    files["settings.toml"] = files["settings.toml"].replace("audit_rate = 0.05", "audit_rate = 0")
    files["zz.toml"] = (
        '# everything\n[[rule]]\nid = "all-pass"\nlane = "pass"\nwhy = "Passes all of it."\n'
        'owner = "kim"\nwhen = "true"\n'
    )
    return rules_from_files(files, origin="test")


def test_no_item_of_the_demo_week_with_a_failed_check_is_in_pass() -> None:
    demo = build_demo(seed=7, end=date(2026, 11, 20), days=7, per_day=50)
    items = [parse_record(r, source="outputs") for r in demo.records]
    shipped = _triager(load_rules(shipped_rules_dir()))
    everything = _triager(_pass_everything())
    caught: set[str] = set()
    for item in items:
        for triager in (shipped, everything):
            decision = triager.decide(item)
            if decision.failed_checks:
                assert decision.lane is not Lane.PASS, item.id
                caught.update(c.name for c in decision.failed_checks)
    assert caught, "the demo week has items the checks catch"


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120
) | st.sampled_from(
    [
        "Your refund of €49.00 has been issued.", "I've cancelled booking BK-77AB1.",
        "Order LL-44153 is on its way.", "Dear {{first_name}},", "See https://evil.example/x",
        "Card 4242 4242 4242 4242", "IBAN GB82 WEST 1234 5698 7654 32", "TODO: fill in",
        "Mail j.berg@example.com or call +44 20 7946 0958", "We refunded $1,250.00.",
        "\x1b]52;c;cm0gLXJmIH4=\x07", "[CUSTOMER NAME]", "<insert date>", "",
    ]
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
_CALLS = st.lists(
    st.builds(
        ToolCall,
        name=st.sampled_from(["issue_refund", "cancel_booking", "send_email", "lookup", ""]),
        arguments=_JSON,
        result=_JSON,
        is_error=st.booleans(),
    ),
    max_size=4,
)


@st.composite
def _items(draw: st.DrawFn) -> Item:
    parts = draw(st.lists(_TEXT, min_size=0, max_size=5))
    status = draw(st.sampled_from(["passed", "failed", "errored", "truncated", "unknown", 7]))
    return Item(
        id="h-1",
        created_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
        agent=draw(st.sampled_from(["support-bot", "summarizer", "coder"])),
        task_type=draw(
            st.sampled_from(["support_reply", "internal_summary", "refund", "code_change"])
        ),
        input=draw(_TEXT),
        output=" ".join(parts),
        model="m",
        tool_calls=tuple(draw(_CALLS)),
        meta=draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "customer_facing": st.booleans(),
                    "amount": st.integers(-1000, 1000) | st.floats() | _TEXT,
                    "currency": st.sampled_from(["EUR", "USD", "GBP", "xx"]),
                    "platform_outcome": st.fixed_dictionaries(
                        {"status": st.just(status)}, optional={"reason": _TEXT}
                    ),
                },
            )
        ),
    )


_EVERYTHING = _pass_everything()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_items())
def test_no_generated_item_with_a_failed_check_is_in_pass(item: Item) -> None:
    decision = _triager(_EVERYTHING).decide(item)
    assert [c.name for c in decision.checks] == list(CHECKS)
    if decision.failed_checks:
        assert decision.lane is not Lane.PASS
        assert decision.lead.lane is not Lane.PASS
    else:
        assert decision.lane is Lane.PASS or any(r.lane is not Lane.PASS for r in decision.reasons)


def test_the_shipped_folder_without_checks_toml_still_keeps_failures_out_of_pass(
    tmp_path: Path,
) -> None:
    """An internal summary the shipped rules pass (with history enough that no
    little-history rule fires) goes to scan once a placeholder is left in it."""
    rules = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), rules)
    (rules / "checks.toml").unlink()
    triager = _triager(load_rules(rules))

    def summary(n: int, output: str) -> Item:
        fields = {"output": output, "input": "Summarise the week's support tickets."}
        return parse_record(
            record(n, task_type="internal_summary", agent="summarizer",
                   meta={"customer_facing": False}, **fields),
            source="files",
        )  # fmt: skip

    triager.history.add_all(summary(n, "Quiet week: 41 tickets.") for n in range(1, 40))
    clean = triager.decide(summary(50, "Quiet week: 44 tickets, none open."))
    assert clean.lane is Lane.PASS or clean.audit_sample
    lifted = triager.decide(summary(51, "Summary for {{team}}: 44 tickets."))
    assert lifted.lane is Lane.SCAN and not lifted.audit_sample
    assert lifted.lead.label == "failed checks"
    assert lifted.lead.why == (
        "failed automated checks (placeholders): pass needs every check to pass"
    )
