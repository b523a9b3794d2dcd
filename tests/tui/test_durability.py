"""Killing the reviewer app at any moment loses nothing the screen showed as saved."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import create_engine, text

from triage.config import Config

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from triage.config import Config
    from triage.tui.app import make_app
    from triage.tui.screens.item import ItemScreen
    from triage.tui.screens.queue import QueueScreen

    async def main(url, rules):
        app = make_app(Config(database_url=url, rules_dir=Path(rules), reviewer="killed"))
        async with app.run_test(size=(120, 36)) as pilot:
            while not (isinstance(app.queue_screen, QueueScreen) and app.queue_screen.view):
                await pilot.pause(0.02)
            await pilot.press("enter")
            while not isinstance(app.screen, ItemScreen):
                await pilot.pause(0.02)
            screen = app.screen
            while True:
                shown = screen.view.row(screen.index).pk
                await pilot.press("a")
                while screen.view.row(screen.index).pk == shown:
                    await pilot.pause(0.01)
                # The screen has moved on: it showed the verdict as recorded.
                print("ACK", shown, flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def test_acknowledged_verdicts_survive_a_kill(demo_config: Config, tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    url = demo_config.database_url
    assert url is not None
    child = subprocess.Popen(
        [sys.executable, str(script), url, str(demo_config.rules_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TEXTUAL": ""},
    )
    acked: list[int] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("ACK "):
                acked.append(int(line.split()[1]))
            if len(acked) >= 6:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        _, err = child.communicate(timeout=30)
    assert len(acked) >= 6, err[-2000:]

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = {
            row.item_pk
            for row in conn.execute(
                text("select item_pk from verdict where reviewer = 'killed' and outcome = 'ok'")
            )
        }
        integrity = conn.execute(text("PRAGMA integrity_check")).scalar()
    engine.dispose()
    assert set(acked) <= stored
    assert integrity == "ok"
