"""The demo week shows both what the automated checks catch and what only a person does.

Asserted by check name over the failures the demo seeds, never as exact counts of
everything a check fires on: the checks themselves are refined over time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from triage.config import load_config
from triage.core.checks import CHECKS, DEFAULT_SETTINGS, CheckResult, CheckSettings, run_checks
from triage.core.models import Lane
from triage.demo import DemoVerdict, DemoWorkspace, build_demo
from triage.demo.workspace import build_workspace
from triage.platforms.native import parse_record
from triage.rules import load_rules
from triage.service.workspace import Workspace, shipped_rules_dir

END = date(2026, 11, 20)
LAST_DAY = "sb-20261120-"

CAUGHT_BY: dict[str, set[str]] = {
    "platform": {"tool-error-ignored", "output-truncated"},
    "claimed_success": {"tool-error-ignored"},
    "references": {"wrong-order-number"},
    "amounts": {"wrong-amount-told"},
    "personal_data": {"personal-data-leak"},
    "links": {"invented-link"},
    "placeholders": {"unfilled-placeholder"},
}
"""Each check, and the failure modes of the seeded mistakes it is there to catch."""

ONLY_A_PERSON: frozenset[str] = frozenset(
    {
        "refund-over-policy",
        "wrong-segment",
        "wrong-language",
        "promised-delivery-date",
        "booking-wrong-slot",
        "cancellation-fee-waived",
        "invented-policy",
        "invented-number",
        "invoice-wrong-amount",
        "migration-deleted",
        "tests-skipped",
    }
)
"""Failure modes whose mistakes read correctly to every check: a person must know the
policy, the brief or the language to see them."""


def _settings() -> list[CheckSettings]:
    """The checks as the demo workspace runs them (its rules are the shipped ones), and
    with nothing allowed, as a rule folder without settings runs them."""
    shipped = load_rules(shipped_rules_dir()).settings
    return [CheckSettings(link_domains=frozenset(shipped.link_domains)), DEFAULT_SETTINGS]


@pytest.fixture(scope="module")
def week() -> DemoWorkspace:
    return build_demo(seed=7, end=END, days=7, per_day=50)


@pytest.fixture(scope="module", params=[0, 1], ids=["shipped-settings", "no-settings"])
def results(request: pytest.FixtureRequest, week: DemoWorkspace) -> dict[str, list[CheckResult]]:
    """Every record's failed checks, by item id."""
    settings = _settings()[request.param]
    return {
        r["id"]: [c for c in run_checks(parse_record(r, source="outputs"), settings) if c.failed]
        for r in week.records
    }


def _failed(week: DemoWorkspace) -> Iterator[DemoVerdict]:
    return (v for v in week.verdicts if v.outcome == "fail")


def test_the_week_covers_every_check() -> None:
    assert set(CAUGHT_BY) == set(CHECKS)


@pytest.mark.parametrize("check", sorted(CAUGHT_BY))
def test_each_check_catches_a_failure_reviewers_recorded(
    check: str, week: DemoWorkspace, results: dict[str, list[CheckResult]]
) -> None:
    caught = {
        mode
        for v in _failed(week)
        if any(c.name == check for c in results[v.item_id])
        for mode in v.modes
    }
    assert caught & CAUGHT_BY[check], (check, caught)


def test_the_platform_check_catches_an_errored_and_a_truncated_run(
    week: DemoWorkspace, results: dict[str, list[CheckResult]]
) -> None:
    statuses = {
        c.status: v.modes for v in _failed(week) for c in results[v.item_id] if c.name == "platform"
    }
    assert statuses.get("errored") == ("tool-error-ignored",)
    assert statuses.get("truncated") == ("output-truncated",)


def test_the_new_failure_modes_are_caught_by_their_check(
    week: DemoWorkspace, results: dict[str, list[CheckResult]]
) -> None:
    expected = {
        "personal-data-leak": "personal_data",
        "invented-link": "links",
        "wrong-amount-told": "amounts",
        "output-truncated": "platform",
    }
    seen = {mode: 0 for mode in expected}
    for v in _failed(week):
        for mode in set(v.modes) & set(expected):
            seen[mode] += 1
            names = {c.name for c in results[v.item_id]}
            assert expected[mode] in names, (v.item_id, mode, names)
    assert all(seen.values()), seen
    # Both kinds of leak: another customer's e-mail address and a full card number.
    evidence = [
        c.evidence
        for v in _failed(week)
        if "personal-data-leak" in v.modes
        for c in results[v.item_id]
        if c.name == "personal_data"
    ]
    assert any(e.startswith("an e-mail address") for e in evidence), evidence
    assert any(e.startswith("a card number") for e in evidence), evidence


def test_some_failures_no_check_catches(
    week: DemoWorkspace, results: dict[str, list[CheckResult]]
) -> None:
    unseen = [v for v in _failed(week) if not results[v.item_id]]
    modes = {m for v in unseen for m in v.modes}
    assert len(unseen) >= 8, unseen
    assert len(modes & ONLY_A_PERSON) >= 4, modes
    recorded = {m for v in _failed(week) for m in v.modes}
    assert {"refund-over-policy", "cancellation-fee-waived", "promised-delivery-date"} <= recorded


def test_todays_queue_holds_unreviewed_mistakes_the_checks_catch(
    week: DemoWorkspace, results: dict[str, list[CheckResult]]
) -> None:
    reviewed = {v.item_id for v in week.verdicts}
    today = {i: names for i, names in results.items() if i.startswith(LAST_DAY)}
    assert not set(today) & reviewed
    caught = {c.name for found in today.values() for c in found}
    assert {"personal_data", "links", "platform"} <= caught, caught


def test_seeded_failures_read_as_their_failure(week: DemoWorkspace) -> None:
    by_id: dict[str, dict[str, Any]] = {r["id"]: r for r in week.records}
    for v in _failed(week):
        record = by_id[v.item_id]
        if "invented-link" in v.modes:
            assert "https://" in record["output"] and "lindenloom.com" not in record["output"]
        if "output-truncated" in v.modes:
            assert record["meta"]["platform_outcome"]["status"] == "truncated"
            assert not record["output"].endswith(".")
        if "wrong-amount-told" in v.modes:
            refund = next(c for c in record["tool_calls"] if c["name"] == "issue_refund")
            assert f"{refund['arguments']['amount']:,.2f}" not in record["output"]


def test_the_demo_workspace_sends_todays_caught_items_to_review(tmp_path: Path) -> None:
    summary = build_workspace(tmp_path / "demo", end=END)
    ws = Workspace.open(load_config(str(summary.config), use_env=False))
    try:
        caught: dict[str, Lane] = {}
        for entry in ws.queue(day=END):
            failed = ws.explain(f"{entry.source}:{entry.id}").decision.failed_checks
            for check in failed:
                assert entry.lane is not Lane.PASS and entry.verdict is None, entry
                caught[check.name] = entry.lane
    finally:
        ws.close()
    assert caught.get("personal_data") is Lane.DEEP, caught
    assert caught.get("platform") is Lane.DEEP, caught
    assert "links" in caught, caught
