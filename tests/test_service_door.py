"""The service is the only door: the command line and the reviewer app reach the
database only through the workspace, and a failure mode comes to exist one way.

The import contracts (``lint-imports``) hold the imports; these tests hold what a
contract cannot see (reaching through ``ws.store`` or ``ws.reviews``) and what the
door promises: the same checks for every new failure mode, whoever creates it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import record, write_jsonl

from triage.config import Config
from triage.core.models import FailureMode, ModeStatus, Outcome, QueueFilter
from triage.errors import InvalidInput, NotFound
from triage.learn import failure_model as learn_failure_model
from triage.learn.stats import compute_stats
from triage.service.workspace import NotALead, Workspace, shipped_rules_dir

PACKAGE = Path(__file__).resolve().parent.parent / "triage"
FACES = ("cli", "tui")


def face_sources() -> Iterator[tuple[str, ast.Module]]:
    for face in FACES:
        for path in sorted((PACKAGE / face).rglob("*.py")):
            yield str(path.relative_to(PACKAGE.parent)), ast.parse(path.read_text())


def test_the_faces_do_not_reach_through_the_workspace() -> None:
    reached = [
        f"{name}:{node.lineno}: .{node.attr}"
        for name, tree in face_sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("store", "reviews", "engine")
    ]
    assert reached == []


def test_the_faces_import_nothing_from_storage_or_platforms() -> None:
    imported = [
        f"{name}:{node.lineno}: {node.module}"
        for name, tree in face_sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith(("triage.storage", "triage.platforms"))
    ]
    assert imported == []


@pytest.mark.parametrize(
    ("modules", "absent"),
    [
        (
            ["triage.learn.accept", "triage.learn.backtest", "triage.learn.failure_model",
             "triage.learn.rule_changes", "triage.learn.rule_stats", "triage.learn.suggest",
             "triage.learn.stats"],
            "triage.service",
        ),
        (["triage.storage.store", "triage.storage.audit_rows"], "triage.rules"),
    ],
)  # fmt: skip
def test_a_layer_loads_nothing_above_it(modules: list[str], absent: str) -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"print(sorted(m for m in sys.modules if m.split('.')[:2] == {absent.split('.')!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def open_ws(db_url: str, tmp_path: Path) -> Workspace:
    ws = Workspace.open(Config(db_url, shipped_rules_dir(), "ana", leads=("lead",)))
    records = [
        record(1, id="1", task_type="refund", agent="billing"),
        record(2, id="2", task_type="refund", agent="billing"),
        record(3, id="3", task_type="handoff", agent="support"),
    ]
    ws.pull([str(write_jsonl(tmp_path / "items.jsonl", records))])
    return ws


@pytest.fixture
def ws(db_url: str, tmp_path: Path) -> Iterator[Workspace]:
    workspace = open_ws(db_url, tmp_path)
    yield workspace
    workspace.close()


@pytest.fixture
def created(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(id, tagged) of every mode :func:`add_mode` was asked to create."""
    seen: list[tuple[str, bool]] = []
    add = learn_failure_model.add_mode

    def counting(ws: Any, mode: FailureMode, **kwargs: Any) -> FailureMode:
        seen.append((mode.id, kwargs.get("tagged", False)))
        return add(ws, mode, **kwargs)

    monkeypatch.setattr(learn_failure_model, "add_mode", counting)
    return seen


def test_a_verdict_naming_a_new_mode_creates_it_the_one_way(
    ws: Workspace, created: list[tuple[str, bool]]
) -> None:
    record_, made = ws.record_verdict("1", Outcome.FAIL, reviewer="ana", modes=["over-limit"])
    assert created == [("over-limit", True)]
    assert [m.id for m in made] == ["over-limit"]
    mode = ws.failure_model.mode("over-limit")
    assert (mode.title, mode.task_type, mode.status) == ("over limit", "refund", "active")
    assert record_.modes == ("over-limit",)
    assert ws.verify_audit().ok  # created with its audit entry


def test_a_verdict_keeps_a_tag_as_the_reviewer_wrote_it(ws: Workspace) -> None:
    # A verdict is never refused for how its tag is spelled; defining one is checked.
    ws.record_verdict("1", Outcome.FAIL, reviewer="ana", modes=["Over Limit"])
    assert ws.failure_model.mode("Over Limit").title == "Over Limit"
    with pytest.raises(InvalidInput, match="'Wrong tone' is not a usable id"):
        ws.failure_model.add(FailureMode(id="Wrong tone", title="Wrong tone"), actor="ana")
    with pytest.raises(InvalidInput, match="needs a title"):
        ws.failure_model.add(FailureMode(id="wrong-tone", title=" "), actor="ana")
    assert [m.id for m in ws.failure_model.modes(active_only=False)] == ["Over Limit"]


def test_every_way_of_creating_a_mode_is_the_one_path(
    ws: Workspace, created: list[tuple[str, bool]]
) -> None:
    ws.failure_model.add(FailureMode(id="wrong-tone", title="Wrong tone"), actor="ana")
    ws.record_verdict("3", Outcome.FAIL, reviewer="ana", modes=["wrong-queue", "wrong-tone"])
    assert created == [("wrong-tone", False), ("wrong-queue", True)]
    with pytest.raises(InvalidInput, match="already exists"):
        ws.failure_model.add(FailureMode(id="wrong-tone", title="Again"), actor="ana")
    again = ws.failure_model.add(
        FailureMode(id="wrong-tone", title="Again"), actor="ana", exist_ok=True
    )
    assert again.title == "Wrong tone"  # left as it was


def test_the_failure_model_door_edits_retires_and_exports(ws: Workspace) -> None:
    model = ws.failure_model
    model.add(FailureMode(id="m1", title="First", task_type="refund"), actor="lead")
    assert [m.id for m in model.modes("refund")] == ["m1"]
    assert model.modes("handoff") == []
    assert model.edit("m1", look_for="the amount", actor="lead").look_for == "the amount"
    with pytest.raises(NotALead):
        model.retire("m1", actor="ana")
    assert model.retire("m1", actor="lead").status is ModeStatus.RETIRED
    assert model.modes("refund") == []
    assert [m.id for m in model.modes("refund", active_only=False)] == ["m1"]
    assert model.reactivate("m1", actor="lead").status is ModeStatus.ACTIVE
    with pytest.raises(NotFound, match="no failure mode 'nope'"):
        model.mode("nope")
    ws.record_verdict("1", Outcome.FAIL, reviewer="ana", modes=["m1"])
    assert model.evidence()["m1"].failures == 1
    assert "First" in model.export_markdown()


def test_the_workspace_answers_what_the_screens_ask(ws: Workspace) -> None:
    assert sum(ws.lane_counts().values()) == 3
    assert ws.count_untriaged() == 0
    where = QueueFilter()
    keys = ws.queue_keys(where)
    assert len(keys) == 3
    assert sum(total for total, _ in ws.queue_summary(where).values()) == 3
    agents, task_types = ws.facets()
    assert (agents, task_types) == (["billing", "support"], ["handoff", "refund"])
    assert ws.verify_audit().ok


def test_statistics_through_the_door_are_the_stats(ws: Workspace) -> None:
    ws.record_verdict("1", Outcome.FAIL, reviewer="ana")
    ws.record_verdict("2", Outcome.OK, reviewer="ana")
    statistics = ws.learning.statistics()
    items, reviews = ws.store.item_facts(), ws.store.review_facts()
    assert statistics.rows() == compute_stats(items, reviews)
    assert statistics.rows(by=("agent",), period="day") == compute_stats(
        items, reviews, by=("agent",), period="day"
    )
    refund = statistics.trend("refund")
    assert sum(point.failures for point in refund) == 1


def test_the_learning_door_reaches_the_loop(ws: Workspace) -> None:
    result: Any = ws.learning.backtest(ws.rules().ruleset)
    assert result.items == 0  # nothing reviewed yet
    ws.record_verdict("1", Outcome.OK, reviewer="ana")
    assert ws.learning.backtest(ws.rules().ruleset).items == 1
    assert isinstance(ws.learning.suggestions(), list)
    records = ws.learning.rule_records(days=7)
    assert all(r.hits >= r.decided for r in records.values())
