"""A dialog's keys line: the keys that work in the dialog now, as they are bound now.

The line is built from the dialog's live bindings, never written by hand: each
binding of the dialog's own that is shown and described, with the keys Textual
runs it on once ``[keys]`` in triage.toml is applied (so a remapped key shows as
remapped), minus any key the focused field would take as typing or answer itself
(a text box typing a space, a text area's own ``ctrl+d``). Key names are Textual's
(``^s``, ``esc``), as in the footer. The line follows the dialog as it changes: it
is redrawn whenever the screen's bindings change (focus moves, a dialog calls
``refresh_bindings()`` because its state changed).

A key that is no binding of the dialog's (``enter`` in a text box, which the box
itself answers) comes from the dialog, through ``also``, and only while it works.
While a dialog is open, the footer of the screen beneath is hidden (see
``app.tcss``), so this line is the only place its keys are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import takewhile
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.keys import key_to_character
from textual.screen import Screen
from textual.widgets import Label

from triage.core.inert import inert

Also = Callable[[], Iterable[tuple[str, str]]]
"""Keys the dialog adds that are none of its bindings, as (keys, what they do):
asked for each time the line is drawn, so they can depend on the dialog's state."""


def bound_keys(screen: Screen[Any]) -> dict[str, list[str]]:
    """Binding id → the keys that run that binding of ``screen``'s own now, as
    Textual displays them (``^s``), in the order Textual holds them. A binding of a
    focused widget or one its key is typed into is not the screen's, so a key taken
    that way is not listed; a binding whose action is disabled is not either."""
    focused = screen.focused
    below = [] if focused is None else focused.ancestors_with_self
    fields = list(takewhile(lambda node: node is not screen, below))
    keys: dict[str, list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if active.node is not screen or not binding.id:
            continue
        # Textual drops a key a field types before applying the keymap, so a key
        # given by a remap is checked here.
        if any(field.check_consume_key(key, key_to_character(key)) for field in fields):
            continue
        keys.setdefault(binding.id, []).append(screen.app.get_key_display(binding))
    return keys


def keys_line(screen: Screen[Any], also: Iterable[tuple[str, str]] = ()) -> str:
    """``screen``'s keys as one line, ``keys: what · keys: what``: first the keys
    ``also`` names, then each shown, described binding of the screen's own in the
    order its class declares them, with every key it is bound to now (``/``
    between). Entries that do the same thing are one entry. A binding with no key
    left is not shown."""
    entries: dict[str, list[str]] = {}
    for keys, what in also:
        entries.setdefault(what, []).append(keys)
    live = bound_keys(screen)
    for declared in screen.BINDINGS:
        if isinstance(declared, Binding) and declared.show and declared.description:
            for key in live.get(declared.id or "", []):
                entries.setdefault(declared.description.lower(), []).append(key)
    return " · ".join(f"{' / '.join(keys)}: {what}" for what, keys in entries.items() if keys)


class KeysLine(Label):
    """The keys line of the dialog it is on (see the module docstring). Every dialog
    shows its keys with one of these, never with a line written by hand."""

    DEFAULT_CSS = """
    KeysLine {
        color: $text-muted;
    }
    """

    def __init__(
        self, *, also: Also | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self._also = also

    def line(self) -> str:
        """The line as it reads now."""
        return keys_line(self.screen, self._also() if self._also is not None else ())

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._redraw)
        self.redraw()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _redraw(self, screen: Screen[Any]) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the line again from the bindings as they are now."""
        # Remapped keys come from triage.toml: shown inert, like any text from a file.
        self.update(Text(inert(self.line(), multiline=False)))
