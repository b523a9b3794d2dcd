"""How the command line writes for people: one inert path for every line.

Every human-readable line the commands print goes through :func:`say` or through
the console from :func:`console`. Both pass all text through
:func:`triage.core.inert.inert` on its way out, so an id, task type, note, rule text or
error message that came from an agent, a platform or a user file can never act
on the terminal (no escape sequences, no C1 controls, no bidi overrides), and
nothing is parsed as rich markup or ``:emoji:`` codes: ``[bold red]`` prints as
those ten characters. Styles the commands choose themselves (lane colours, bold
headers) still reach a terminal; they are added around the text, never from it.

Machine-readable output (:func:`emit_json`) is ASCII-only JSON, so agent text in
it is escaped (``\\u001b``) rather than made visible.

Nothing outside this module writes to stdout or stderr directly; a test holds
the command modules to that.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

import click

from triage.core.inert import inert

if TYPE_CHECKING:
    from rich.console import Console


def say(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print ``text`` as plain text (inert; newlines kept), to stderr with ``err``."""
    click.echo(inert(text), err=err, nl=nl)


def emit_json(value: Any) -> None:
    """Machine-readable output: ASCII-only JSON, so no agent text can act on a terminal."""
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=True))


def console(*, err: bool = False) -> Console:
    """A rich console for tables and styled lines whose every text segment is made
    inert as it is rendered, with markup, emoji codes and highlighting off."""
    inert_console = _inert_console_class()
    return inert_console(stderr=err, markup=False, emoji=False, highlight=False, soft_wrap=False)


@cache
def _inert_console_class() -> type[Console]:
    # Built on first use so that importing the command line does not import rich.
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.segment import Segment
    from rich.text import Text

    class InertConsole(Console):
        """A console that cannot write a control character it did not make itself:
        a printed string is made inert before rich sees it (so a BEL shows as ``␇``
        rather than vanishing), and the text of every rendered segment passes
        through :func:`inert`; only the console's own control segments (cursor
        moves of a progress bar) pass as they are."""

        def render_str(self, text: str, **options: Any) -> Text:
            return super().render_str(inert(text), **options)

        def render(
            self, renderable: RenderableType, options: ConsoleOptions | None = None
        ) -> Iterable[Segment]:
            for segment in super().render(renderable, options):
                text = segment.text
                if segment.control or text.isprintable():
                    yield segment
                else:
                    yield Segment(inert(text), segment.style)

    return InertConsole
