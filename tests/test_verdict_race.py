"""Two reviewers recording on one item at the same moment (issue 8, case 15): with
the verdict each was shown as ``expect``, exactly one is recorded and the other is
told who got there first, on SQLite and PostgreSQL, every time."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from clitools import Cli, make_cli
from factories import make_item, record, write_jsonl

from triage.core.models import Outcome, VerdictRecord
from triage.errors import ReviewedMeanwhile
from triage.storage.reviews import Expect, Reviews
from triage.storage.store import Store

ROUNDS = 12


def race(stores: list[Store], item_pk: int, expect: Expect) -> list[Any]:
    """Both stores record on the item, released together; what each got."""
    gate = threading.Barrier(len(stores))
    results: list[Any] = [None] * len(stores)

    def one(index: int) -> None:
        reviews = Reviews(stores[index].engine)
        gate.wait()
        try:
            results[index] = reviews.record(
                item_pk=item_pk, reviewer=f"r{index}", outcome="ok", expect=expect
            )
        except ReviewedMeanwhile as exc:
            results[index] = exc
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion
            results[index] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_of_two_reviewers_at_once_exactly_one_records(db_url: str) -> None:
    stores = [Store.open(db_url), Store.open(db_url)]  # two instances: two engines
    ((pk, _),) = stores[0].write_items([make_item(1)]).changed
    expect: Expect = None
    for _ in range(ROUNDS):
        results = race(stores, pk, expect)
        won = [r for r in results if isinstance(r, VerdictRecord)]
        told = [r for r in results if isinstance(r, ReviewedMeanwhile)]
        assert (len(won), len(told)) == (1, 1), results
        assert told[0].current == won[0]
        assert f"ok by {won[0].reviewer}" in str(told[0]) and "nothing was recorded" in str(told[0])
        expect = won[0].pk  # the next round, both were shown the winner's verdict
    reviews = Reviews(stores[0].engine)
    assert len(reviews.for_item(pk)) == ROUNDS
    check = stores[0].verify_audit()
    assert check.ok and check.entries == ROUNDS
    for store in stores:
        store.close()


def test_an_undo_meanwhile_is_noticed_too(db_url: str) -> None:
    store = Store.open(db_url)
    reviews = Reviews(store.engine)
    ((pk, _),) = store.write_items([make_item(1)]).changed
    first = reviews.record(item_pk=pk, reviewer="ana", outcome="fail")
    reviews.record(item_pk=pk, reviewer="ana", outcome="undo", supersedes=first.pk)
    with pytest.raises(ReviewedMeanwhile, match="undone") as caught:
        reviews.record(item_pk=pk, reviewer="bo", outcome="ok", expect=first.pk)
    assert caught.value.current is None
    assert reviews.record(item_pk=pk, reviewer="bo", outcome="ok", expect=None).reviewer == "bo"
    store.close()


def test_a_retry_of_the_same_verdict_is_not_a_conflict(db_url: str) -> None:
    store = Store.open(db_url)
    reviews = Reviews(store.engine)
    ((pk, _),) = store.write_items([make_item(1)]).changed
    once = reviews.record(item_pk=pk, reviewer="ana", outcome="ok", key="k1", expect=None)
    again = reviews.record(item_pk=pk, reviewer="ana", outcome="ok", key="k1", expect=None)
    assert again == once and len(reviews.for_item(pk)) == 1
    store.close()


def test_the_sitting_passes_what_was_shown(db_url: str) -> None:
    from triage.config import Config
    from triage.service.review import Sitting
    from triage.service.workspace import Workspace, shipped_rules_dir

    ws = Workspace.open(Config(db_url, shipped_rules_dir(), "ana"))
    ((pk, _),) = ws.store.write_items([make_item(1)]).changed
    mine, theirs = Sitting(ws, "ana"), Sitting(ws, "bo")
    theirs.record(pk, Outcome.OK, expect=None)
    with pytest.raises(ReviewedMeanwhile):
        mine.record(pk, Outcome.OK, expect=None)
    assert mine.done == [] and len(theirs.done) == 1
    ws.close()


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    cli("pull", str(write_jsonl(tmp_path / "a.jsonl", [record(1)])))
    return cli


def test_the_command_line_records_corrections_unless_told_what_was_seen(cli: Cli) -> None:
    first = cli.json("verdict", "rec-0001", "--ok", "--expect", "none")
    refused = cli("verdict", "rec-0001", "--fail", "--expect", "none", ok=False)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: files:rec-0001 was reviewed meanwhile: ok by ana")
    assert f"(verdict {first['verdict']}); nothing was recorded" in refused.stderr
    fixed = cli.json("verdict", "rec-0001", "--fail", "--expect", str(first["verdict"]))
    assert fixed["outcome"] == "fail"
    assert cli.json("verdict", "rec-0001", "--ok")["outcome"] == "ok"  # as before: a correction
    bad = cli("verdict", "rec-0001", "--ok", "--expect", "latest", ok=False)
    assert bad.exit_code == 2 and "--expect" in bad.stderr


def test_a_refused_verdict_creates_no_failure_modes(db_url: str) -> None:
    from triage.config import Config
    from triage.service.workspace import Workspace, shipped_rules_dir

    ws = Workspace.open(Config(db_url, shipped_rules_dir(), "ana"))
    ((pk, _),) = ws.store.write_items([make_item(1)]).changed
    ws.record_verdict(pk, Outcome.OK, reviewer="bo", expect=None)
    with pytest.raises(ReviewedMeanwhile):
        ws.record_verdict(pk, Outcome.FAIL, reviewer="ana", modes=("brand-new",), expect=None)
    assert ws.reviews.failure_mode("brand-new") is None
    ws.close()
