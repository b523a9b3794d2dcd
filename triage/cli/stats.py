"""``triage stats``: items, verdicts, failure rates with 95% intervals, escapes of
``pass`` measured from audit samples, and reviewer minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

import click

from triage.cli.common import console, emit_json, workspace
from triage.cli.output import say
from triage.core.presentation import LANE_STYLE

if TYPE_CHECKING:
    from rich.table import Table

    from triage.learn.quality import AUC, Quality
    from triage.learn.stats import StatRow

HEADERS = {"task_type": "task type", "lane": "lane", "agent": "agent", "model": "model"}


def _parse_by(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    from triage.learn.stats import KEYS

    keys = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [k for k in keys if k not in KEYS]
    if unknown or not keys or len(set(keys)) != len(keys):
        raise click.BadParameter(
            f"{value!r}: give distinct keys from {', '.join(KEYS)}, separated by commas"
        )
    return keys


@click.command()
@click.option(
    "--by",
    default="task_type,lane",
    show_default=True,
    callback=_parse_by,
    metavar="KEYS",
    help="Group by these, comma-separated: task_type, lane, agent, model.",
)
@click.option("--period", type=click.Choice(["day", "week"]), help="Also split by day or ISO week.")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    metavar="N",
    help="Only items created in the last N days (today counts as one, UTC).",
)
@click.option("--json", "as_json", is_flag=True, help="Write the rows as JSON.")
@click.option(
    "--quality",
    is_flag=True,
    help="Triage quality instead: failures per reviewer hour, deep's share of failures, "
    "the queue order's AUC, pass escapes, p_fail calibration, budget planned vs spent.",
)
@click.pass_context
def stats(
    ctx: click.Context,
    by: tuple[str, ...],
    period: str | None,
    days: int | None,
    as_json: bool,
    quality: bool,
) -> None:
    """Per task type and lane (or agent, model version, day or week): items,
    reviewed, failures, the failure rate with its 95% Wilson interval, the escape
    rate of pass from audit samples, and reviewer minutes. With --quality, how well
    triage finds failures, per day (or week) and overall."""
    since = None
    if days is not None:
        today = datetime.now(UTC).date() - timedelta(days=days - 1)
        since = datetime.combine(today, time(), tzinfo=UTC)
    if quality:
        _show_quality(ctx, period or "day", since, as_json)
        return
    with workspace(ctx, write=False, announce_rules=False) as ws:
        statistics = ws.learning.statistics(since=since)
        warnings = ws.budget_warnings()
    rows = statistics.rows(by=by, period=period)
    if as_json:
        emit_json([row.as_json() for row in rows])
        return
    out = console()
    if not rows:
        scope = f" in the last {days} days" if days is not None else ""
        out.print(f"No triaged items{scope}.", markup=False)
        return
    out.print(stats_table(rows, by, period, out.width))
    for warning in warnings:
        say(warning)


def stats_table(rows: list[StatRow], by: tuple[str, ...], period: str | None, width: int) -> Table:
    """The rows as a table that fits ``width``: numbers keep their size, names are cut."""
    columns = [Column(HEADERS[key], flexible=True) for key in by]
    if period:
        columns.append(Column(period))
    columns += [Column(name, right=True) for name in ("items", "reviewed", "failed")]
    columns.append(Column("rate (95% CI)", right=True))
    # Escapes belong to pass; without lanes in the table they would have no row to sit in.
    show_escapes = "lane" in by
    if show_escapes:
        columns.append(Column("escapes", right=True))
    columns.append(Column("min", right=True))
    cells: list[list[Cell]] = []
    for row in rows:
        line: list[Cell] = []
        for key in by:
            if key == "lane" and row.lane is not None:
                line.append((row.lane.value, LANE_STYLE[row.lane.value]))
            else:
                line.append((str(getattr(row, key) or ""), ""))
        if period:
            line.append((row.period or "", ""))
        line += [(str(row.items), ""), (str(row.reviewed), ""), (str(row.failures), "")]
        line.append((_with_interval(row.rate, row.ci_low, row.ci_high), ""))
        if show_escapes:
            line.append((_escapes(row), ""))
        line.append((f"{row.minutes:.1f}", ""))
        cells.append(line)
    return fit_table(columns, cells, width)


Cell = tuple[str, str]
"""A cell's text (untrusted: made inert and cut to fit) and its style."""


@dataclass(frozen=True)
class Column:
    """A column of :func:`fit_table`. Flexible columns are cut when the table is too
    wide, ``cut_first`` ones (long free text) before the others."""

    header: str
    right: bool = False
    flexible: bool = False
    cut_first: bool = False


def fit_table(columns: list[Column], rows: list[list[Cell]], width: int) -> Table:
    """One line per row at any ``width``: fixed columns keep their size, and the
    widest flexible columns are cut until the table fits (rich would rather squash
    every column or drop some). Every cell is shown as plain text after
    :func:`~triage.core.inert.one_line`."""
    from rich.table import Table
    from rich.text import Text

    from triage.core.inert import one_line

    flat = [[one_line(text, 200) for text, _ in row] for row in rows]
    sizes = [
        max([len(col.header), *(len(row[i]) for row in flat)]) for i, col in enumerate(columns)
    ]
    over = sum(sizes) + len(columns) - 1 - width
    for first_only, floor in ((True, 12), (False, 6)):
        cuttable = [
            i for i, col in enumerate(columns) if col.flexible and (col.cut_first or not first_only)
        ]
        while over > 0:
            widest = max(cuttable, key=lambda i: sizes[i], default=None)
            if widest is None or sizes[widest] <= floor:
                break
            sizes[widest] -= 1
            over -= 1
    table = Table(box=None, pad_edge=False, collapse_padding=True, header_style="bold")
    for col, size in zip(columns, sizes, strict=True):
        table.add_column(
            Text(col.header if len(col.header) <= size else col.header[: size - 1] + "\u2026"),
            justify="right" if col.right else "left",
            no_wrap=True,
            min_width=size,
            max_width=size,
        )
    for row, texts in zip(rows, flat, strict=True):
        table.add_row(
            *(
                Text(one_line(text, size) if len(text) > size else text, style=style)
                for (_, style), text, size in zip(row, texts, sizes, strict=True)
            )
        )
    return table


def _with_interval(rate: float | None, low: float | None, high: float | None) -> str:
    if rate is None:
        return "–"
    return f"{percent(rate)} ({interval(low, high)})"


def _is_pass(row: StatRow) -> bool:
    return row.lane is not None and row.lane.value == "pass"


def _escapes(row: StatRow) -> str:
    if not row.samples:
        return "no samples" if _is_pass(row) else ""
    return f"{row.escapes}/{row.samples} " + _with_interval(
        row.escape_rate, row.escape_ci_low, row.escape_ci_high
    )


def _number(share: float) -> str:
    value = share * 100
    if value == 0 or value >= 10:
        return f"{value:.0f}"
    return f"{value:.1f}"


def percent(share: float | None) -> str:
    """``0.29`` as ``29%``, small shares with a decimal (``2.5%``); ``–`` for none."""
    return "–" if share is None else _number(share) + "%"


def interval(low: float | None, high: float | None) -> str:
    """A 95% interval as ``15–47%``; ``–`` when there were no reviews."""
    if low is None or high is None:
        return "–"
    return f"{_number(low)}–{_number(high)}%"


# -- triage quality ----------------------------------------------------------------------


def _show_quality(ctx: click.Context, period: str, since: datetime | None, as_json: bool) -> None:
    with workspace(ctx, write=False, announce_rules=False) as ws:
        quality = ws.quality(period=period, since=since)
    if as_json:
        emit_json(quality.as_json())
        return
    out = console()
    if not quality.periods:
        out.print("No triaged items.", markup=False)
        return
    out.print(quality_table(quality, period, out.width))
    out.print("")
    out.print(spending_table(quality, period, out.width))
    out.print("")
    for line in quality_notes(quality):
        out.print(line, markup=False, highlight=False)


def quality_table(quality: Quality, period: str, width: int) -> Table:
    """One row per period and one for all of them: items, reviews, failures, failures
    per reviewer hour, deep's share of failures and the queue order's AUC (and within
    lanes)."""
    columns = [Column(period, flexible=True)]
    columns += [
        Column(name, right=True)
        for name in ("items", "reviews", "fails", "fail/h", "in deep", "AUC (95% CI)", "lane AUC")
    ]
    rows: list[list[Cell]] = []
    for row in (*quality.periods, quality.overall):
        cells = [
            row.period or "all",
            str(row.items),
            str(row.reviewed),
            str(row.failures),
            "–" if row.failures_per_hour is None else f"{row.failures_per_hour:.1f}",
            _with_interval(row.deep_share, row.deep_share_low, row.deep_share_high),
            _auc(row.auc, with_interval=True),
            _auc(row.auc_within_lane),
        ]
        rows.append([(text, "bold" if row.period is None else "") for text in cells])
    return fit_table(columns, rows, width)


def spending_table(quality: Quality, period: str, width: int) -> Table:
    """Per period and overall: pass's escapes from audit samples, the Brier score of
    ``p_fail`` and the share of items each lane got (against the budget's plan)."""
    columns = [Column(period, flexible=True)]
    columns += [
        Column(name, right=True) for name in ("escapes (95% CI)", "Brier", "deep", "scan", "pass")
    ]
    rows: list[list[Cell]] = []
    for row in (*quality.periods, quality.overall):
        b = row.budget
        escapes = (
            f"{row.escapes}/{row.samples} {interval(row.escape_low, row.escape_high)}"
            if row.samples
            else "no samples"
        )
        cells = [
            row.period or "all",
            escapes,
            "–" if row.brier is None else f"{row.brier:.3f}",
            percent(b.deep),
            percent(b.scan),
            percent(b.pass_),
        ]
        rows.append([(text, "bold" if row.period is None else "") for text in cells])
    return fit_table(columns, rows, width)


def _auc(value: AUC, *, with_interval: bool = False) -> str:
    if value.value is None:
        return "–"
    if not with_interval or value.low is None or value.high is None:
        return f"{value.value:.2f}"
    return f"{value.value:.2f} ({value.low:.2f}–{value.high:.2f})"


def quality_notes(quality: Quality) -> list[str]:
    """The lines under the table: risk's AUC inside each lane, the budget planned
    against spent, and the reliability of ``p_fail`` (or that no decision has one)."""
    lanes = ", ".join(f"{lane} {_auc(value)}" for lane, value in quality.lane_auc.items())
    lines = [f"AUC of risk inside each lane: {lanes}"]
    b = quality.overall.budget
    if b.planned_deep is None and b.planned_scan is None:
        lines.append("Budget: none planned (budget_deep, budget_scan unset).")
    else:
        lines.append(
            f"Budget: deep planned {percent(b.planned_deep)}, spent {percent(b.deep)}; "
            f"scan planned {percent(b.planned_scan)}, spent {percent(b.scan)}."
        )
    if not quality.reliability:
        lines.append("Calibration: no reviewed decision carries p_fail yet.")
        return lines
    lines.append(f"Calibration of p_fail (Brier {quality.overall.brier or 0.0:.3f}):")
    for bin_ in quality.reliability:
        mean = "–" if bin_.mean_p is None else f"{bin_.mean_p:.2f}"
        seen = "–" if bin_.observed is None else f"{bin_.observed:.2f}"
        lines.append(
            f"  p {bin_.low:.1f}–{bin_.high:.1f}: {bin_.count:>5} items, "
            f"mean p {mean}, failed {seen}"
        )
    return lines


def register(group: click.Group) -> None:
    group.add_command(stats)
