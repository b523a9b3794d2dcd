"""The daily loop against real-shaped sources, end to end through the CLI: pull
yesterday from a Langfuse-shaped server, judge, push the verdict back as a score;
pull files in each platform format."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from clitools import Cli, make_cli
from sqlalchemy import create_engine, text

PK, SK = "pk-lf-cli-0001", "sk-lf-cli-never-stored-9f3a"
FIXTURES = Path(__file__).parent / "fixtures" / "sources"


class Langfuse:
    """Just enough of Langfuse: one page of root observations, and scores."""

    def __init__(self) -> None:
        self.scores: list[dict[str, Any]] = []
        self.auth: list[str] = []
        self.down = False

    def observations(self) -> dict[str, Any]:
        return {
            "data": [
                {
                    "id": "obs-1", "traceId": "tr-1", "type": "GENERATION", "name": "refund",
                    "isRootObservation": True, "startTime": "2026-11-20T09:00:00Z",
                    "input": json.dumps([{"role": "user", "content": "Refund order LL-1?"}]),
                    "output": json.dumps({"role": "assistant", "content": "Refunded 450 EUR."}),
                    "providedModelName": "gpt-4o-mini", "traceName": "billing-agent",
                    "level": "DEFAULT", "metadata": {},
                }
            ],
            "meta": {"cursor": None},
        }  # fmt: skip


@pytest.fixture
def langfuse() -> Iterator[tuple[str, Langfuse]]:
    state = Langfuse()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            state.auth.append(self.headers.get("Authorization", ""))
            self._send(200, state.observations())

        def do_POST(self) -> None:  # noqa: N802
            if state.down:
                self._send(503, {"message": "maintenance"})
                return
            length = int(self.headers.get("Content-Length", 0))
            state.scores.append(json.loads(self.rfile.read(length)))
            self._send(200, {"id": state.scores[-1].get("id")})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


@pytest.fixture
def cli(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return make_cli(tmp_path, sqlite_url, monkeypatch)


def test_pull_judge_and_push_back_to_langfuse(cli: Cli, langfuse: tuple[str, Langfuse]) -> None:
    host, state = langfuse
    (cli.folder / "triage.toml").write_text(
        f'[sources.lf]\nkind = "langfuse"\nurl = "{host}"\npublic_key_env = "LF_PK"\n'
        'secret_key_env = "LF_SK"\nwrite_back = true\n'
    )
    cli.env.update(LF_PK=PK, LF_SK=SK)
    pulled = cli.json("pull")  # every configured source
    assert pulled["new"] == 1 and pulled["errors"] == []
    basic = "Basic " + base64.b64encode(f"{PK}:{SK}".encode()).decode()
    assert state.auth == [basic]
    ex = cli.json("explain", "obs-1")
    assert ex["source"] == "lf" and ex["task_type"] == "refund"

    state.down = True
    cli("verdict", "obs-1", "--fail", "--mode", "refund-over-policy", "--note", "over limit")
    down = cli("push", "--json", ok=False)
    assert down.exit_code == 1 and json.loads(down.stdout)["failed"]
    assert state.scores == []

    state.down = False
    sent = cli.json("push")
    assert len(sent["sent"]) == 1 and not sent["failed"] and not sent["pending"]
    (score,) = state.scores
    assert score["traceId"] == "tr-1" and score["name"] == "reviewer_verdict"
    assert score["value"] == "fail" and score["dataType"] == "CATEGORICAL"
    assert "refund-over-policy" in score["comment"] and "over limit" in score["comment"]
    again = cli.json("push")
    assert again["sent"] == [] and len(state.scores) == 1  # nothing sent twice

    engine = create_engine(cli.env["TRIAGE_DB"])
    with engine.connect() as conn:
        tables = [
            r[0] for r in conn.execute(text("select name from sqlite_master where type='table'"))
        ]
        for table in tables:
            for row in conn.execute(text(f"select * from {table}")):
                assert SK not in repr(tuple(row)) and PK not in repr(tuple(row)), table
    engine.dispose()


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in FIXTURES.iterdir()) if FIXTURES.is_dir() else [],
)
def test_every_platform_fixture_pulls_through_the_cli(cli: Cli, name: str) -> None:
    report = cli.json("pull", str(FIXTURES / name))
    assert report["new"] > 0 and report["errors"] == []
    assert sum(report["lanes"].values()) == report["new"]
