"""``triage verdict``: record a verdict without the reviewer app."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from triage.cli.common import console, emit_json, workspace
from triage.cli.output import say

if TYPE_CHECKING:
    from triage.service.verdict_import import ImportReport


@click.command()
@click.argument("item_ref", metavar="ID", required=False)
@click.option("--ok", "outcome", flag_value="ok", help="The output is right.")
@click.option("--fail", "outcome", flag_value="fail", help="The output is wrong.")
@click.option("--escalate", "outcome", flag_value="escalate", help="Lift to deep for someone else.")
@click.option("--mode", "modes", multiple=True, metavar="M", help="Failure mode id (repeatable).")
@click.option("--note", default="", help="A note for the record.")
@click.option("--reviewer", envvar="TRIAGE_REVIEWER", help="Who is reviewing (default: config).")
@click.option("--seconds", type=float, default=0.0, help="Time spent on the item.")
@click.option(
    "--expect",
    metavar="VERDICT|none",
    help="Record only if this verdict (its number, or `none` for an unreviewed item) "
    "is the one in force; otherwise nothing is written and the command exits 1 with "
    "the verdict now in force.",
)
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Import past verdicts from a CSV or JSON Lines file (.gz too) instead of ID.",
)
@click.option(
    "--source",
    metavar="NAME",
    help="With --from: look the file's ids up in this source only.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Write the stored verdict (or the import) as JSON."
)
@click.pass_context
def verdict(
    ctx: click.Context,
    item_ref: str | None,
    outcome: str | None,
    modes: tuple[str, ...],
    note: str,
    reviewer: str | None,
    seconds: float,
    expect: str | None,
    from_file: Path | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Record a verdict on the item ID (committed before this returns), or import
    past verdicts with --from FILE.

    Failure modes not yet in the failure model are created for the item's task type.
    A verdict on an item that already has one is recorded as a correction, unless
    --expect says which verdict you saw: then, if another has been recorded (or
    undone) since, nothing is written and the command exits 1 naming it.

    --from FILE reads CSV with a header of the columns id, outcome, modes, note,
    reviewer, at (any order; id and outcome required; modes separated by `;`) or
    JSON Lines of {"id", "outcome", "modes": [...], "note", "reviewer", "at"}.
    `at` (ISO 8601, no zone = UTC) is when the verdict was given; a line without a
    reviewer takes --reviewer, then the configured one. Importing a file again adds
    nothing. A bad line is reported as FILE:LINE: reason and skipped, and the exit
    status stays 0 while any line was imported or found already there; it is 1
    when the file cannot be read, or when lines were rejected and none was
    accepted.
    """
    if from_file is not None:
        _refuse_with_import(item_ref, outcome, modes, note, seconds, expect)
        _import(ctx, from_file, source=source, reviewer=reviewer, as_json=as_json)
        return
    if source is not None:
        raise click.UsageError("--source goes with --from FILE (for an ID, say SOURCE:ID)")
    if item_ref is None:
        raise click.UsageError("give an item ID, or --from FILE to import verdicts")
    from triage.core.models import Outcome
    from triage.service.workspace import UNCHECKED, Expect

    if outcome is None:
        raise click.UsageError("say --ok, --fail or --escalate")
    verdict = Outcome(outcome)
    if modes and verdict is Outcome.OK:
        raise click.UsageError("--mode tags a failure; use it with --fail or --escalate")
    seen: Expect = UNCHECKED
    if expect is not None:
        if expect.strip().lower() == "none":
            seen = None
        elif expect.strip().isdigit():
            seen = int(expect)
        else:
            raise click.BadParameter("say a verdict number or `none`", param_hint="--expect")
    with workspace(ctx, write=True) as ws:
        who = reviewer or ws.config.reviewer
        record, created = ws.record_verdict(
            item_ref,
            verdict,
            reviewer=who,
            modes=modes,
            note=note,
            seconds=seconds,
            expect=seen,
        )
    if as_json:
        emit_json(
            {
                "verdict": record.pk,
                "id": item_ref,
                "outcome": record.outcome,
                "modes": list(record.modes),
                "reviewer": record.reviewer,
                "lane": record.lane,
                "rules_version": record.rules_version,
                "created_modes": [m.id for m in created],
            }
        )
        return
    out = console()
    for mode in created:
        out.print(f"created failure mode {mode.id} for {mode.task_type}", markup=False)
    out.print(f"recorded {record.outcome} on {item_ref} by {record.reviewer}", markup=False)


def _refuse_with_import(
    item_ref: str | None,
    outcome: str | None,
    modes: tuple[str, ...],
    note: str,
    seconds: float,
    expect: str | None,
) -> None:
    """--from takes every verdict from the file: refuse what would say otherwise."""
    if item_ref is not None:
        raise click.UsageError("give an item ID or --from FILE, not both")
    given = [
        name
        for name, present in (
            ("--ok/--fail/--escalate", outcome is not None),
            ("--mode", bool(modes)),
            ("--note", bool(note)),
            ("--seconds", bool(seconds)),
            ("--expect", expect is not None),
        )
        if present
    ]
    if given:
        raise click.UsageError(
            f"--from FILE takes outcomes, modes and notes from the file; drop {', '.join(given)}"
        )


def _import(
    ctx: click.Context, path: Path, *, source: str | None, reviewer: str | None, as_json: bool
) -> None:
    with workspace(ctx, write=True) as ws:
        report = ws.import_verdicts(path, source=source, reviewer=reviewer)
    if as_json:
        emit_json(report.as_json())
    else:
        _print_import(report)
    if report.rejected and not report.accepted:
        ctx.exit(1)


def _print_import(report: ImportReport) -> None:
    from triage.core.inert import one_line

    out = console()
    for mode in report.created_modes:
        out.print(f"created failure mode {mode}", markup=False)
    out.print(
        f"imported {report.imported:,} verdicts, {report.unchanged:,} unchanged, "
        f"{len(report.rejected):,} rejected",
        markup=False,
    )
    for rejected in report.rejected:
        say(one_line(f"{report.path}:{rejected.line}: {rejected.reason}", 300), err=True)


def register(group: click.Group) -> None:
    group.add_command(verdict)
