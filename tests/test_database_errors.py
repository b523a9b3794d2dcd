"""A bad database URL, an unreachable server, a full disk or a busy database is one
plain ``error:`` line from every command: never a traceback.

The commands run in-process through click with ``catch_exceptions=False``, so any
error that is not one of triage's own would fail the test with its traceback; a
few also run as a real process, to check what stderr really shows.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from clitools import Cli, make_cli
from factories import record, write_jsonl
from sqlalchemy import Engine, event, text

from triage.errors import StorageError
from triage.storage import failures
from triage.storage.engine import HEAD, make_engine
from triage.storage.store import Store

READING = [
    ("queue", "--json"),
    ("explain", "rec-0001"),
    ("stats", "--json"),
    ("failure-model", "list", "--json"),
    ("failure-model", "export"),
    ("audit", "verify"),
    ("rules", "suggest", "--json"),
]
WRITING = [
    ("pull", "items.jsonl"),
    ("retriage",),
    ("verdict", "rec-0001", "--ok"),
    ("failure-model", "add", "wrong-date", "--title", "Wrong date"),
    ("rules", "suggest", "--dismiss", "s-1", "--reason", "not now"),
]
EVERY = READING + WRITING
SOME = [("queue",), ("pull", "items.jsonl"), ("verdict", "rec-0001", "--ok")]


def refused(cli: Cli, *args: str) -> str:
    """Run a command that must fail: exit 1 and a single ``error:`` line; its message."""
    result: Result = cli(*args, ok=False)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, (args, result.stdout, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
    assert "Traceback" not in result.stderr
    return lines[0].removeprefix("error: ")


@pytest.fixture
def cli(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A workspace with 40 triaged items (and ``items.jsonl`` to pull again)."""
    cli = make_cli(tmp_path, sqlite_url, monkeypatch)
    write_jsonl(tmp_path / "items.jsonl", [record(n) for n in range(1, 41)])
    cli("pull", "items.jsonl")
    write_jsonl(tmp_path / "items.jsonl", [record(n, output="x" * 3000) for n in range(41, 61)])
    return cli


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BAD_URLS = [
    ("mysql+nope://db/x", "'mysql+nope' databases are not supported"),
    ("foo://bar", "'foo' databases are not supported"),
    ("not a url", "not a database URL"),
    ("sqlite:/x", "not a database URL"),
    ("sqlite://host/x.db", "a SQLite URL has no host"),
    ("sqlite:///data/my?db.sqlite", "SQLite takes no options"),
    ("postgresql+psycopg2://ana@db/x", "the driver 'postgresql+psycopg2' is not supported"),
    ("postgresql+psycopg://ana:s3cret@db:notaport/x", "not a PostgreSQL URL that can be read"),
]


@pytest.mark.parametrize(("url", "problem"), BAD_URLS)
@pytest.mark.parametrize("command", SOME, ids=lambda c: c[0])
def test_a_bad_url_is_one_sentence_naming_the_setting(
    cli: Cli, url: str, problem: str, command: tuple[str, ...]
) -> None:
    cli.env["TRIAGE_DB"] = url
    message = refused(cli, *command)
    assert message.startswith("TRIAGE_DB = ") and problem in message
    assert "s3cret" not in message


def test_a_folder_or_an_uncreatable_folder_is_named(cli: Cli, tmp_path: Path) -> None:
    cli.env["TRIAGE_DB"] = f"sqlite:///{tmp_path}"
    assert f"{tmp_path} is a folder, not a database file" in refused(cli, "queue")
    blocker = tmp_path / "plain-file"
    blocker.write_text("")
    cli.env["TRIAGE_DB"] = f"sqlite:///{blocker / 'sub' / 'triage.db'}"
    assert f"cannot create the folder {blocker / 'sub'}" in refused(cli, "pull", "items.jsonl")


def test_a_file_that_is_not_a_database_is_named(cli: Cli, tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list\n" * 200)
    cli.env["TRIAGE_DB"] = str(notes)
    assert "the file is not a SQLite database" in refused(cli, "stats")
    assert notes.read_text().startswith("shopping list")


def test_the_setting_in_triage_toml_is_named(cli: Cli, tmp_path: Path) -> None:
    toml = tmp_path / "triage.toml"
    del cli.env["TRIAGE_DB"]
    toml.write_text('database = "mongodb://ana:s3cret@db/x"\n')
    message = refused(cli, "queue")
    assert message.startswith(f"`database` in {toml} = mongodb://ana:***@db/x: ")
    assert "s3cret" not in message


@pytest.mark.parametrize(
    ("where", "remedy"),
    [
        ("127.0.0.1:{port}/test", "check that the server is running"),
        ("127.0.0.1:5432/no_such_database_here", "create the database"),
        ("127.0.0.1:5432/test?connect_timeout=2&no_such_option=1", "correct the options"),
    ],
    ids=["closed-port", "unknown-database", "unknown-option"],
)
@pytest.mark.parametrize("command", EVERY, ids=lambda c: "-".join(c[:2]))
@pytest.mark.postgres
def test_postgresql_refusing_is_one_sentence(
    cli: Cli, pg_schema_url: str, where: str, remedy: str, command: tuple[str, ...]
) -> None:
    cli.env["TRIAGE_DB"] = "postgresql+psycopg://postgres:s3cret@" + where.format(
        port=closed_port()
    )
    message = refused(cli, *command)
    assert message.startswith("TRIAGE_DB = postgresql+psycopg://postgres:***@")
    assert "cannot reach the database" in message and remedy in message
    assert "s3cret" not in message


@pytest.mark.postgres
def test_an_unknown_postgresql_user_is_told_to_check_it(cli: Cli, pg_schema_url: str) -> None:
    cli.env["TRIAGE_DB"] = "postgresql+psycopg://nobody_by_that_name:pw@127.0.0.1:5432/test"
    message = refused(cli, "queue")
    assert "nobody_by_that_name" in message and "check the user name and password" in message


def test_an_unreachable_server_in_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRIAGE_")}
    env |= {
        "TRIAGE_DB": f"postgresql+psycopg://ana:s3cret@127.0.0.1:{closed_port()}/x",
        "TRIAGE_DATA_DIR": str(tmp_path / "data"),
        "TRIAGE_CONFIG_DIR": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "triage", "queue"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: TRIAGE_DB = postgresql+psycopg://ana:***@127.0.0.1:")
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr


# -- a full disk: SQLite's page limit set to the database's size on every connection --


@pytest.fixture
def full_disk() -> Iterator[None]:
    def cap(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            (pages,) = dbapi_connection.execute("PRAGMA page_count").fetchone()
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(Engine, "connect", cap)


@pytest.mark.parametrize(
    "command",
    [
        ("pull", "items.jsonl"),
        ("retriage",),
        ("verdict", "rec-0001", "--fail", "--note", "n" * 20000),
        ("failure-model", "add", "long", "--title", "t", "--look-for", "l" * 20000),
    ],
    ids=lambda c: c[0] if c[0] != "failure-model" else "failure-model-add",
)
def test_a_full_disk_is_one_sentence_and_nothing_is_half_stored(
    cli: Cli, full_disk: None, command: tuple[str, ...]
) -> None:
    before = cli.json("queue", "--lane", "scan")
    message = refused(cli, *command)
    assert message.startswith("TRIAGE_DB = sqlite:///")
    assert "the disk (or the database's size limit) is full, so nothing was stored" in message
    assert "free some space" in message
    assert cli.json("queue", "--lane", "scan") == before
    assert cli.json("explain", "rec-0001")["verdict"] is None


def test_a_busy_database_is_one_sentence(
    cli: Cli, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "BUSY_SECONDS", 1)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        message = refused(cli, "verdict", "rec-0001", "--ok")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "the database is busy: another process kept it locked" in message
    assert "try again when that process has finished" in message
    assert cli.json("explain", "rec-0001")["verdict"] is None


def test_a_database_from_a_newer_triage_is_refused_plainly(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    try:
        with pytest.raises(StorageError) as refused:
            Store.open(db_url)
    finally:  # the PostgreSQL schema is shared by the whole run
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": HEAD})
        engine.dispose()
    message = str(refused.value)
    assert "the database's schema is at revision 0999, which this version" in message
    assert "upgrade triage, or name the right database" in message
