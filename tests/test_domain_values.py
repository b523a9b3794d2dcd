"""Typed domain values: outcomes are an enum end to end, stored and shown as before."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from factories import record, write_jsonl

from triage.config import Config
from triage.core.jsonio import dumps
from triage.core.models import DONE, Outcome
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
