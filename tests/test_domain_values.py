"""Typed domain values: outcomes and suggestion kinds are enums, stored and shown as
before; the lane before an audit sample is derived in one place."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from factories import BASE, record, write_jsonl

from triage.config import Config
from triage.core.jsonio import dumps
from triage.core.models import (
    DONE,
    Decision,
    ItemFact,
    Lane,
    Novelty,
    Outcome,
    ReviewFact,
    lane_before_sample,
)
from triage.learn.stats import compute_stats
from triage.learn.suggest import SuggestionKind, lane_records, propose
from triage.rules import load_rules
from triage.service.workspace import Workspace, shipped_rules_dir
from triage.storage.reviews import Reviews


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Workspace:
    workspace = Workspace.open(Config(db_url, shipped_rules_dir(), "ana"))
    workspace.pull([str(write_jsonl(tmp_path / "a.jsonl", [record(n) for n in range(1, 4)]))])
    yield workspace
    workspace.close()


@pytest.mark.parametrize("outcome", list(Outcome))
def test_outcomes_print_and_serialise_as_their_stored_text(outcome: Outcome) -> None:
    assert str(outcome) == f"{outcome}" == outcome.value
    assert json.dumps({"outcome": outcome}) == f'{{"outcome": "{outcome.value}"}}'
    assert orjson.loads(orjson.dumps(outcome)) == outcome.value
    assert dumps(outcome) == f'"{outcome.value}"'


def test_undo_is_an_outcome_and_not_one_that_closes_an_item() -> None:
    assert Outcome("undo") is Outcome.UNDO
    assert DONE == (Outcome.OK, Outcome.FAIL)


def test_verdicts_read_back_as_outcomes_with_the_same_stored_text(ws: Workspace) -> None:
    given, _ = ws.record_verdict("rec-0001", Outcome.FAIL, reviewer="ana")
    undo = ws.undo(given, reviewer="ana")
    assert given.outcome is Outcome.FAIL
    assert undo.outcome is Outcome.UNDO
    history = Reviews(ws.store.engine).for_item(given.item_pk)
    assert [v.outcome for v in history] == [Outcome.FAIL, Outcome.UNDO]
    assert all(type(v.outcome) is Outcome for v in history)
    with ws.store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT outcome FROM verdict ORDER BY pk").scalars().all()
    assert stored == ["fail", "undo"]


def test_a_plain_string_outcome_is_still_accepted_by_storage(ws: Workspace) -> None:
    pk, _ = ws.find("rec-0002")
    kept = Reviews(ws.store.engine).record(item_pk=pk, reviewer="ana", outcome="ok")  # type: ignore[arg-type]
    assert kept.outcome is Outcome.OK


def review_fact(lane: Lane, *, sample: bool, failed: bool = False, n: int = 1) -> ReviewFact:
    return ReviewFact(
        item_pk=n, ref=f"files:r-{n}", agent="bot", task_type="refund", model="m-1",
        created_at=BASE, lane=lane, audit_sample=sample,
        outcome=Outcome.FAIL if failed else Outcome.OK, modes=(), seconds=30.0,
        reviewer="ana", reviewed_at=BASE,
    )  # fmt: skip


def test_the_lane_before_an_audit_sample_is_derived_in_one_place() -> None:
    assert lane_before_sample(Lane.SCAN, True) is Lane.PASS
    assert lane_before_sample(Lane.SCAN, False) is Lane.SCAN
    assert review_fact(Lane.SCAN, sample=True).lane_before_sample is Lane.PASS
    assert (
        ItemFact(1, "bot", "refund", "m-1", BASE, Lane.SCAN, True).lane_before_sample is Lane.PASS
    )
    sampled = Decision(Lane.SCAN, (), Novelty(90.0), True, "r-1", rule_lane=Lane.PASS)
    assert sampled.lane_before_sample is Lane.PASS
    assert replace(sampled, audit_sample=False, rule_lane=None).lane_before_sample is Lane.SCAN


def test_stats_suggestions_and_backtests_count_an_audit_sample_under_pass() -> None:
    reviews = [review_fact(Lane.SCAN, sample=True, failed=n < 3, n=n) for n in range(10)]
    reviews.append(review_fact(Lane.SCAN, sample=False, n=99))
    assert lane_records(reviews) == {("refund", Lane.PASS): (10, 3), ("refund", Lane.SCAN): (1, 0)}
    by_lane = {row.lane: row for row in compute_stats([], reviews, by=("lane",))}
    assert (by_lane[Lane.PASS].reviewed, by_lane[Lane.PASS].escapes) == (10, 3)
    assert by_lane[Lane.SCAN].reviewed == 1


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (SuggestionKind.TIGHTEN, "tighten"),
        (SuggestionKind.MODE, "mode"),
        (SuggestionKind.MODEL, "model"),
        (SuggestionKind.RELAX, "relax"),
    ],
)
def test_suggestion_kinds_keep_their_text_in_ids_and_json(kind: SuggestionKind, text: str) -> None:
    assert SuggestionKind(text) is kind
    assert f"{kind}:refund:scan" == f"{text}:refund:scan"
    assert json.dumps({"kind": kind}) == f'{{"kind": "{text}"}}'


def test_suggestions_are_offered_riskiest_kind_first() -> None:
    assert sorted(SuggestionKind, key=lambda k: k.rank) == [
        SuggestionKind.TIGHTEN, SuggestionKind.MODE, SuggestionKind.INDUCE, SuggestionKind.MODEL,
        SuggestionKind.RELAX,
    ]  # fmt: skip
    reviews = [review_fact(Lane.SCAN, sample=False, failed=n < 9, n=n) for n in range(31)]
    (found,) = propose(reviews, [], load_rules(shipped_rules_dir()))
    assert found.id == "tighten:refund:scan" and found.kind is SuggestionKind.TIGHTEN
    assert json.loads(json.dumps(found.as_json()))["kind"] == "tighten"
