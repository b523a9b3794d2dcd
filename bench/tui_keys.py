"""Key-to-paint latency of the queue list over 100,000 rows.

A headless app holds a ``QueueList`` over an in-memory source that, like the
database-backed one, fetches rows in pages of 200 and pays a few milliseconds
for every page it has not cached. Each key event is posted to the app the way
the terminal driver posts it; the clock stops when the screen has produced
the terminal bytes of a frame that includes the re-rendered cursor row. So a
sample covers event dispatch, the key binding, the cursor update, the
``Highlighted`` message, re-rendering the dirty lines (the whole viewport when
it scrolls), compositing and encoding the update.

Textual paints at most 60 times a second; waiting for that tick is not work, so
the frame rate is raised while measuring. Goal: p95 ≤ 16.7 ms (one frame) at
the start, middle and end of the list.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

ROWS = 100_000
PAGE = 200
PAGE_FETCH_S = 0.003
CACHED_PAGES = 8
SIZE = (120, 40)
GOAL_MS = 1000 / 60


class PagedSource:
    """100,000 queue rows served in pages, with a simulated fetch per page miss."""

    def __init__(self, count: int) -> None:
        from triage.core.models import Lane

        self.count = count
        self.lanes = (Lane.DEEP, Lane.SCAN, Lane.PASS)
        self.pages: OrderedDict[int, list[Any]] = OrderedDict()
        self.misses = 0
        self.base = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)

    def __len__(self) -> int:
        return self.count

    def row(self, index: int) -> Any:
        number, offset = divmod(index, PAGE)
        page = self.pages.get(number)
        if page is None:
            page = self._fetch(number)
            self.pages[number] = page
            if len(self.pages) > CACHED_PAGES:
                self.pages.popitem(last=False)
        else:
            self.pages.move_to_end(number)
        return page[offset]

    def _fetch(self, number: int) -> list[Any]:
        from triage.core.models import QueueEntry

        self.misses += 1
        time.sleep(PAGE_FETCH_S)  # the database round trip
        start = number * PAGE
        return [
            QueueEntry(
                pk=i + 1,
                source="bench",
                id=f"sx7-{i:08d}",
                created_at=self.base + timedelta(seconds=37 * i),
                agent="support-bot",
                task_type=("support_reply", "refund", "invoice_adjustment")[i % 3],
                lane=self.lanes[(i * 7) % 3],
                risk=(i % 100) / 100,
                reason=f"rule {i % 17}: customer mentions a refund over the limit (row {i})",
                audit_sample=i % 50 == 0,
                verdict=("ok", None, None, "fail", None)[i % 5],
            )
            for i in range(start, min(start + PAGE, self.count))
        ]


def phases(page: int) -> list[tuple[str, int, list[str]]]:
    """(label, starting row, keys): each key moves the cursor, so each one paints."""
    walk = ["down"] * 400 + ["pagedown"] * 100 + ["pageup"] * 100 + ["up"] * 50
    end_start = ROWS - 1 - (400 + 100 * page) - 100
    return [
        ("start", 0, walk),
        ("middle", ROWS // 2, walk),
        ("end", end_start, walk),
        ("jumps", 0, ["end", "home"] * 50 + ["G", "g"] * 25),
    ]


def summary(label: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = statistics.quantiles(ms, n=100)[94]
    return (
        f"  {label:<8} {len(ms):>5,} keys  median {statistics.median(ms):6.2f} ms"
        f"  p95 {p95:6.2f} ms  max {ms[-1]:6.2f} ms"
    )


async def measure() -> None:
    from textual import events
    from textual._compositor import CompositorUpdate
    from textual.app import App, ComposeResult

    from triage.tui.widgets.queue_list import QueueList

    source = PagedSource(ROWS)

    class BenchApp(App[None]):
        def compose(self) -> ComposeResult:
            yield QueueList(source)

    app = BenchApp()
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(QueueList)
        await pilot.pause()
        cursor_painted = False
        painted = asyncio.Event()

        render_line = widget.render_line

        def render_line_spy(y: int) -> Any:
            nonlocal cursor_painted
            strip = render_line(y)
            if widget.scroll_offset.y + y == widget.cursor:
                cursor_painted = True
            return strip

        display = app._display

        def display_spy(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if isinstance(renderable, CompositorUpdate):
                # Headless apps skip this; a terminal would get these bytes.
                renderable.render_segments(app.console)
                if cursor_painted:
                    painted.set()

        widget.render_line = render_line_spy  # type: ignore[method-assign]
        app._display = display_spy  # type: ignore[method-assign]

        page = widget.scrollable_content_region.height - 1
        results: list[tuple[str, list[float]]] = []
        for label, start, keys in phases(page):
            widget.select_index(start)
            await pilot.pause()
            samples: list[float] = []
            for key in keys:
                before = widget.cursor
                cursor_painted = False
                painted.clear()
                event = events.Key(key, key if len(key) == 1 else None)
                started = time.perf_counter()
                app.post_message(event)
                await painted.wait()
                samples.append(time.perf_counter() - started)
                if widget.cursor == before:
                    raise RuntimeError(f"{key!r} at row {before} did not move the cursor")
            results.append((label, samples))

    everything = [s for _, samples in results for s in samples]
    print(
        f"queue list: {ROWS:,} rows, {SIZE[0]}x{SIZE[1]} terminal, pages of {PAGE} rows "
        f"costing {PAGE_FETCH_S * 1000:.0f} ms per miss ({source.misses} misses)"
    )
    fps = os.environ["TEXTUAL_FPS"]
    print(f"key -> painted frame, frame rate cap {fps}/s (goal p95 <= {GOAL_MS:.1f} ms):")
    for label, samples in results:
        print(summary(label, samples))
    print(summary("all", everything))


def main() -> None:
    # Measure the work, not the wait for Textual's next 60 Hz tick (run with
    # TEXTUAL_FPS=60 to include it). Must be set before Textual is imported,
    # hence the imports inside the functions.
    os.environ.setdefault("TEXTUAL_FPS", "1000")
    asyncio.run(measure())


if __name__ == "__main__":
    main()
