"""The app on a database it cannot open, or can only read: it stays up and says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import record, write_jsonl
from tui.conftest import until
from tui.test_app import queue_ready

from triage.config import Config
from triage.core.models import Outcome
from triage.errors import DatabaseReadOnly
from triage.service.workspace import Workspace, shipped_rules_dir
from triage.tui.app import make_app
from triage.tui.screens.queue import QueueScreen


def notices(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def test_a_bad_database_url_is_a_notice_not_a_crash() -> None:
    app = make_app(Config("foo://bar", shipped_rules_dir(), "ana"))
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await until(pilot, lambda: bool(notices(app)))
        assert app.workspace is None and app.is_running
        (said,) = notices(app)
        assert said.startswith("Cannot open the database: the database foo://bar: ")
        assert "'foo' databases are not supported" in said


async def test_a_read_only_database_opens_for_reading(pg_url: str, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", [record(n) for n in range(1, 6)])
    ws = Workspace.open(Config(pg_url, shipped_rules_dir(), "ana"))
    ws.pull([str(source)])
    ws.close()
    read_only = Config(pg_url + "%20-cdefault_transaction_read_only%3Don", None, "ana")
    app = make_app(read_only)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await until(pilot, queue_ready(app))
        assert app.workspace is not None and app.workspace.read_only
        assert any("The database is read-only" in said for said in notices(app))
        screen = app.queue_screen
        assert isinstance(screen, QueueScreen) and screen.view is not None
        assert len(screen.view) == 5
        # What a verdict key runs: refused as DatabaseReadOnly, which the app shows.
        with pytest.raises(DatabaseReadOnly, match="the database is read-only"):
            app.workspace.record_verdict(screen.view.row(0).pk, Outcome.OK, reviewer="ana")
        assert app.is_running
    check = Workspace.open(Config(pg_url, None, "ana"))
    try:
        assert check.reviews.task_type_counts() == {}
    finally:
        check.close()
