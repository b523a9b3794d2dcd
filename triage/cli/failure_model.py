"""``triage failure-model``: list, add, edit, retire and export the failure model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from triage.cli.common import CliError, console, emit_json, workspace
from triage.cli.output import say
from triage.core.models import ModeStatus

reviewer_option = click.option(
    "--reviewer",
    envvar="TRIAGE_REVIEWER",
    help="Who makes the change, for the audit log (default: config).",
)


@click.group("failure-model")
def failure_model() -> None:
    """The failure model: how outputs go wrong, per task type, with the evidence.

    Every change is recorded in the audit log; retiring and reactivating a mode
    is for leads.
    """


@failure_model.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@click.pass_context
def export(ctx: click.Context, output: Path | None) -> None:
    """The failure model as one markdown document an owner can read."""
    with workspace(ctx, write=False, announce_rules=False) as ws:
        document = ws.failure_model.export_markdown()
    if output is None:
        say(document, nl=False)
        return
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as exc:
        raise CliError(str(exc)) from None
    console(err=True).print(f"wrote the failure model to {output}", markup=False)


@failure_model.command("list")
@click.option("--task-type", metavar="T", help="Only modes of T (and those for every task type).")
@click.option("--json", "as_json", is_flag=True, help="Write the modes as JSON.")
@click.pass_context
def list_modes(ctx: click.Context, task_type: str | None, as_json: bool) -> None:
    """Every failure mode, active and retired, with how often it was found."""
    with workspace(ctx, write=False, announce_rules=False) as ws:
        modes = ws.failure_model.modes(task_type, active_only=False)
        evidence = ws.failure_model.evidence(examples=0)
    if as_json:
        emit_json([_mode_json(mode, evidence.get(mode.id)) for mode in modes])
        return
    if not modes:
        console().print("No failure modes yet. Add one with `triage failure-model add`.")
        return
    out = console()
    out.print(_modes_table(modes, evidence, out.width))


def _mode_json(mode: Any, ev: Any) -> dict[str, Any]:
    return {
        "id": mode.id,
        "task_type": mode.task_type,
        "title": mode.title,
        "description": mode.description,
        "look_for": mode.look_for,
        "status": mode.status,
        "failures": ev.failures if ev else 0,
        "by_lane": ev.by_lane if ev else {},
        "by_model": ev.by_model if ev else {},
        "first_seen": ev.first_seen.isoformat() if ev and ev.first_seen else None,
        "last_seen": ev.last_seen.isoformat() if ev and ev.last_seen else None,
    }


def _modes_table(modes: list[Any], evidence: dict[str, Any], width: int) -> Any:
    from triage.cli.stats import Cell, Column, fit_table

    columns = [
        Column("id", flexible=True),
        Column("task type", flexible=True),
        Column("status"),
        Column("found", right=True),
        Column("last seen"),
        Column("title", flexible=True, cut_first=True),
    ]
    rows: list[list[Cell]] = []
    for mode in modes:
        ev = evidence.get(mode.id)
        rows.append(
            [
                (mode.id, ""),
                (mode.task_type or "(all)", ""),
                (str(mode.status), "dim" if mode.status is ModeStatus.RETIRED else ""),
                (str(ev.failures if ev else 0), ""),
                (ev.last_seen.date().isoformat() if ev and ev.last_seen else "–", ""),
                (mode.title, ""),
            ]
        )
    return fit_table(columns, rows, width)


@failure_model.command("add")
@click.argument("mode_id", metavar="ID")
@click.option("--title", required=True, help="A short name for the failure.")
@click.option("--task-type", metavar="T", help="The task type it belongs to (default: all).")
@click.option("--description", default="", help="What goes wrong.")
@click.option("--look-for", default="", help="What reviewers check (a checklist item).")
@reviewer_option
@click.pass_context
def add(
    ctx: click.Context,
    mode_id: str,
    title: str,
    task_type: str | None,
    description: str,
    look_for: str,
    reviewer: str | None,
) -> None:
    """Add the failure mode ID."""
    from triage.core.models import FailureMode

    mode = FailureMode(
        id=mode_id, title=title, task_type=task_type, description=description, look_for=look_for
    )
    with workspace(ctx, write=True, announce_rules=False) as ws:
        ws.failure_model.add(mode, actor=reviewer or ws.config.reviewer)
    console().print(f"added failure mode {mode_id}", markup=False)


@failure_model.command("edit")
@click.argument("mode_id", metavar="ID")
@click.option("--title", help="New title.")
@click.option("--description", help="New description of what goes wrong.")
@click.option("--look-for", help="New checklist text.")
@click.option("--task-type", metavar="T", help="Move to task type T ('all': every task type).")
@reviewer_option
@click.pass_context
def edit(
    ctx: click.Context,
    mode_id: str,
    title: str | None,
    description: str | None,
    look_for: str | None,
    task_type: str | None,
    reviewer: str | None,
) -> None:
    """Change the failure mode ID (only the fields given)."""
    from triage.learn.failure_model import UNCHANGED

    if title is None and description is None and look_for is None and task_type is None:
        raise click.UsageError(
            "say what to change: --title, --description, --look-for or --task-type"
        )
    moved: Any = UNCHANGED if task_type is None else (None if task_type == "all" else task_type)
    with workspace(ctx, write=True, announce_rules=False) as ws:
        ws.failure_model.edit(
            mode_id,
            title=title,
            description=description,
            look_for=look_for,
            task_type=moved,
            actor=reviewer or ws.config.reviewer,
        )
    console().print(f"updated failure mode {mode_id}", markup=False)


@failure_model.command("retire")
@click.argument("mode_id", metavar="ID")
@click.option("--reason", default="", help="Why, for the audit log.")
@reviewer_option
@click.pass_context
def retire(ctx: click.Context, mode_id: str, reason: str, reviewer: str | None) -> None:
    """Retire the failure mode ID: off the checklist, evidence kept (leads only)."""
    _set_status(ctx, mode_id, ModeStatus.RETIRED, reason=reason, reviewer=reviewer)


@failure_model.command("reactivate")
@click.argument("mode_id", metavar="ID")
@click.option("--reason", default="", help="Why, for the audit log.")
@reviewer_option
@click.pass_context
def reactivate(ctx: click.Context, mode_id: str, reason: str, reviewer: str | None) -> None:
    """Put the retired failure mode ID back on the checklist (leads only)."""
    _set_status(ctx, mode_id, ModeStatus.ACTIVE, reason=reason, reviewer=reviewer)


def _set_status(
    ctx: click.Context, mode_id: str, status: ModeStatus, *, reason: str, reviewer: str | None
) -> None:
    with workspace(ctx, write=True, announce_rules=False) as ws:
        model = ws.failure_model
        change = model.retire if status is ModeStatus.RETIRED else model.reactivate
        before = model.mode(mode_id).status
        change(mode_id, actor=reviewer or ws.config.reviewer, reason=reason)
    if before is status:
        done = f"was already {status}"
    else:
        done = "retired" if status is ModeStatus.RETIRED else "is active again"
    console().print(f"failure mode {mode_id} {done}", markup=False)


def register(group: click.Group) -> None:
    group.add_command(failure_model)
