"""What every command shares: opening the workspace, JSON output, error reporting."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from triage.config import Config
    from triage.service.workspace import Workspace


class CliError(click.ClickException):
    """An error the user can act on: printed as ``error: message`` on stderr, exit 1."""

    def show(self, file: Any = None) -> None:
        """Print ``error: message`` on stderr; the message is made inert (it may quote
        an id or a value from an agent or a file)."""
        from triage.cli.output import say

        say(f"error: {self.format_message()}", err=True)


class CliGroup(click.Group):
    """Turns the core's expected failures (:class:`~triage.errors.TriageError`, the
    refused rules' problems listed first) into clean one-line errors and exit 1.
    Anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from triage.errors import TriageError
        from triage.rules import RulesError

        try:
            return super().invoke(ctx)
        except RulesError as exc:
            for problem in exc.problems:
                _say(str(problem), err=True)
            raise CliError(
                "the rules were refused and no earlier good rule set is stored"
            ) from None
        except TriageError as exc:
            raise CliError(str(exc)) from None


def load_config(ctx: click.Context) -> Config:
    from triage.config import load_config as load

    obj = ctx.find_root().obj or {}
    return load(obj.get("config_path"), use_env=not obj.get("isolated", False))


@contextmanager
def workspace(
    ctx: click.Context, *, write: bool = False, announce_rules: bool = True
) -> Iterator[Workspace]:
    """The workspace for this invocation, closed afterwards. When the rules folder
    was refused, say so on stderr (the last good rules stay in force). A command
    that records anything passes ``write``: on a database that can only be read it
    then stops at once with ``error: … is read-only …``; reading commands work there."""
    from triage.service.workspace import Workspace

    ws = Workspace.open(load_config(ctx), write=write)
    try:
        if announce_rules:
            warn_if_fallback(ws)
        yield ws
    finally:
        ws.close()


def warn_if_fallback(ws: Workspace) -> None:
    """When the rules folder was refused, its problems and a warning on stderr (inert).

    With no good rule set to fall back on, nothing is said here: a command that needs
    rules reports the refusal itself, and one that does not (a pull stores items
    without a lane; a listing) still works."""
    from triage.rules import RulesError

    try:
        rules = ws.rules()
    except RulesError:
        return
    if rules.fallback:
        for problem in rules.problems:
            _say(str(problem), err=True)
        _say(
            f"warning: the rules folder was refused; the last good rule set "
            f"{rules.ruleset.version} stays in force",
            err=True,
        )


def _say(text: str, *, err: bool = False) -> None:
    from triage.cli.output import say

    say(text, err=err)


def emit_json(value: Any) -> None:
    """Machine-readable output: ASCII-only JSON, so no agent text can act on a terminal."""
    from triage.cli.output import emit_json as emit

    emit(value)


def console(*, err: bool = False) -> Console:
    """The console every command prints through: inert text, no markup (see
    :mod:`triage.cli.output`)."""
    from triage.cli.output import console as make

    return make(err=err)


def parse_day(value: str | None) -> date | None:
    """``YYYY-MM-DD``, ``today`` or ``yesterday`` (UTC), as a click option value."""
    from triage.core.presentation import parse_day as parse
    from triage.errors import InvalidInput

    try:
        return parse(value)
    except InvalidInput as exc:
        raise click.BadParameter(str(exc)) from None


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def open_app_or_overview(ctx: click.Context) -> None:
    """The reviewer app on an interactive terminal; the printed queue otherwise
    (pipes, scripts, CI)."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from triage.tui.app import make_app

        make_app(load_config(ctx)).run()
    else:
        from triage.cli.inspect import show_overview

        show_overview(ctx)
