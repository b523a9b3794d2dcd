"""A database that may be read but not written: reading commands work, writing
ones say plainly that it is read-only, and nothing is changed.

File permissions do not bind root, so when the tests run as root the commands run
in a child process without the capabilities that override them (``setpriv``);
the commands run through click inside that child, one child per case.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl
from sqlalchemy import create_engine, text

from triage.config import Config
from triage.core.models import Outcome
from triage.errors import DatabaseReadOnly
from triage.service.workspace import Workspace

READING = [
    [],
    ["queue", "--json"],
    ["explain", "rec-0001", "--json"],
    ["stats", "--json"],
    ["failure-model", "list", "--json"],
    ["failure-model", "export"],
    ["audit", "verify"],
    ["rules", "suggest", "--json"],
    ["rules", "backtest", "rules"],
]
WRITING = [
    ["pull", "more.jsonl"],
    ["retriage"],
    ["verdict", "rec-0002", "--ok"],
    ["failure-model", "add", "late", "--title", "Late"],
    ["failure-model", "retire", "wrong-date", "--reason", "gone"],
    ["rules", "suggest", "--dismiss", "s-1", "--reason", "not now"],
    ["push"],
]

_DRIVER = """
import json, sys
from click.testing import CliRunner
from triage.cli import main
said = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(main, args)
    bug = result.exception
    said.append({
        "args": args, "code": result.exit_code, "stdout": result.stdout,
        "stderr": result.stderr,
        "bug": None if bug is None or isinstance(bug, SystemExit) else repr(bug),
    })
print(json.dumps(said))
"""


def without_override() -> list[str]:
    """The prefix that makes file permissions bind this process's children."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is missing: permissions cannot bind")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


def run_unprivileged(cli: Cli, commands: list[list[str]]) -> list[dict[str, Any]]:
    env = {**os.environ, **cli.env}  # the test's own data and config folders included
    done = subprocess.run(
        [*without_override(), sys.executable, "-c", _DRIVER, json.dumps(commands)],
        env=env,
        cwd=cli.folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    said: list[dict[str, Any]] = json.loads(done.stdout)
    return said


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A workspace in ``db/``: items, a verdict and a failure mode; nothing open."""
    folder = tmp_path / "db"
    cli = make_cli(tmp_path, f"sqlite:///{folder / 'triage.db'}", monkeypatch)
    write_jsonl(tmp_path / "items.jsonl", [record(n) for n in range(1, 13)])
    write_jsonl(tmp_path / "more.jsonl", [record(n) for n in range(13, 20)])
    cli("pull", "items.jsonl")
    cli("failure-model", "add", "wrong-date", "--title", "Wrong date")
    cli("verdict", "rec-0001", "--fail", "--mode", "wrong-date")
    assert sorted(p.name for p in folder.iterdir()) == ["triage.db"]  # checkpointed
    return cli


def check_reading_works_and_writing_is_refused(cli: Cli, database: Path) -> None:
    expected = {" ".join(args): cli(*args).stdout for args in READING if "--json" in args}
    before = digest(database)
    said = run_unprivileged(cli, READING + WRITING)
    for answer in said[: len(READING)]:
        assert answer["bug"] is None and answer["code"] == 0, answer
        key = " ".join(answer["args"])
        if key in expected:
            assert answer["stdout"] == expected[key]
    for answer in said[len(READING) :]:
        assert answer["bug"] is None and answer["code"] == 1, answer
        lines = answer["stderr"].strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: TRIAGE_DB = sqlite:///"), answer
        assert "the database is read-only" in lines[0], answer
    assert digest(database) == before


def test_a_read_only_file_in_a_writable_folder(cli: Cli) -> None:
    database = cli.folder / "db" / "triage.db"
    database.chmod(0o444)
    check_reading_works_and_writing_is_refused(cli, database)


def test_a_read_only_file_in_a_read_only_folder(cli: Cli) -> None:
    folder = cli.folder / "db"
    database = folder / "triage.db"
    database.chmod(0o444)
    folder.chmod(0o555)
    try:
        check_reading_works_and_writing_is_refused(cli, database)
        assert sorted(p.name for p in folder.iterdir()) == ["triage.db"]
    finally:
        folder.chmod(0o755)


def test_a_writable_file_in_a_read_only_folder(cli: Cli) -> None:
    folder = cli.folder / "db"
    folder.chmod(0o555)
    try:
        said = run_unprivileged(cli, [["queue", "--json"], ["verdict", "rec-0002", "--ok"]])
    finally:
        folder.chmod(0o755)
    assert said[0]["code"] == 0 and len(json.loads(said[0]["stdout"])) == 12
    assert said[1]["code"] == 1 and "the database is read-only" in said[1]["stderr"]


def test_an_old_read_only_database_says_it_needs_upgrading(cli: Cli) -> None:
    database = cli.folder / "db" / "triage.db"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    engine.dispose()
    database.chmod(0o444)
    (answer,) = run_unprivileged(cli, [["queue"]])
    assert answer["bug"] is None and answer["code"] == 1
    message = answer["stderr"].strip()
    assert message.startswith("error: TRIAGE_DB = sqlite:///")
    assert "needs its schema brought up to date (from 0005 to" in message
    assert "but is read-only" in message


# -- PostgreSQL: a read-only session, and a user who may only read --------------


@pytest.fixture
def pg_cli(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, pg_url, monkeypatch)
    write_jsonl(tmp_path / "items.jsonl", [record(n) for n in range(1, 13)])
    write_jsonl(tmp_path / "more.jsonl", [record(n) for n in range(13, 20)])
    cli("pull", "items.jsonl")
    cli("failure-model", "add", "wrong-date", "--title", "Wrong date")
    cli("verdict", "rec-0001", "--fail", "--mode", "wrong-date")
    return cli


@pytest.mark.postgres
def test_a_read_only_postgresql_session(pg_cli: Cli) -> None:
    expected = {" ".join(args): pg_cli(*args).stdout for args in READING if "--json" in args}
    pg_cli.env["TRIAGE_DB"] += "%20-cdefault_transaction_read_only%3Don"
    for args in READING:
        result = pg_cli(*args)
        if " ".join(args) in expected:
            assert result.stdout == expected[" ".join(args)]
    for args in WRITING:
        result = pg_cli(*args, ok=False)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: TRIAGE_DB = postgresql+psycopg://")
        assert "the database is read-only (the server allows only read-only" in result.stderr


@pytest.mark.postgres
def test_a_postgresql_user_who_may_only_read(pg_cli: Cli, pg_url: str) -> None:
    base, options = pg_url.split("?", 1)
    role = f"reader_{os.getpid()}"
    admin = create_engine(pg_url)
    schema = options.split("%3D", 1)[1]
    with admin.begin() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}"))
    url = base.replace("postgres@", f"{role}@", 1) + "?" + options
    try:
        ws = Workspace.open(Config(url, pg_cli.rules, "ana"))
        try:
            assert len(ws.queue()) == 12 and ws.explain("rec-0001").verdict is not None
            with pytest.raises(DatabaseReadOnly, match="permission denied"):
                ws.record_verdict("rec-0002", reviewer="ana", outcome=Outcome.OK)
        finally:
            ws.close()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}"))
            conn.execute(text(f"REVOKE ALL ON SCHEMA {schema} FROM {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()
