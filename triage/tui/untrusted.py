"""The app's one way to show text that came from an agent, a platform or a user file.

Textual parses a ``str`` handed to a widget (``Static``, ``Label``, an option's
prompt, a palette hit, a notification, a table cell) as markup, and passes escape
sequences through to the terminal. So the app never hands it such a string: an
id, agent, task type, model, failure-mode name, note, reviewer, rule text or an
error message quoting any of them becomes a ``rich.text.Text`` (or Textual
``Content``) built from :func:`triage.core.inert.inert` text, which no parser reads
and which holds no control character. Notifications are made inert by the app
itself (:meth:`triage.tui.app.TriageApp.notify`).
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.fuzzy import Matcher

from triage.core.inert import inert, one_line


def untrusted(value: str, width: int | None = None, *, style: str = "") -> Text:
    """``value`` as plain, inert text: one line of at most ``width`` characters when
    ``width`` is given, else with its line breaks kept."""
    return Text(inert(value) if width is None else one_line(value, width), style=style)


def palette_prompt(label: str, matcher: Matcher, *, help: str = "", width: int = 80) -> Content:
    """A command-palette prompt for ``label`` (untrusted) with the characters the
    query matched highlighted, and an optional second, dimmer line ``help``
    (untrusted too). Built as content, so the palette parses none of it."""
    shown = one_line(label, width)
    prompt = Content(shown)
    score, offsets = matcher.fuzzy_search.match(matcher.query, shown)
    if score:
        for offset in offsets:
            if not shown[offset].isspace():
                prompt = prompt.stylize(matcher.match_style, offset, offset + 1)
    if help:
        prompt = Content("\n").join([prompt, Content.styled(one_line(help, width), "dim")])
    return prompt
