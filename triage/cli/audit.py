"""``triage audit``: check the sealed audit log, and show or make its key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from triage.cli.common import console, emit_json, workspace
from triage.cli.output import say

if TYPE_CHECKING:
    from triage.service.audit import AuditCheck


@click.group()
def audit() -> None:
    """The append-only audit log of verdicts, rule changes and failure-model edits,
    sealed with a key kept outside the database (TRIAGE_AUDIT_KEY, or the key file
    in the config directory)."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """Check every entry's seal, the head, and the verdict, failure-mode, answer and
    rule-set rows the log records; list every entry or row that does not match, and
    exit 1 if any does. Prints the fingerprint of the key in force (never the key)."""
    with workspace(ctx, announce_rules=False) as ws:
        result = ws.verify_audit()
    if as_json:
        emit_json(_as_json(result))
    else:
        _show(result)
    if not result.ok:
        ctx.exit(1)


def _as_json(result: AuditCheck) -> dict[str, object]:
    return {
        "ok": result.ok,
        "entries": result.entries,
        "broken_at": result.broken_at,
        "problem": result.problem or None,
        "problems": [p.as_json() for p in result.problems],
        "more_problems": result.more,
        "key": result.key,
        "key_origin": result.key_origin,
        "sealed_with": result.sealed_with,
        "sealed_at": result.sealed_at.isoformat() if result.sealed_at else None,
        "legacy_entries": result.legacy,
        "rows_checked": result.rows,
    }


def _show(result: AuditCheck) -> None:
    out = console()
    if result.key:
        out.print(f"key in force: {result.key} (from {result.key_origin})")
    else:
        out.print("key in force: none is set here")
    if result.sealed_with:
        since = result.sealed_at.strftime("%Y-%m-%d %H:%M UTC") if result.sealed_at else "?"
        older = f"; {result.legacy} entries from before sealing" if result.legacy else ""
        out.print(f"sealed with: {result.sealed_with} since {since}{older}")
    if result.ok:
        out.print(f"audit log intact: {result.entries} entries, {result.rows} rows checked")
        return
    first, *rest = result.problems
    where = f" at entry {result.broken_at}" if result.broken_at is not None else ""
    say(f"audit log broken{where}: {first.message}", err=True)
    for problem in rest:
        say(f"  {problem.message}", err=True)
    if result.more:
        say(f"  … and {result.more} more problems", err=True)


@audit.command("key")
@click.option(
    "--generate", is_flag=True, help="Print a new random key for TRIAGE_AUDIT_KEY instead."
)
def key(generate: bool) -> None:
    """Show the fingerprint of the audit key in force and where it comes from (the
    key itself is never shown). With --generate, print a fresh key (64 hex digits) for
    a team to share as TRIAGE_AUDIT_KEY; set it before the team's database is first
    opened, since a log stays sealed with the key it was sealed with."""
    from triage.service import audit as audit_key

    if generate:
        say(audit_key.new_key())
        return
    found = audit_key.key_in_force()
    if found is None:
        say(f"no audit key yet: one is created at {audit_key.key_source()} on first use")
    else:
        say(f"{found.fingerprint} (from {found.origin})")


def register(group: click.Group) -> None:
    """Add ``triage audit`` to the command line."""
    group.add_command(audit)
