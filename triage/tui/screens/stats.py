"""Statistics: failure rates with their intervals per task type and lane, and the
daily trend of each task type with model changes marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Label, Sparkline, Static

from triage.core.inert import one_line
from triage.core.presentation import LANE_STYLE
from triage.tui.screens.base import TriageScreen

if TYPE_CHECKING:
    from triage.learn.quality import Quality
    from triage.learn.stats import StatRow, TrendPoint


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "—"
    return f"{100 * low:.0f}–{100 * high:.0f}%"


class StatsScreen(TriageScreen[None]):
    """Per task type × lane: items, reviewed, failures, rate with its 95% interval,
    minutes, and the escape rate of pass from audit samples."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="stats-back")]

    def compose(self) -> ComposeResult:
        yield Static(Text("Statistics · loading…", style="bold"), id="stats-title")
        with Horizontal(id="stats-body"):
            with Vertical(id="stats-left"):
                yield DataTable(id="stats-table", cursor_type="row", zebra_stripes=True)
                yield VerticalScroll(id="quality")
            yield VerticalScroll(id="trends")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#stats-table", DataTable)
        table.add_columns(
            "task type", "lane", "items", "reviewed", "failed", "rate", "95% CI", "min",
            "escapes (pass)",
        )  # fmt: skip
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats", description="stats")
    def _load(self) -> None:
        workspace = self.triage_app.workspace
        if workspace is None:
            return
        statistics = workspace.learning.statistics()
        rows = statistics.rows()
        task_types = sorted({row.task_type for row in rows if row.task_type})
        trends = {task: statistics.trend(task) for task in task_types}
        quality = workspace.quality()
        warnings = workspace.budget_warnings()
        self.app.call_from_thread(self._show, rows, trends, quality, warnings)

    def _show(
        self,
        rows: list[StatRow],
        trends: dict[str, list[TrendPoint]],
        quality: Quality | None = None,
        warnings: Sequence[str] = (),
    ) -> None:
        table = self.query_one("#stats-table", DataTable)
        table.clear()
        for row in rows:
            lane = row.lane.value if row.lane else "—"
            escapes = (
                f"{row.escapes}/{row.samples} {interval(row.escape_ci_low, row.escape_ci_high)}"
                if row.samples
                else ""
            )
            table.add_row(
                Text(one_line(row.task_type or "—", 24)),
                Text(lane, style=LANE_STYLE.get(lane, "")),
                str(row.items),
                str(row.reviewed),
                str(row.failures),
                percent(row.rate),
                interval(row.ci_low, row.ci_high),
                f"{row.minutes:.0f}",
                escapes,
            )
        reviewed = sum(row.reviewed for row in rows)
        failures = sum(row.failures for row in rows)
        title = Text("Statistics ", style="bold")
        title.append(f"{reviewed} reviewed, {failures} failed; daily trend per task type →")
        self.query_one("#stats-title", Static).update(title)
        box = self.query_one("#trends", VerticalScroll)
        box.remove_children()
        for task, points in trends.items():
            box.mount(*trend_widgets(task, points))
        panel = self.query_one("#quality", VerticalScroll)
        panel.remove_children()
        for warning in warnings:  # the budget cannot hold: said first, plainly
            panel.mount(Label(Text(warning, style="bold yellow"), classes="budget-warning"))
        if quality is not None:
            panel.mount(*quality_widgets(quality))


def trend_widgets(task: str, points: list[TrendPoint]) -> list[Label | Sparkline]:
    """A title, a sparkline of the daily failure rate, and the model changes."""
    rates = [100 * (p.rate or 0.0) for p in points]
    latest = next((p for p in reversed(points) if p.rate is not None), None)
    head = Text(one_line(task, 30), style="bold")
    if latest is not None:
        head.append(f"  {percent(latest.rate)} on {latest.period}", style="dim")
    widgets: list[Label | Sparkline] = [Label(head), Sparkline(rates, summary_function=max)]
    changes = [(p.period, agent, model) for p in points for agent, model in p.new_models]
    if changes:
        note = Text("model change: ", style="italic magenta")
        note.append(
            ", ".join(
                f"{one_line(agent, 20)} → {one_line(model, 30)} from {day}"
                for day, agent, model in changes
            )
        )
        widgets.append(Label(note))
    return widgets


def _figure(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def quality_widgets(quality: Quality) -> list[Label | Sparkline]:
    """The "Triage quality" panel: the queue order's AUC with its interval, failures
    per reviewer hour, deep's share of failures, pass escapes, the calibration of
    ``p_fail``, and a sparkline of the daily AUC."""
    o = quality.overall
    head = Text("Triage quality", style="bold")
    widgets: list[Label | Sparkline] = [Label(head, id="quality-title")]
    lines = [
        f"queue AUC {_figure(o.auc.value)} ({_figure(o.auc.low)}–{_figure(o.auc.high)}),"
        f" within lanes {_figure(o.auc_within_lane.value)}",
        f"{_figure(o.failures_per_hour, 1)} failures per reviewer hour;"
        f" {percent(o.deep_share)} of failures found in deep"
        f" ({interval(o.deep_share_low, o.deep_share_high)})",
        (
            f"pass escapes {o.escapes}/{o.samples} {interval(o.escape_low, o.escape_high)}"
            if o.samples
            else "pass escapes: no audit samples reviewed"
        ),
    ]
    if quality.reliability:
        bins = " ".join(
            f"{b.low:.1f}:{_figure(b.observed)}({b.count})" for b in quality.reliability if b.count
        )
        lines.append(f"p_fail Brier {_figure(o.brier, 3)}; observed by bin {bins}")
    else:
        lines.append("p_fail: no reviewed decision carries one yet")
    widgets += [Label(Text(line), classes="quality-line") for line in lines]
    daily = [100 * (row.auc.value or 0.5) for row in quality.periods if row.auc.value is not None]
    if daily:
        widgets.append(Label(Text("daily queue AUC", style="dim")))
        widgets.append(Sparkline(daily, summary_function=max, id="quality-auc"))
    return widgets
