"""One module per platform, one registry: a platform added as one new adapter module is
known to configuration, detection, ``triage pull --format``, named sources and
``triage push`` at once, and listing the platforms loads nothing heavy.

The new platforms here are written as the README's "Adding a source" says: a module in
``triage/platforms/adapters/`` (here a folder added to that package's search path)
defining ``ADAPTER``, and nothing else anywhere."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from clitools import make_cli
from servers import Received, Reply, serving

import triage.platforms.adapters as adapters
from triage.config import Config, ConfigError, load_config
from triage.core.models import Outcome
from triage.platforms import SourceError, detect, registry
from triage.platforms.detect import detect_format, read_file_source
from triage.platforms.writeback import platform_id
from triage.service.workspace import Workspace

FAKELOG = '''
"""Fakelog: one JSON record per line, ``{"fakelog": 1, "ref", "at", "q", "a"}``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

from triage.platforms.base import FileAdapter, FileFormat, Recognised, Strength
from triage.platforms.common import Context, Emitted, make_item


def _read(path: Path, ctx: Context) -> Iterator[Emitted]:
    for line in path.read_text().splitlines():
        record = json.loads(line)
        yield make_item(
            ctx=ctx, id=record["ref"], created_at=datetime.fromisoformat(record["at"]),
            agent="fake-agent", task_type="fake-task", input=record["q"],
            output=record["a"], model="fake-1",
        )


class Fakelog(FileAdapter):
    kind = "fakelog"
    title = "Fakelog"
    formats = (
        FileFormat("fakelog", 'Fakelog records ({"fakelog":1,…})', records=_read,
                   suffixes=(".fake",)),
    )
    default_format = "fakelog"

    def sniff(self, record: Mapping[str, object]) -> Recognised | None:
        return Recognised("fakelog", Strength.MARKER) if "fakelog" in record else None


ADAPTER = Fakelog()
'''

FAKEHUB = '''
"""Fakehub: items from ``GET {url}/api/items``, verdicts back by ``POST {url}/api/verdicts``."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from triage.errors import InvalidInput, SourceError
from triage.platforms import Batch
from triage.platforms.api import api_base
from triage.platforms.base import Adapter, Missing, Pullable
from triage.platforms.common import Context, make_item
from triage.platforms.origins import Credential, request


class Fakehub(Adapter):
    kind = "fakehub"
    title = "Fakehub"
    credentials = ("token_env",)
    default_host = "https://fakehub.invalid"
    writes_back = True

    def open(self, name, source, config, *, stored_as, in_force) -> Pullable:
        keys = self.keys(source, os.environ)
        if isinstance(keys, Missing):
            raise SourceError(keys.for_pull(name))
        base = api_base(source.url, self.default_host)
        credential = Credential.to(base, self.headers(keys, source, os.environ))
        ctx = Context(source=stored_as)

        def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
            with httpx.Client() as client:
                url = base.join("api/items")
                answer = request(client, "GET", url, credential=credential, where=str(url))
            items = [
                make_item(
                    ctx=ctx, id=r["id"], created_at=datetime.fromisoformat(r["at"]),
                    agent="hub-agent", task_type="hub-task", input=r["q"], output=r["a"],
                    model="hub-1", meta={"fakehub_id": r["id"]},
                )
                for r in answer.json()
            ]
            yield Batch(items, [], len(items), len(items))

        return Pullable(name, stored_as, read, source.token_env, resumable=True)

    def headers(self, keys: Sequence[str], source, environ) -> dict[str, str]:
        return {"X-Fake-Token": keys[0]}

    def payload(self, verdict, item, *, score_name, undoes=None) -> dict[str, Any]:
        from triage.platforms.writeback import platform_id, value

        if "fakehub_id" not in item.meta:
            raise InvalidInput("not a fakehub item")
        return {"id": platform_id(verdict.key), "item": item.meta["fakehub_id"],
                "name": score_name, "value": value(verdict)}

    def request(self, payload: Mapping[str, Any], base: httpx.URL):
        return "POST", base.join("api/verdicts"), dict(payload)


ADAPTER = Fakehub()
'''


@pytest.fixture
def new_platforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Fakelog and Fakehub, each one module dropped into the adapters package."""
    folder = tmp_path / "more_adapters"
    folder.mkdir()
    (folder / "fakelog.py").write_text(textwrap.dedent(FAKELOG))
    (folder / "fakehub.py").write_text(textwrap.dedent(FAKEHUB))
    monkeypatch.setattr(adapters, "__path__", [*adapters.__path__, str(folder)])
    registry.adapters.cache_clear()
    yield folder
    registry.adapters.cache_clear()
    for name in ("fakelog", "fakehub"):
        sys.modules.pop(f"{adapters.__name__}.{name}", None)


def fakelog_file(path: Path) -> Path:
    path.write_text(
        '{"fakelog": 1, "ref": "f-1", "at": "2026-08-03T09:00:00+00:00", "q": "hi", "a": "yo"}\n'
        '{"fakelog": 1, "ref": "f-2", "at": "2026-08-03T09:05:00+00:00", "q": "hm", "a": "ok"}\n'
    )
    return path


# --- the platforms as they ship -----------------------------------------------------------


def test_every_platform_is_one_adapter() -> None:
    assert registry.kinds() == (
        "http",
        "jsonl",
        "langfuse",
        "langsmith",
        "openclaw",
        "otlp",
        "promptfoo",
    )
    assert registry.format_names() == (
        "jsonl",
        "openclaw-session",
        "openclaw-trajectory",
        "otlp",
        "promptfoo",
    )
    assert [a.kind for a in registry.adapters() if a.writes_back] == ["langfuse", "langsmith"]
    assert registry.url_adapter().kind == "http"
    assert registry.source_names().formats == (
        "openclaw-session",
        "openclaw-trajectory",
        "otlp",
        "promptfoo",
    )


@pytest.mark.parametrize(
    ("table", "where", "words"),
    [
        (
            'kind = "ftp"',
            "sources.x.kind",
            "Input should be 'http', 'jsonl', 'langfuse', 'langsmith', 'openclaw', 'otlp' "
            "or 'promptfoo'",
        ),
        ("kind = 3", "sources.x.kind", "Input should be 'http', 'jsonl'"),
        (
            'kind = "openclaw"\nformat = "csv"',
            "sources.x.format",
            "Input should be 'openclaw-session', 'openclaw-trajectory', 'otlp' or 'promptfoo'",
        ),
        ('kind = "jsonl"\nformat = "jsonl"', "sources.x.format", "Input should be"),
    ],
)
def test_config_refuses_what_no_platform_declares(
    tmp_path: Path, table: str, where: str, words: str
) -> None:
    path = tmp_path / "triage.toml"
    path.write_text(f"[sources.x]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    assert str(caught.value).startswith(f"{path}: {where}: {words}")


def test_listing_the_platforms_loads_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from triage.cli import main\n"
        "heavy = ('httpx', 'pydantic', 'sqlalchemy', 'textual')\n"
        "result = CliRunner().invoke(main, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'triage.platforms.registry' not in sys.modules\n"
        "result = CliRunner().invoke(main, ['pull', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'jsonl|openclaw-session|openclaw-trajectory|otlp|promptfoo' in result.output\n"
        "assert 'triage.platforms.adapters.langfuse' in sys.modules\n"
        "loaded = [name for name in heavy if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --- a platform added as one module ---------------------------------------------------------


def test_a_new_module_is_a_new_platform_everywhere(
    new_platforms: Path, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "fakelog" in registry.kinds() and "fakehub" in registry.kinds()
    assert "fakelog" in detect.FORMATS and detect.FORMATS[-1] == "jsonl"  # native stays last

    # Detection: by content, in a folder (its own suffix is looked at), and forced.
    data = tmp_path / "data"
    data.mkdir()
    fakelog_file(data / "day.fake")
    (data / "notes.txt").write_text("not read")
    assert detect_format(data / "day.fake") == "fakelog"
    items = [i for b in read_file_source(data, source="files") for i in b.items]
    assert sorted(i.id for i in items) == ["f-1", "f-2"]
    forced = [i for b in read_file_source(data, source="s", format="fakelog") for i in b.items]
    assert len(forced) == 2
    with pytest.raises(SourceError, match="Fakelog records"):
        read_file_source(data / "notes.txt", source="s")  # "looked for" names it too

    # The command line: --format offers it and reads with it; a path is detected.
    cli = make_cli(tmp_path, db_url, monkeypatch)
    assert "fakelog" in cli("pull", "--help").stdout
    report = cli.json("pull", "--format", "fakelog", str(data / "day.fake"))
    assert (report["new"], report["errors"]) == (2, [])
    refused = cli("pull", "--format", "nosuch", str(data), ok=False)
    assert "fakelog" in refused.stderr

    # Configuration: its kind and format are accepted, and a named source pulls through it.
    config_path = tmp_path / "triage.toml"
    config_path.write_text(
        f'[sources.logs]\nkind = "fakelog"\npath = "{data / "day.fake"}"\nformat = "fakelog"\n'
    )
    config = load_config(str(config_path))
    assert config.sources["logs"].kind == "fakelog"
    ws = Workspace.open(Config(db_url, None, "ana", sources=config.sources), write=True)
    try:
        pulled = ws.pull(["logs"])
        assert (pulled.new, pulled.errors) == (2, [])
        assert ws.find("logs:f-2")[1].output == "ok"
    finally:
        ws.close()


def test_a_new_platform_pulls_and_takes_verdicts_back(
    new_platforms: Path, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TOKEN", "hub-secret-4321")
    items = [{"id": "h-1", "at": "2026-08-03T10:00:00+00:00", "q": "cancel", "a": "done"}]

    def answer(request: Received) -> Reply:
        if request.method == "GET" and request.path == "/api/items":
            return Reply.json(items)
        if request.method == "POST" and request.path == "/api/verdicts":
            return Reply.json({"ok": True})
        return Reply(404)

    with serving(answer) as server:
        path = tmp_path / "triage.toml"
        path.write_text(
            f'[sources.hub]\nkind = "fakehub"\nurl = "{server.url}"\n'
            'token_env = "HUB_TOKEN"\nwrite_back = true\nscore_name = "review"\n'
        )
        loaded = load_config(str(path))
        ws = Workspace.open(Config(db_url, None, "ana", sources=loaded.sources), write=True)
        try:
            pulled = ws.pull(["hub"])
            assert (pulled.new, pulled.errors) == (1, [])
            record, _ = ws.record_verdict("hub:h-1", Outcome.FAIL, reviewer="ana")
            report = ws.push()
        finally:
            ws.close()
    assert [(o.verdict_pk, o.target) for o in report.sent] == [(record.pk, "hub")]
    got, sent = server.received
    assert (got.method, got.path, got.headers["x-fake-token"]) == (
        "GET",
        "/api/items",
        "hub-secret-4321",
    )
    assert (sent.method, sent.path, sent.headers["x-fake-token"]) == (
        "POST",
        "/api/verdicts",
        "hub-secret-4321",
    )
    assert sent.json() == {
        "id": platform_id(record.key),
        "item": "h-1",
        "name": "review",
        "value": "fail",
    }


def test_two_modules_declaring_one_kind_are_refused(
    new_platforms: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (new_platforms / "fakelog_again.py").write_text(textwrap.dedent(FAKELOG))
    registry.adapters.cache_clear()
    try:
        with pytest.raises(TypeError, match="two platforms declare the kind fakelog"):
            registry.adapters()
    finally:
        sys.modules.pop(f"{adapters.__name__}.fakelog_again", None)


def test_detection_asks_every_platform_and_the_strongest_wins(tmp_path: Path) -> None:
    # A transcript entry that also has a native item's id and created_at is OpenClaw's
    # (a shape beats the generic one); a marker beats a shape; a "type" that is not
    # text is no transcript entry (it used to stop detection with a TypeError).
    cases = {
        '{"type":"message","parentId":"a","id":"x","created_at":"2026-08-03"}': (
            "openclaw-session"
        ),
        '{"type":"message","message":{},"resourceSpans":[]}': "otlp",
        '{"id":"x","created_at":"2026-08-03"}': "jsonl",
        '{"type":["message"],"message":{}}': None,
    }
    for n, (line, expected) in enumerate(cases.items()):
        path = tmp_path / f"case{n}.json"
        path.write_text(line + "\n")
        assert detect_format(path) == expected, line
