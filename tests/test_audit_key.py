"""The audit key: where it comes from, how it is kept, and what is refused."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl
from sqlalchemy import create_engine, text

from triage.config.locations import audit_key_path
from triage.errors import ConfigError
from triage.storage import seal
from triage.storage.store import Store

KEY = "".join(f"{n * 7 % 256:02x}" for n in range(32))


@pytest.fixture
def no_key_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reviewer on their own: no TRIAGE_AUDIT_KEY, so the key file is used."""
    monkeypatch.delenv("TRIAGE_AUDIT_KEY", raising=False)


@pytest.mark.usefixtures("no_key_variable")
def test_the_key_file_is_made_on_first_use_for_the_owner_only(sqlite_url: str) -> None:
    path = audit_key_path()
    assert not path.exists()
    store = Store.open(sqlite_url)
    first = store.verify_audit().key
    store.close()
    assert path.exists() and first is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(path.read_text().strip()) == 64
    assert [p.name for p in path.parent.iterdir()] == ["audit.key"]  # no temporary left
    again = Store.open(sqlite_url)
    assert again.verify_audit().key == first and again.verify_audit().ok
    again.close()


@pytest.mark.usefixtures("no_key_variable")
def test_processes_creating_the_key_at_once_end_up_with_one_key() -> None:
    found: list[str] = []
    gate = threading.Barrier(8)

    def load() -> None:
        gate.wait()
        key = seal.load_key(create=True)
        assert key is not None
        found.append(key.fingerprint)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = seal.parse_key(audit_key_path().read_text(), "file")
    assert set(found) == {on_disk.fingerprint}


@pytest.mark.usefixtures("no_key_variable")
def test_a_key_file_others_may_read_is_refused(sqlite_url: str) -> None:
    Store.open(sqlite_url).close()
    path = audit_key_path()
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="may be read by others.*chmod 600"):
        seal.load_key(create=False)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "is not a key"),
        ("correct horse battery staple", "is not a key"),
        ("abcd" * 8, "holds 16 bytes"),
        ("00" * 32, "too weak"),
        ("0123" * 16, "too weak"),
    ],
)
def test_a_bad_environment_key_is_a_clear_error(
    value: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_AUDIT_KEY", value)
    with pytest.raises(ConfigError, match=why) as caught:
        seal.load_key(create=True)
    assert "TRIAGE_AUDIT_KEY" in str(caught.value)
    assert not value or value not in str(caught.value)
    assert not audit_key_path().exists()  # a bad variable never falls back to a file


def test_hex_and_base64_spell_the_same_key() -> None:
    raw = bytes.fromhex(KEY)
    spellings = [
        KEY,
        KEY.upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        f"  {KEY}\n",
    ]
    assert {seal.parse_key(s, "test").fingerprint for s in spellings} == {seal.fingerprint(raw)}


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    cli.env["TRIAGE_AUDIT_KEY"] = KEY  # a team's shared key, set before first use
    cli("pull", str(write_jsonl(tmp_path / "a.jsonl", [record(1), record(2)])))
    return cli


def test_verify_prints_the_fingerprint_never_the_key(cli: Cli) -> None:
    cli("verdict", "rec-0001", "--ok")
    shown = cli("audit", "verify")
    fingerprint = seal.parse_key(KEY, "test").fingerprint
    assert f"key in force: {fingerprint} (from TRIAGE_AUDIT_KEY)" in shown.stdout
    assert "audit log intact: 1 entries" in shown.stdout
    assert KEY not in shown.stdout + shown.stderr
    assert cli("audit", "key").stdout.strip() == f"{fingerprint} (from TRIAGE_AUDIT_KEY)"
    generated = cli("audit", "key", "--generate").stdout.strip()
    assert len(generated) == 64 and seal.parse_key(generated, "new").fingerprint


def test_verify_lists_every_problem_and_exits_1(cli: Cli) -> None:
    cli("verdict", "rec-0001", "--ok")
    cli("verdict", "rec-0002", "--fail")
    engine = create_engine(cli.env["TRIAGE_DB"])
    with engine.begin() as conn:
        conn.execute(text("update audit set actor = 'mallory' where seq = 1"))
        conn.execute(text("update verdict set note = 'edited' where pk = 2"))
    engine.dispose()
    broken = cli("audit", "verify", ok=False)
    assert broken.exit_code == 1
    lines = broken.stderr.splitlines()
    assert lines[0] == "audit log broken at entry 1: entry 1 was altered (its seal does not match)"
    assert "verdict row 2 (item files:rec-0002) was altered after entry 2 recorded it" in lines[1]
    result = cli("audit", "verify", "--json", ok=False)
    found = json.loads(result.stdout)
    assert found["ok"] is False
    assert [(p["kind"], p.get("seq"), p.get("row")) for p in found["problems"]] == [
        ("altered", 1, None),
        ("row_altered", 2, 2),
    ]


def test_a_bad_key_variable_stops_the_command_with_one_line(cli: Cli) -> None:
    cli.env["TRIAGE_AUDIT_KEY"] = "deadbeef"
    failed = cli("verdict", "rec-0001", "--ok", ok=False)
    assert failed.exit_code == 1
    assert failed.stderr.startswith("error: TRIAGE_AUDIT_KEY holds 4 bytes")
    assert "Traceback" not in failed.stderr and "deadbeef" not in failed.stderr
