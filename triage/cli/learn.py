"""``triage rules backtest`` and ``triage rules suggest``: learning from verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from triage.cli.common import CliError, console, emit_json, workspace
from triage.cli.output import say

if TYPE_CHECKING:
    from triage.learn.backtest import BacktestResult
    from triage.learn.suggest import Suggestion


@click.command("backtest")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--days", type=click.IntRange(min=1), help="Only items created in the last N days of data."
)
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@click.pass_context
def backtest_command(ctx: click.Context, directory: Path, days: int | None, as_json: bool) -> None:
    """Backtest the draft rules in DIRECTORY against past verdicts.

    Every item with an ok or fail verdict is decided again under the draft: how
    many change lane, which known failures the draft would pass (escapes), which
    items newly go deep, and reviewer minutes per day before and after.
    """
    from triage.rules import RulesError, load_rules

    try:
        draft = load_rules(directory)
    except RulesError as exc:
        for p in exc.problems:
            say(f"{directory / p.file}:{p.line}: {p.message}", err=True)
        count = len(exc.problems)
        raise CliError(f"{count} problem{'s' if count != 1 else ''} in the draft rules") from None
    with workspace(ctx, write=False) as ws:
        result = ws.learning.backtest(draft, days=days)
    if as_json:
        emit_json(result.as_json())
        return
    show_backtest(result, title=f"Backtest of {directory} ({draft.version})")


def show_backtest(result: BacktestResult, *, title: str) -> None:
    """The transition matrix, escapes, newly deep items and minutes per day."""
    from rich.table import Table
    from rich.text import Text

    from triage.learn.backtest import LANES, matrix

    out = console()
    if not result.items:
        _say(out, "No reviewed items to backtest against yet: record some verdicts first.")
        return
    days = f"{result.days} day{'s' if result.days != 1 else ''}"
    _say(out, f"{title}: {result.items} reviewed items over {days}")
    table = Table(title="lane when reviewed → lane under the draft", title_justify="left")
    table.add_column("was \\ now", style="bold")
    for lane in LANES:
        table.add_column(lane.value, justify="right")
    for old, counts in matrix(result):
        cells = [
            Text(str(n), style="bold") if new is old else Text(str(n) if n else "·")
            for new, n in zip(LANES, counts, strict=True)
        ]
        table.add_row(old.value, *cells)
    out.print(table)
    _say(out, f"Changed lane: {result.changed} of {result.items}")
    _refs(out, "Escapes (failed, the draft passes them)", result.escapes)
    _refs(out, "Newly deep", result.newly_deep)
    _say(out, f"Reviewer minutes per day: {result.minutes_before:g} → {result.minutes_after:g}")


def _refs(out: Any, label: str, refs: tuple[str, ...], limit: int = 20) -> None:
    if not refs:
        _say(out, f"{label}: none")
        return
    more = f", … ({len(refs) - limit} more)" if len(refs) > limit else ""
    shown = ", ".join(refs[:limit]) + more
    _say(out, f"{label}: {len(refs)}: {shown}")


@click.command("suggest")
@click.option("--apply", "apply_id", metavar="ID", help="Accept suggestion ID: edit the rules.")
@click.option("--dismiss", "dismiss_id", metavar="ID", help="Dismiss suggestion ID.")
@click.option("--reason", default="", help="Why (required with --dismiss).")
@click.option("--reviewer", envvar="TRIAGE_REVIEWER", help="Who decides (default: config).")
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@click.pass_context
def suggest_command(
    ctx: click.Context,
    apply_id: str | None,
    dismiss_id: str | None,
    reason: str,
    reviewer: str | None,
    as_json: bool,
) -> None:
    """Rule changes the verdicts argue for, with evidence and a backtest.

    --apply ID writes the change into the rule files (comments kept), records it
    in the audit log and re-triages; --dismiss ID --reason TEXT hides it until its
    evidence changes. Both are for leads.
    """
    if apply_id and dismiss_id:
        raise click.UsageError("give --apply or --dismiss, not both")
    if dismiss_id and not reason.strip():
        raise click.UsageError("--dismiss needs --reason TEXT: say why")
    with workspace(ctx, write=bool(apply_id or dismiss_id)) as ws:
        who = reviewer or ws.config.reviewer
        if apply_id:
            result = ws.learning.apply_suggestion(apply_id, actor=who, reason=reason)
            _show_applied(result.as_json(), as_json)
            return
        if dismiss_id:
            answer = ws.learning.dismiss_suggestion(dismiss_id, actor=who, reason=reason)
            _show_dismissed(answer.suggestion, answer.actor, answer.reason, as_json)
            return
        found = ws.learning.suggestions()
    if as_json:
        emit_json([s.as_json() for s in found])
        return
    out = console()
    if not found:
        _say(out, "No suggestions: the verdicts so far argue for no rule change.")
        return
    for s in found:
        show_suggestion(out, s)
    _say(out, "Accept one with: triage rules suggest --apply ID")


def _show_applied(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    out = console()
    _say(out, f"accepted {result['suggestion']}")
    for rel, lines in result["summary"].items():
        _say(out, f"  {rel}: +{lines['added']} -{lines['removed']} lines")
    _say(out, f"rules {result['old_version']} → {result['new_version']}")
    totals = ", ".join(f"{n} {lane}" for lane, n in result["lanes"].items())
    _say(out, f"re-triaged: {totals}")


def _show_dismissed(suggestion: str, actor: str, reason: str, as_json: bool) -> None:
    if as_json:
        emit_json(
            {"suggestion": suggestion, "decision": "dismissed", "actor": actor, "reason": reason}
        )
        return
    _say(console(), f"dismissed {suggestion} ({actor}): {reason}")


def show_suggestion(out: Any, s: Suggestion) -> None:
    """One suggestion: id and title, evidence, change, backtest summary."""
    from rich.text import Text

    out.print(Text(s.id, style="bold"), soft_wrap=True)
    _say(out, f"  {s.title}")
    _say(out, f"  evidence: {s.evidence.sentence}")
    for change in s.changes:
        _say(out, f"  change: {change.describe()}")
    if s.backtest is not None:
        _say(out, f"  backtest: {s.backtest_summary}")
    out.print("")


def _say(out: Any, text: str) -> None:
    """One line of plain text, never wrapped (so it can be searched for and piped)."""
    out.print(text, markup=False, soft_wrap=True)
