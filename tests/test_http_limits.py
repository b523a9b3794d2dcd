"""HTTP pages are bounded like file records, and NaN in a page rejects only its record.

Real loopback servers: a page whose body (or whose gzip-decoded body) is over the
limit is refused without being held whole; a record holding ``NaN`` or an infinity is
rejected by position while the rest of the page is stored; ``[limits]
max_record_bytes`` in triage.toml sets the limit for files and pages alike.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from clitools import Cli, make_cli
from servers import Received, Reply, serving

from triage.config import load_config
from triage.errors import ConfigError, SourceError
from triage.platforms.http import read_http


def record(n: int, **fields: object) -> dict[str, object]:
    return {
        "id": f"r-{n}",
        "created_at": "2026-11-20T09:00:00Z",
        "agent": "bot",
        "task_type": "reply",
        "input": f"question {n}",
        "output": f"answer {n}",
        "model": "m-1",
        **fields,
    }


@pytest.fixture
def cli(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return make_cli(tmp_path, sqlite_url, monkeypatch)


def test_a_page_over_the_limit_is_refused_by_its_declared_length() -> None:
    big = json.dumps([record(1, output="x" * 50_000)]).encode()
    with serving(lambda _: Reply(200, big, {"Content-Type": "application/json"})) as server:
        with pytest.raises(SourceError, match="body over 10,000 bytes"):
            list(read_http(server.url + "/items", source="s", max_page_bytes=10_000))


def test_a_gzip_bomb_page_is_cut_off_after_decoding_not_held_whole() -> None:
    # 40 MB of spaces inside a JSON list compresses to about 40 KB.
    inflated = b"[" + b" " * 40_000_000 + b"]"
    bomb = gzip.compress(inflated, compresslevel=9)
    assert len(bomb) < 100_000
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    with serving(lambda _: Reply(200, bomb, headers)) as server:
        with pytest.raises(SourceError, match="body over 1,000,000 bytes"):
            list(read_http(server.url + "/items", source="s", max_page_bytes=1_000_000))
        # Refused at once: a body too long will not get shorter, so it is not retried.
        assert len(server.received) == 1


def test_a_page_within_the_limit_still_reads() -> None:
    page = json.dumps([record(1), record(2)]).encode()
    with serving(lambda _: Reply(200, gzip.compress(page), {"Content-Encoding": "gzip"})) as s:
        batches = list(read_http(s.url + "/items", source="s", max_page_bytes=len(page)))
    assert [item.id for batch in batches for item in batch.items] == ["r-1", "r-2"]


def test_nan_in_a_page_rejects_that_record_only_and_is_not_retried() -> None:
    body = (
        '{"items": [' + json.dumps(record(1)) + ', {"id": "r-2", "created_at": '
        '"2026-11-20T09:00:00Z", "agent": "bot", "task_type": "reply", "input": "q", '
        '"output": "a", "model": "m", "meta": {"amount": NaN}}, '
        + json.dumps(record(3, meta={"score": 1e999}))
        + "]}"
    )

    def answer(_: Received) -> Reply:
        return Reply(200, body.encode(), {"Content-Type": "application/json"})

    with serving(answer) as server:
        batches = list(read_http(server.url + "/items", source="s"))
        assert len(server.received) == 1
    stored = [item.id for batch in batches for item in batch.items]
    rejected = [(r.line, r.reason) for batch in batches for r in batch.rejected]
    assert stored == ["r-1"]
    assert [line for line, _ in rejected] == [2, 3]
    assert "'meta.amount' is NaN" in rejected[0][1]
    assert "meta.score" in rejected[1][1]


def test_limits_in_triage_toml_reach_file_pulls(cli: Cli) -> None:
    (cli.folder / "triage.toml").write_text("[limits]\nmax_record_bytes = 2048\n")
    lines = [json.dumps(record(1)), json.dumps(record(2, output="y" * 5000))]
    (cli.folder / "day.jsonl").write_text("\n".join(lines) + "\n")
    report = cli.json("pull", str(cli.folder / "day.jsonl"), "--json")
    assert report["new"] == 1
    assert report["rejected"][0]["line"] == 2
    assert "over the limit of 2,048 bytes" in report["rejected"][0]["reason"]


def test_limits_in_triage_toml_reach_http_pulls(cli: Cli) -> None:
    (cli.folder / "triage.toml").write_text("[limits]\nmax_record_bytes = 2048\n")
    big = json.dumps([record(1, output="z" * 5000)]).encode()
    with serving(lambda _: Reply(200, big, {"Content-Type": "application/json"})) as server:
        result = cli("pull", server.url + "/items", "--json", ok=False)
    report = json.loads(result.stdout)
    assert report["new"] == 0
    assert any("body over 2,048 bytes" in error for error in report["errors"])


@pytest.mark.parametrize("value", ["0", "100", "-5", '"big"', "1.5e9"])
def test_a_bad_limit_is_refused_with_its_place(tmp_path: Path, value: str) -> None:
    path = tmp_path / "triage.toml"
    path.write_text(f"[limits]\nmax_record_bytes = {value}\n")
    with pytest.raises(ConfigError, match=r"limits\.max_record_bytes"):
        load_config(str(path))
