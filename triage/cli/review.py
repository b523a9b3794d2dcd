"""``triage verdict``: record a verdict without the reviewer app."""

from __future__ import annotations

import click

from triage.cli.common import console, emit_json, workspace


@click.command()
@click.argument("item_ref", metavar="ID")
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
@click.option("--json", "as_json", is_flag=True, help="Write the stored verdict as JSON.")
@click.pass_context
def verdict(
    ctx: click.Context,
    item_ref: str,
    outcome: str | None,
    modes: tuple[str, ...],
    note: str,
    reviewer: str | None,
    seconds: float,
    expect: str | None,
    as_json: bool,
) -> None:
    """Record a verdict on the item ID (committed before this returns).

    Failure modes not yet in the failure model are created for the item's task type.
    A verdict on an item that already has one is recorded as a correction, unless
    --expect says which verdict you saw: then, if another has been recorded (or
    undone) since, nothing is written and the command exits 1 naming it.
    """
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


def register(group: click.Group) -> None:
    group.add_command(verdict)
