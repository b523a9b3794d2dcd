"""``triage audit verify``: check the tamper-evident audit chain."""

from __future__ import annotations

import click

from triage.cli.common import console, emit_json, workspace
from triage.cli.output import say


@click.group()
def audit() -> None:
    """The append-only audit log of verdicts, rule changes and failure-model edits."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """Walk the hash chain; report the first entry that was altered or removed."""
    with workspace(ctx, announce_rules=False) as ws:
        result = ws.store.verify_audit()
    if as_json:
        emit_json(
            {
                "ok": result.ok,
                "entries": result.entries,
                "broken_at": result.broken_at,
                "problem": result.problem or None,
            }
        )
    elif result.ok:
        console().print(f"audit log intact: {result.entries} entries")
    else:
        say(f"audit log broken at entry {result.broken_at}: {result.problem}", err=True)
    if not result.ok:
        ctx.exit(1)


def register(group: click.Group) -> None:
    group.add_command(audit)
