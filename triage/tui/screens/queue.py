"""The queue: three lanes with counts and time left, one line per item."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from triage.core.inert import one_line
from triage.core.models import DONE, Lane, QueueFilter
from triage.core.presentation import LANE_STYLE, parse_day
from triage.errors import InvalidInput
from triage.tui.screens.base import TriageScreen
from triage.tui.widgets.fields import PlainInput
from triage.tui.widgets.keys_line import bound_keys
from triage.tui.widgets.queue_list import QueueList

if TYPE_CHECKING:
    from triage.service.review import Plan, QueueView
    from triage.tui.screens.modals import Filters


class QueueScreen(TriageScreen[None]):
    """Pick a lane, see what is left and how long it should take, open an item."""

    BINDINGS = [
        Binding("1", "lane('deep')", "Deep", id="lane-deep"),
        Binding("2", "lane('scan')", "Scan", id="lane-scan"),
        Binding("3", "lane('pass')", "Pass", id="lane-pass"),
        Binding("0", "lane('all')", "All", id="lane-all"),
        Binding("t", "timebox", "Time box", id="timebox"),
        Binding("f", "filters", "Filter", id="filters"),
        Binding("slash", "search", "Search", id="search"),
        Binding("r", "toggle_reviewed", "Reviewed", id="toggle-reviewed"),
        Binding("escape", "clear", "Clear", id="clear", show=False),
        Binding("q", "app.quit", "Quit", id="queue-quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.where = QueueFilter(open_only=True)
        self.view: QueueView | None = None
        self.plan: Plan | None = None
        self.plan_started = 0.0
        self.title_note = ""
        self.untriaged = 0
        """Stored items without a lane (shown in the lane bar until a pull triages them)."""

    def compose(self) -> ComposeResult:
        yield Static(Text("triage · opening the database…"), id="lanes")
        yield PlainInput(placeholder="search items (enter to search, esc to clear)", id="search")
        yield QueueList(id="queue")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        queue = self.query_one(QueueList)
        queue.empty_hint = "Opening the database…"
        queue.focus()

    def workspace_ready(self) -> None:
        """Resume where this reviewer was: the same lane, the cursor on the same item."""
        from triage.tui import state

        config = self.triage_app.config
        saved = state.load(config.resolved_database_url(), config.reviewer)
        lane = saved.get("lane")
        if lane in ("deep", "scan", "pass"):
            self.where = replace(self.where, lane=Lane(lane))
        pk = saved.get("pk")
        self.reload(keep=pk if isinstance(pk, int) else None)
        self.set_interval(20, self._render_status)

    def _remember(self, pk: int | None) -> None:
        from triage.tui import state

        config = self.triage_app.config
        lane = self.where.lane.value if self.where.lane else None
        try:
            state.save(config.resolved_database_url(), config.reviewer, {"lane": lane, "pk": pk})
        except OSError:
            pass  # a lost cursor position is not worth interrupting a review for

    # -- loading -------------------------------------------------------------------

    def reload(self, keep: int | None = None) -> None:
        """Fetch the queue for the current filter (in a worker)."""
        if self.triage_app.workspace is not None:
            self._load(keep)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue", description="queue")
    def _load(self, keep: int | None) -> None:
        from triage.service.review import QueueView

        workspace = self.triage_app.workspace
        assert workspace is not None
        if self.plan is not None:
            keys = [k for k in workspace.queue_keys(replace(self.where, lane=None))]
            chosen = {pk: n for n, pk in enumerate(self.plan.pks)}
            planned = sorted((k for k in keys if k.pk in chosen), key=lambda k: chosen[k.pk])
            view = QueueView(workspace, self.where, keys=planned)
        else:
            view = QueueView(workspace, self.where)
        summary = workspace.queue_summary(self.where)
        untriaged = workspace.count_untriaged()
        self.app.call_from_thread(self._show, view, summary, keep, untriaged)

    def _show(
        self,
        view: QueueView,
        summary: dict[Lane, tuple[int, int]],
        keep: int | None,
        untriaged: int | None = None,
    ) -> None:
        if untriaged is not None:
            self.untriaged = untriaged
        self.view = view

        queue = self.query_one(QueueList)
        queue.empty_hint = self._empty_hint()
        queue.set_source(view, keep=keep)
        self._render_lanes(summary)
        self._render_status()

    def _empty_hint(self) -> str:
        if self.plan is not None:
            return "Nothing fits in this time box."
        every = bound_keys(self).get("lane-all")
        if not every:
            return "Nothing here. Pull outputs with `triage pull`."
        return f"Nothing here. Pull outputs with `triage pull`, or press {every[0]} for every lane."

    def _render_lanes(self, summary: dict[Lane, tuple[int, int]]) -> None:
        minutes = self.triage_app.config.lane_minutes
        text = Text()
        left_minutes = 0.0
        open_items = 0
        chosen = self.where.lane
        for lane in Lane:
            total, done = summary[lane]
            left = total - done
            open_items += left
            left_minutes += left * minutes.get(lane.value, 1.0)
            style = LANE_STYLE[lane.value]
            label = f" {lane.value} {left}"
            if chosen is lane:
                text.append(label + " ", style=f"{style} reverse")
            else:
                text.append(label + " ", style=style)
            text.append(f" {done}/{total} done  ", style="dim")
        text.append(f"│ {open_items} open · ≈ {left_minutes:.0f} min", style="bold")
        if self.untriaged:
            text.append(
                f" · {self.untriaged} not triaged yet: run triage retriage", style="bold red"
            )
        for part in (self.where.day, self.where.agent, self.where.task_type):
            if part is not None:
                text.append(f" · {one_line(str(part), 30)}", style="dim")
        if not self.where.open_only:
            text.append(" · showing reviewed", style="dim")
        self.query_one("#lanes", Static).update(text)

    def _render_status(self) -> None:
        view = self.view
        text = Text()
        if self.plan is not None and view is not None:
            from triage.service.review import estimate_minutes

            minutes = self.triage_app.config.lane_minutes
            elapsed = (time.monotonic() - self.plan_started) / 60
            rows = [view.row(i) for i in range(len(view))]
            left = [row for row in rows if row.verdict not in DONE]
            eta = estimate_minutes(left, minutes)
            text.append("time box: ", style="bold")
            text.append(
                f"{len(rows) - len(left)} of {len(rows)} done · ≈ {eta:.0f} min left · "
                f"{elapsed:.0f} min in · {self.plan.left} carry over to tomorrow",
            )
        elif view is not None:
            text.append(f"{len(view)} items", style="bold")
            if self.title_note:
                text.append(f" · {self.title_note}")
        self.query_one("#status", Static).update(text)

    # -- opening items ---------------------------------------------------------------

    @on(QueueList.Selected)
    def _selected(self, event: QueueList.Selected) -> None:
        self.open_index(event.index)

    def open_index(self, index: int) -> None:
        from triage.tui.screens.item import ItemScreen

        if self.view is None or not len(self.view):
            return
        self._remember(self.view.row(index).pk)
        self.app.push_screen(ItemScreen(self.view, index), self._back_from_item)

    def _back_from_item(self, last_pk: int | None) -> None:
        self._remember(last_pk)
        self.reload(keep=last_pk)

    # -- filters -------------------------------------------------------------------

    def action_lane(self, lane: str) -> None:
        self.where = replace(self.where, lane=None if lane == "all" else Lane(lane))
        self.title_note = ""
        self._remember(None)
        self.reload()

    def action_filters(self) -> None:
        from triage.tui.screens.modals import FilterDialog, Filters

        workspace = self.triage_app.workspace
        if workspace is None:
            return
        agents, task_types = workspace.facets()
        where = self.where
        current = Filters(
            day=where.day.isoformat() if where.day else None,
            agent=where.agent,
            task_type=where.task_type,
        )
        self.app.push_screen(FilterDialog(current, agents, task_types), self._filtered)

    def _filtered(self, chosen: Filters | None) -> None:
        if chosen is None:
            return
        try:
            day = parse_day(chosen.day)
        except InvalidInput:
            self.notify(
                f"{chosen.day!r} is not a day (YYYY-MM-DD, today, yesterday)",
                severity="error",
                markup=False,
            )
            return
        self.where = replace(self.where, day=day, agent=chosen.agent, task_type=chosen.task_type)
        self.reload()

    def action_toggle_reviewed(self) -> None:
        self.where = replace(self.where, open_only=not self.where.open_only)
        self.reload()

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        self.query_one(QueueList).focus()
        if query:
            self._run_search(query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue", description="search")
    def _run_search(self, query: str) -> None:
        from triage.service.review import QueueView, search

        workspace = self.triage_app.workspace
        if workspace is None:
            return
        keys = search(workspace, self.where, query)
        view = QueueView(workspace, self.where, keys=keys)
        summary = workspace.queue_summary(self.where)
        self.title_note = f"search: {query!r} ({len(keys)} found; esc clears)"
        self.app.call_from_thread(self._show, view, summary, None)

    def action_clear(self) -> None:
        box = self.query_one("#search", Input)
        box.value = ""
        box.display = False
        self.title_note = ""
        if self.plan is not None:
            self.plan = None
            self.notify("Time box ended; the rest carries over.")
        self.query_one(QueueList).focus()
        self.reload()

    def action_timebox(self) -> None:
        from triage.tui.screens.modals import TimeBox

        self.app.push_screen(TimeBox(), self._start_timebox)

    def _start_timebox(self, minutes: float | None) -> None:
        workspace = self.triage_app.workspace
        if minutes is None or workspace is None:
            return
        from triage.service.review import plan_session

        keys = workspace.queue_keys(replace(self.where, lane=None, open_only=True))
        self.plan = plan_session(keys, minutes, self.triage_app.config.lane_minutes)
        self.plan_started = time.monotonic()
        self.where = replace(self.where, lane=None, open_only=True)
        self.notify(
            f"{len(self.plan.pks)} items fit in {minutes:.0f} min, most valuable first; "
            f"{self.plan.left} carry over."
        )
        self.reload()
