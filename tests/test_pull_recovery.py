"""A pull stopped between storing items and triaging them loses nothing: the next pull
(or ``triage retriage``) triages every stored item without a lane, and until then the
pull says how many wait outside the queue."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl

from triage.platforms.native import parse_record
from triage.storage.store import Store


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return make_cli(tmp_path, db_url, monkeypatch)


def store_without_triage(db_url: str, numbers: range) -> None:
    """What a pull killed after ``write_items`` and before ``record_decisions`` leaves."""
    store = Store.open(db_url)
    try:
        items = [parse_record(record(n), source="files") for n in numbers]
        written = store.write_items(items)
        assert written.new == len(numbers)
    finally:
        store.close()


def untriaged(db_url: str) -> int:
    store = Store.open(db_url)
    try:
        return store.count_untriaged()
    finally:
        store.close()


def test_items_stored_without_a_lane_are_triaged_by_the_next_pull(cli: Cli, db_url: str) -> None:
    store_without_triage(db_url, range(1, 31))
    assert cli.json("queue") == []  # no lane, so not in the queue
    other = write_jsonl(cli.folder / "other.jsonl", [record(100)])
    report = cli.json("pull", str(other))
    queue = cli.json("queue", "--limit", "1000")
    assert len(queue) == 31 and all(entry["lane"] in {"deep", "scan", "pass"} for entry in queue)
    assert (report["new"], report["backlog_triaged"], report["untriaged"]) == (1, 30, 0)
    assert sum(report["lanes"].values()) == 31
    assert untriaged(db_url) == 0
    assert cli.json("explain", "rec-0001")["decisions"] == 1

    again = cli("pull", str(other)).stdout
    assert "stored earlier without a lane" not in again  # nothing left to recover


def test_the_same_file_pulled_again_triages_what_was_only_stored(cli: Cli, db_url: str) -> None:
    path = write_jsonl(cli.folder / "day.jsonl", [record(n) for n in range(1, 11)])
    store_without_triage(db_url, range(1, 6))
    human = cli("pull", str(path)).stdout
    assert "5 new, 0 updated, 5 unchanged, 0 rejected" in human
    assert "triaged 5 items stored earlier without a lane" in human
    assert len(cli.json("queue")) == 10


def test_no_triage_is_counted_and_the_next_pull_or_retriage_catches_up(
    cli: Cli, db_url: str
) -> None:
    first = write_jsonl(cli.folder / "a.jsonl", [record(n) for n in range(1, 4)])
    report = cli.json("pull", "--no-triage", str(first))
    assert (report["new"], report["untriaged"], report["backlog_triaged"]) == (3, 3, 0)
    human = cli("pull", "--no-triage", str(first)).stdout
    assert "3 stored items have no lane yet and are not in the queue" in human
    assert "triage retriage" in human

    totals = cli.json("retriage")
    assert totals["untriaged_before"] == 3 and sum(totals["lanes"].values()) == 3
    assert untriaged(db_url) == 0 and len(cli.json("queue")) == 3
    assert "had no lane before" not in cli("retriage").stdout


def test_retriage_reports_items_that_had_no_lane(cli: Cli, db_url: str) -> None:
    store_without_triage(db_url, range(1, 8))
    assert "7 of them had no lane before" in cli("retriage").stdout
    assert len(cli.json("queue")) == 7


def test_a_pull_killed_mid_way_is_finished_by_the_next_pull(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real SIGKILL of ``triage pull`` while it works through a large file, caught in
    the moment some batch is stored but not yet triaged; then a full re-pull."""
    cli = make_cli(tmp_path, sqlite_url, monkeypatch)
    path = write_jsonl(cli.folder / "big.jsonl", [record(n) for n in range(1, 60_001)])
    database = sqlite_url.removeprefix("sqlite:///")
    child = subprocess.Popen(
        [sys.executable, "-m", "triage", "pull", str(path)],
        env={**os.environ, **cli.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    caught = 0
    try:
        probe = sqlite3.connect(database, timeout=30)
        while child.poll() is None:
            try:
                (caught,) = probe.execute("SELECT count(*) FROM item WHERE lane IS NULL").fetchone()
            except sqlite3.OperationalError:
                caught = 0  # a write in progress; look again
            if caught:
                os.kill(child.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
        probe.close()
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)
    if not caught:
        pytest.fail("the pull finished before it could be caught between storing and triage")
    assert child.returncode == -signal.SIGKILL

    def counts() -> tuple[int, int]:
        with sqlite3.connect(database) as conn:
            sql = "SELECT count(*), count(*) FILTER (WHERE lane IS NULL) FROM item"
            stored, left = conn.execute(sql).fetchone()
        return int(stored), int(left)

    stored, left = counts()
    assert 0 < left and 0 < stored < 60_000

    report = cli.json("pull", str(path))
    queue = cli.json("queue", "--limit", "100000")
    assert len(queue) == 60_000
    assert len({entry["id"] for entry in queue}) == 60_000
    assert counts() == (60_000, 0)
    assert report["new"] == 60_000 - stored
    assert report["backlog_triaged"] == left
    assert sum(report["lanes"].values()) == 60_000 - stored + left


def test_the_queue_says_when_stored_items_are_not_listed(cli: Cli, db_url: str) -> None:
    store_without_triage(db_url, range(1, 5))
    listed = cli("queue", "--json")
    assert listed.stdout.strip() == "[]"  # the machine-readable list stays a list
    note = "note: 4 stored items have no lane yet and are not listed: run `triage retriage`"
    assert note in listed.stderr
    assert note in cli().stderr  # the overview a bare `triage` prints
    cli("retriage")
    assert "note:" not in cli("queue").stderr
