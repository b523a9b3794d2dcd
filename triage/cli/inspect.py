"""``triage queue``, ``triage explain`` and the overview shown by a bare ``triage``."""

from __future__ import annotations

from typing import Any

import click

from triage.cli.common import console, emit_json, parse_day, workspace
from triage.core.presentation import LANE_STYLE


def show_overview(ctx: click.Context) -> None:
    """Today's lane counts and the top of today's queue (or of everything, when
    nothing arrived today), with where to go next."""
    from rich.text import Text

    today = parse_day("today")
    with workspace(ctx, write=False) as ws:
        counts = ws.lane_counts(day=today)
        scope = "today"
        if sum(counts.values()) == 0:
            counts, today, scope = ws.lane_counts(), None, "in all"
        entries = ws.queue(day=today, limit=12)
        waiting = ws.count_untriaged()
    _note_untriaged(waiting)
    out = console()
    total = sum(counts.values())
    if total == 0:
        out.print("No items yet. Pull some with `triage pull FILE.jsonl`, or try `triage demo`.")
        return
    line = Text(f"{total} items {scope}: ")
    for lane, n in counts.items():
        line.append(f"{n} {lane.value}", style=LANE_STYLE[lane.value])
        line.append("  ")
    out.print(line)
    out.print(_queue_table(entries, out.width))
    out.print("More: triage queue --lane deep · triage explain ID · triage --help", markup=False)


@click.command()
@click.option("--lane", type=click.Choice(["deep", "scan", "pass"]), help="Only this lane.")
@click.option(
    "--day", metavar="DAY", help="Only items created on DAY (YYYY-MM-DD, today, yesterday)."
)
@click.option("--limit", default=200, show_default=True, help="At most this many rows.")
@click.option("--json", "as_json", is_flag=True, help="Write the queue as JSON.")
@click.pass_context
def queue(ctx: click.Context, lane: str | None, day: str | None, limit: int, as_json: bool) -> None:
    """Triaged items with their lane and first reason, most severe first."""
    from triage.core.models import Lane

    with workspace(ctx, write=False) as ws:
        entries = ws.queue(lane=Lane(lane) if lane else None, day=parse_day(day), limit=limit)
        waiting = ws.count_untriaged()
    _note_untriaged(waiting)
    if as_json:
        emit_json(
            [
                {
                    "id": e.id,
                    "source": e.source,
                    "lane": e.lane.value,
                    "task_type": e.task_type,
                    "agent": e.agent,
                    "created_at": e.created_at.isoformat(),
                    "reason": e.reason,
                    "audit_sample": e.audit_sample,
                    "risk": e.risk,
                }
                for e in entries
            ]
        )
        return
    if not entries:
        console().print("The queue is empty for that filter.")
        return
    out = console()
    out.print(_queue_table(entries, out.width))


def _note_untriaged(waiting: int) -> None:
    """Say on stderr when stored items have no lane yet, so none is missing unseen."""
    if waiting:
        console(err=True).print(
            f"note: {waiting:,} stored items have no lane yet and are not listed: "
            "run `triage retriage`",
            markup=False,
        )


def _queue_table(entries: list[Any], width: int) -> Any:
    """One line per item at any terminal ``width``: fixed columns keep their size and
    the reason is cut to what is left (rich would rather drop whole columns)."""
    from rich.table import Table
    from rich.text import Text

    from triage.core.inert import one_line

    cells = [
        (
            e.lane.value + ("*" if e.audit_sample else ""),
            one_line(e.id, 28),
            e.created_at.strftime("%m-%d %H:%M"),
            one_line(e.task_type, 20),
        )
        for e in entries
    ]
    names = ("lane", "id", "created", "task type")
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(names)]
    room = max(20, width - sum(widths) - 2 * len(names) - 1)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, size in zip(names, widths, strict=True):
        table.add_column(name, no_wrap=True, min_width=size)
    table.add_column("why", no_wrap=True)
    for entry, row in zip(entries, cells, strict=True):
        table.add_row(
            Text(row[0], style=LANE_STYLE[entry.lane.value]),
            *(Text(cell) for cell in row[1:]),
            Text(one_line(entry.reason, room)),
        )
    return table


@click.command()
@click.argument("item_ref", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Write the explanation as JSON.")
@click.pass_context
def explain(ctx: click.Context, item_ref: str, as_json: bool) -> None:
    """Why the item ID sits in its lane: every matching rule with the values that
    matched, the automated checks with their evidence, novelty and the nearest past
    item, audit sample, rule set version."""
    with workspace(ctx, write=False) as ws:
        ex = ws.explain(item_ref)
    if as_json:
        emit_json(_explanation_json(ex))
    else:
        from triage.cli.explain_view import render_explanation

        console().print(render_explanation(ex))


def _explanation_json(ex: Any) -> dict[str, Any]:
    d = ex.decision
    nearest = None
    if d.novelty.nearest:
        nearest = {
            "ref": d.novelty.nearest,
            "verdict": ex.nearest_verdict.outcome if ex.nearest_verdict else None,
            "modes": list(ex.nearest_verdict.modes) if ex.nearest_verdict else [],
        }
    return {
        "id": ex.item.id,
        "source": ex.item.source,
        "agent": ex.item.agent,
        "task_type": ex.item.task_type,
        "lane": d.lane.value,
        "rule_lane": d.lane_before_sample.value,
        "default_lane": d.default_lane,
        "reasons": [
            {"rule": r.label, "lane": r.lane.value, "why": r.why, "matched": r.matched}
            for r in d.reasons
        ],
        "novelty": {
            "score": d.novelty.score,
            "novel": d.novelty.is_novel,
            "nearest": d.novelty.nearest,
            "nearest_item": nearest,
        },
        "audit_sample": d.audit_sample,
        "checks": [check.as_json() for check in d.checks],
        "risk": d.failure_risk.as_json() if d.failure_risk is not None else None,
        "rules_version": d.rules_version,
        "rules_commit": d.rules_commit,
        "decisions": ex.decisions,
        "verdict": ex.verdict.outcome if ex.verdict else None,
    }


def register(group: click.Group) -> None:
    group.add_command(queue)
    group.add_command(explain)
