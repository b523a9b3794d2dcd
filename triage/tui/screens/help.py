"""Every key of every screen, as bound now (remapped keys included).

Help is built from the bindings themselves, never from a list kept by hand. The
screens and dialogs are the ``Screen`` classes defined in ``triage.tui.screens``;
the widgets with keys of their own are the classes in ``triage.tui.screens`` and
``triage.tui.widgets`` that declare ``BINDINGS``; both are found by walking those
modules, so a new screen's keys are in help as soon as the screen exists. Each
binding is shown with its keys after ``[keys]`` in triage.toml is applied, the way
Textual applies it (a key given to another binding by the keymap is gone from the
one that had it).

The screen help was opened from comes first, with the widgets on it and the keys
that work on every screen; every other screen and dialog follows.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from triage.tui.untrusted import untrusted
from triage.tui.widgets.keys_line import KeysLine

INTRO = (
    "Work the queue top to bottom. Open an item with enter, read the output and the "
    "why-panel, then one key records the verdict and shows the next item. Every "
    "verdict is saved before the screen says so; undo adds a record, it never erases one."
)

SCREEN_PACKAGE = "triage.tui.screens"
"""Where every screen and dialog of the app is defined."""
WIDGET_PACKAGE = "triage.tui.widgets"
"""Where the app's own widgets are defined (those with bindings get a place in help)."""
EVERYWHERE = "any"
"""The place name of the app's own keys, which work on every screen (a dialog
keeps the keys to itself while it is open)."""
PALETTE = "command palette: lanes, time box, search, jump to item"
"""What the command palette's key does (the key itself is the app's, as configured)."""
UNBOUND = "—"
"""Shown for a binding whose every key the keymap gave to another binding."""


def _classes(package: str) -> list[type]:
    """Every class defined in the modules of ``package``: modules by name, classes in
    the order they are defined."""
    root = importlib.import_module(package)
    found: list[type] = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda module: module.name):
        module = importlib.import_module(f"{package}.{info.name}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and value.__module__ == module.__name__
        ]
    return found


def screen_classes() -> list[type[Screen[Any]]]:
    """Every screen and dialog of the app: the ``Screen`` classes defined in
    ``triage.tui.screens`` that no other one there extends (a shared base such as
    ``TriageScreen`` is not a screen of its own)."""
    screens = [cls for cls in _classes(SCREEN_PACKAGE) if issubclass(cls, Screen)]
    return [cls for cls in screens if not any(o is not cls and issubclass(o, cls) for o in screens)]


def widget_classes() -> list[type[Widget]]:
    """The app's own widgets that declare keys (a queue list, a pane of agent text)."""
    found = _classes(SCREEN_PACKAGE) + _classes(WIDGET_PACKAGE)
    return [
        cls
        for cls in found
        if issubclass(cls, Widget) and not issubclass(cls, Screen) and declared_bindings(cls)
    ]


def declared_bindings(cls: type[DOMNode]) -> list[Binding]:
    """The bindings the app's own classes declare for ``cls`` (its own and those of
    its bases), in the order declared. Textual's built-in keys (focus cycling, copy)
    are the same on every screen and are not listed."""
    found: list[Binding] = []
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("textual") and "BINDINGS" in vars(klass):
            for binding in vars(klass)["BINDINGS"]:
                found.append(binding if isinstance(binding, Binding) else Binding(*binding))
    return found


def place_name(cls: type) -> str:
    """What help calls the place a class's keys work: ``QueueScreen`` → ``queue``,
    ``FailureModePicker`` → ``failure mode picker``; the app's own keys work on
    every screen (``any``)."""
    if issubclass(cls, App):
        return EVERYWHERE
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__.removesuffix("Screen"))
    return words.lower()


def live_keys(bindings: Sequence[Binding], keymap: Mapping[str, str]) -> list[list[Binding]]:
    """For each binding, the one-key bindings it has once ``keymap`` (binding id →
    keys) is applied as Textual applies it: a remapped binding has its new keys, and
    one whose key a remap took has none."""

    def identity(binding: Binding) -> tuple[str, ...]:
        return (binding.id,) if binding.id else (binding.action, binding.description)

    live = BindingsMap(bindings)
    if keymap:
        live.apply_keymap(dict(keymap))
    by_binding: dict[tuple[str, ...], dict[str, Binding]] = {}
    for key, binding in live:  # a binding remapped from several keys is listed once per key
        by_binding.setdefault(identity(binding), {}).setdefault(key, binding)
    return [list(by_binding.get(identity(binding), {}).values()) for binding in bindings]


@dataclass(frozen=True)
class Place:
    """Where a set of keys works, and those keys."""

    name: str
    """The screen, dialog or widget, as help names it."""
    owner: type
    """The class that declares the keys."""
    bindings: tuple[Binding, ...]
    """Its bindings, in the order declared."""


class HelpScreen(ModalScreen[None]):
    """Every key of every screen, as bound now; escape, ``?`` or ``q`` closes it."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help-close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("triage: keys", style="bold"), id="help-title")
            yield KeysLine(id="help-close-keys")
            yield Static(Text(INTRO), id="help-intro")
            yield Static(self._table(), id="help-keys")

    def places(self) -> list[Place]:
        """Every place with keys: the screen help was opened from and the widgets on it,
        then the app's keys, then every other screen, dialog and widget."""
        below = next((s for s in reversed(self.app.screen_stack) if s is not self), None)
        here: list[type] = []
        if below is not None:
            here.append(type(below))
            mounted = {type(widget) for widget in below.query(Widget)}
            here += [cls for cls in widget_classes() if cls in mounted]
        here.append(type(self.app))
        screens = screen_classes()
        rest: list[type] = [cls for cls in screens if not issubclass(cls, ModalScreen)]
        rest += [cls for cls in screens if issubclass(cls, ModalScreen)]
        rest += widget_classes()
        order = here + [cls for cls in rest if cls not in here]
        places = [Place(place_name(cls), cls, tuple(declared_bindings(cls))) for cls in order]
        return [place for place in places if place.bindings]

    def rows(self) -> list[tuple[str, str, str]]:
        """(where, keys, what it does) for every binding of every place, keys as they
        are bound now (remapped keys as remapped, ``—`` for none)."""
        from triage.tui.app import TriageApp

        app = self.app
        keymap = app.keys_in_force if isinstance(app, TriageApp) else {}
        rows: list[tuple[str, str, str]] = []
        for place in self.places():
            for binding, keys in zip(
                place.bindings, live_keys(place.bindings, keymap), strict=True
            ):
                shown = " / ".join(app.get_key_display(key) for key in keys) or UNBOUND
                rows.append((place.name, shown, binding.description or binding.action))
            if place.name == EVERYWHERE and app.ENABLE_COMMAND_PALETTE:
                palette = Binding(
                    app.COMMAND_PALETTE_BINDING,
                    "command_palette",
                    key_display=app.COMMAND_PALETTE_DISPLAY,
                )
                rows.append((EVERYWHERE, app.get_key_display(palette), PALETTE))
        return rows

    def _table(self) -> Table:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("where")
        table.add_column("keys", style="bold cyan")
        table.add_column("does")
        previous = None
        for where, keys, does in self.rows():
            if previous is not None and where != previous:
                table.add_row()  # a blank line between places
            # Keys may come from triage.toml: shown inert, like any text from a file.
            table.add_row(Text(where if where != previous else ""), untrusted(keys, 40), Text(does))
            previous = where
        return table
