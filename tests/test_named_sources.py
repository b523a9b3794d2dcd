"""Named sources: pull them all with no argument, resume where the last pull stopped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import record, write_jsonl
from servers import Received, Reply, serving

from triage.config import load_config
from triage.service.workspace import Workspace
from triage.storage import source_state


class Pages:
    """Three pages; page 3 fails while ``broken`` is set."""

    def __init__(self) -> None:
        self.broken = True
        self.seen: list[str] = []

    def body(self, path: str) -> tuple[int, bytes]:
        self.seen.append(path)
        pages = {
            "/items": ({"items": [record(1), record(2)], "next": "/items?page=2"}),
            "/items?page=2": ({"items": [record(3)], "next": "/items?page=3"}),
            "/items?page=3": ({"items": [record(4)], "next": None}),
        }
        if path == "/items?page=3" and self.broken:
            return 500, b"down"
        return 200, json.dumps(pages[path]).encode()


@pytest.fixture
def endpoint() -> Iterator[tuple[str, Pages]]:
    pages = Pages()

    def answer(request: Received) -> Reply:
        status, body = pages.body(request.path)
        return Reply(status, body)

    with serving(answer) as server:
        yield server.url, pages


def test_an_interrupted_pull_resumes_at_the_last_stored_page(
    tmp_path: Path, db_url: str, endpoint: tuple[str, Pages], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, pages = endpoint
    write_jsonl(tmp_path / "local.jsonl", [record(10), record(11)])
    (tmp_path / "triage.toml").write_text(
        f'database = "{db_url}"\n'
        f'[sources.helpdesk]\nkind = "http"\nurl = "{base}/items"\n'
        '[sources.local]\nkind = "jsonl"\npath = "local.jsonl"\n'
    )
    monkeypatch.setattr("triage.platforms.http.time.sleep", lambda seconds: None)
    ws = Workspace.open(load_config(str(tmp_path / "triage.toml")))
    try:
        first = ws.pull()  # every configured source
        assert first.new == 5 and len(first.errors) == 1
        assert any("page=3" in e or "500" in e for e in first.errors)
        state = source_state.load(ws.store.engine, "helpdesk")
        assert state is not None and state.position is not None and "page=3" in state.position

        pages.broken = False
        pages.seen.clear()
        second = ws.pull(["helpdesk"])
        assert (second.new, second.unchanged, second.errors) == (1, 0, [])
        assert pages.seen == ["/items?page=3"]  # nothing fetched twice
        done = source_state.load(ws.store.engine, "helpdesk")
        assert done is not None and done.position is None and done.since is not None
        assert ws.store.count_items() == 6
    finally:
        ws.close()
