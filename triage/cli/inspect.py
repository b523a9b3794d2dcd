"""``triage queue``, ``triage explain`` and the overview shown by a bare ``triage``."""

from __future__ import annotations

from typing import Any

import click

from triage.cli.common import console, emit_json, parse_day, workspace

LANE_STYLE = {"deep": "bold red", "scan": "yellow", "pass": "green"}


def show_overview(ctx: click.Context) -> None:
    """Lane counts and the top of the queue, with where to go next."""
    from rich.text import Text

    with workspace(ctx) as ws:
        counts = ws.store.lane_counts()
        entries = ws.queue(limit=10)
    out = console()
    total = sum(counts.values())
    if total == 0:
        out.print("No items yet. Pull some with `triage pull FILE.jsonl`, or try `triage demo`.")
        return
    line = Text(f"{total} items: ")
    for lane, n in counts.items():
        line.append(f"{n} {lane.value}", style=LANE_STYLE[lane.value])
        line.append("  ")
    out.print(line)
    out.print(_queue_table(entries))
    out.print("More: `triage queue --lane deep`, `triage explain ID`, `triage --help`.")


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
    from triage.models import Lane

    with workspace(ctx) as ws:
        entries = ws.queue(lane=Lane(lane) if lane else None, day=parse_day(day), limit=limit)
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
    console().print(_queue_table(entries))


def _queue_table(entries: list[Any]) -> Any:
    from rich.table import Table
    from rich.text import Text

    from triage.inert import one_line

    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("lane", "id", "created", "agent", "task type", "why"):
        table.add_column(name, no_wrap=name != "why", overflow="ellipsis")
    for e in entries:
        table.add_row(
            Text(e.lane.value + ("*" if e.audit_sample else ""), style=LANE_STYLE[e.lane.value]),
            Text(one_line(e.id, 28)),
            Text(e.created_at.strftime("%m-%d %H:%M")),
            Text(one_line(e.agent, 16)),
            Text(one_line(e.task_type, 20)),
            Text(one_line(e.reason, 90)),
        )
    return table


@click.command()
@click.argument("item_ref", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Write the explanation as JSON.")
@click.pass_context
def explain(ctx: click.Context, item_ref: str, as_json: bool) -> None:
    """Why the item ID sits in its lane: every matching rule with the values that
    matched, novelty and the nearest past item, audit sample, rule set version."""
    with workspace(ctx) as ws:
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
        "rule_lane": (d.rule_lane or d.lane).value,
        "default_lane": d.default_lane,
        "reasons": [
            {"rule": r.rule, "lane": r.lane.value, "why": r.why, "matched": r.matched}
            for r in d.reasons
        ],
        "novelty": {
            "score": d.novelty.score,
            "novel": d.novelty.is_novel,
            "nearest": d.novelty.nearest,
            "nearest_item": nearest,
        },
        "audit_sample": d.audit_sample,
        "rules_version": d.rules_version,
        "rules_commit": d.rules_commit,
        "decisions": ex.decisions,
        "verdict": ex.verdict.outcome if ex.verdict else None,
    }


def register(group: click.Group) -> None:
    group.add_command(queue)
    group.add_command(explain)
