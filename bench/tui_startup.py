"""Start to first usable frame: the reviewer app against a bare Textual app,
both started the same way (a fresh Python process, headless, exiting as soon as
the first screen is up and taking keys). Also: time until the queue's rows are
on screen (the database opened in a worker behind the first frame).

Prints medians of several runs and the ratio (goal: ≤ 1.5×).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

RUNS = 7

BARE = """
from textual.app import App
from textual.widgets import Footer, Static

class Bare(App):
    def compose(self):
        yield Static("hello")
        yield Footer()

import sys, time

async def ready(pilot):
    print(time.time() - float(sys.argv[-1]))
    pilot.app.exit()

Bare().run(headless=True, auto_pilot=ready)
"""

TRIAGE = """
import sys, time
from pathlib import Path
from triage.config import Config
from triage.tui.app import make_app

started = float(sys.argv[3])
folder = Path(sys.argv[1])
app = make_app(Config(f"sqlite:///{folder / 'triage.db'}", folder / "rules", "bench"))
wait_rows = sys.argv[2] == "rows"

async def ready(pilot):
    if wait_rows:
        while getattr(app.queue_screen, "view", None) is None:
            await pilot.pause(0.005)
    print(time.time() - started)
    app.exit()

app.run(headless=True, auto_pilot=ready)
"""


def timed(code: str, *args: str) -> float:
    """Seconds from launching a fresh interpreter until the app says it is ready."""
    start = str(time.time())
    done = subprocess.run(
        [sys.executable, "-c", code, *args, start], check=True, capture_output=True, text=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from triage.demo.workspace import build_workspace

    with tempfile.TemporaryDirectory(prefix="triage-bench-") as name:
        folder = Path(name) / "demo"
        build_workspace(folder, end=date(2026, 11, 20))
        timed(TRIAGE, str(folder), "rows")  # warm the OS file cache and bytecode
        timed(BARE)
        bare = statistics.median(timed(BARE) for _ in range(RUNS))
        frame = statistics.median(timed(TRIAGE, str(folder), "frame") for _ in range(RUNS))
        rows = statistics.median(timed(TRIAGE, str(folder), "rows") for _ in range(RUNS))
    print(f"start to first usable frame, median of {RUNS} fresh processes")
    print(f"  bare Textual app                 : {bare:.3f} s")
    print(
        f"  triage reviewer app              : {frame:.3f} s  ({frame / bare:.2f}x; goal <= 1.5x)"
    )
    print(f"  triage, queue rows on screen     : {rows:.3f} s  ({rows / bare:.2f}x)")


if __name__ == "__main__":
    main()
