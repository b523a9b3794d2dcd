"""Pulling from an HTTP endpoint on 127.0.0.1, with a credential from the environment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record
from servers import Received, Reply, serving
from sqlalchemy import create_engine, text

SECRET = "sk-live-3f9a0c1e-never-store-me"


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[str]]]:
    pages = {
        "/items": {"items": [record(1), record(2), {"id": "bad"}], "next": "/items?page=2"},
        "/items?page=2": {"items": [record(3)], "next": None},
    }
    seen_auth: list[str] = []

    def answer(request: Received) -> Reply:
        seen_auth.append(request.headers.get("authorization", ""))
        if request.headers.get("authorization") != f"Bearer {SECRET}":
            return Reply(401)
        return Reply.json(pages[request.path])

    with serving(answer) as server:
        yield server.url, seen_auth


@pytest.fixture
def cli(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return make_cli(tmp_path, sqlite_url, monkeypatch)


def configure(cli: Cli, base: str) -> None:
    (cli.folder / "triage.toml").write_text(
        f'[sources.helpdesk]\nkind = "http"\nurl = "{base}/items"\ntoken_env = "HELPDESK_TOKEN"\n'
    )


def test_pull_by_name_pages_through_and_keeps_the_secret_out(
    cli: Cli, endpoint: tuple[str, list[str]]
) -> None:
    base, seen = endpoint
    configure(cli, base)
    cli.env["HELPDESK_TOKEN"] = SECRET
    result = cli("pull", "helpdesk", "--json")
    report = json.loads(result.stdout)
    assert report["new"] == 3 and len(report["rejected"]) == 1
    assert report["rejected"][0]["line"] == 3
    assert seen == [f"Bearer {SECRET}"] * 2
    assert cli.json("explain", "rec-0001")["source"] == "helpdesk"

    # The same endpoint named by URL uses the configured credential and source name.
    again = json.loads(cli("pull", f"{base}/items", "--json").stdout)
    assert again["unchanged"] == 3 and again["new"] == 0

    assert SECRET not in result.stdout + result.stderr
    engine = create_engine(cli.env["TRIAGE_DB"])
    with engine.connect() as conn:
        tables = [
            r[0] for r in conn.execute(text("select name from sqlite_master where type='table'"))
        ]
        for table in tables:
            for row in conn.execute(text(f"select * from {table}")):
                assert SECRET not in repr(tuple(row)), table
    engine.dispose()
    db_file = Path(cli.env["TRIAGE_DB"].removeprefix("sqlite:///"))
    for path in db_file.parent.glob(db_file.name + "*"):
        assert SECRET.encode() not in path.read_bytes()


def test_missing_or_refused_credentials_say_which_variable(
    cli: Cli, endpoint: tuple[str, list[str]]
) -> None:
    base, _ = endpoint
    configure(cli, base)
    missing = cli("pull", "helpdesk", ok=False)
    assert missing.exit_code == 1
    assert "HELPDESK_TOKEN is not set" in missing.stderr

    cli.env["HELPDESK_TOKEN"] = "tok-not-valid-4711"
    refused = cli("pull", "helpdesk", ok=False)
    assert refused.exit_code == 1 and "$HELPDESK_TOKEN" in refused.stderr
    assert "tok-not-valid-4711" not in refused.stderr


def test_secrets_in_the_config_file_are_refused(cli: Cli) -> None:
    (cli.folder / "triage.toml").write_text(
        '[sources.helpdesk]\nkind = "http"\nurl = "http://127.0.0.1:9/x"\napi_key = "sk-123"\n'
    )
    result = cli("queue", ok=False)
    assert result.exit_code == 1
    assert "secrets do not belong in triage.toml" in result.stderr
    assert "sk-123" not in result.stderr


def test_unknown_source_is_a_clear_error(cli: Cli) -> None:
    result = cli("pull", "nowhere.jsonl", ok=False)
    assert result.exit_code == 1
    assert "nowhere.jsonl: not a file, folder, http(s) URL or configured source" in result.stderr
