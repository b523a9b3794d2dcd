"""Every dialog shows its keys from its live bindings, as ``[keys]`` remaps them.

Each dialog is opened by its real keys with one of its keys remapped: its keys line
names the new key and not the old one, pressing the new key does what the line
says, no other line in the dialog reads like a keys line, and the footer of the
screen beneath (whose keys do not work in a dialog) is hidden until the dialog
closes. A dialog defined anywhere in ``triage.tui`` without a case here fails.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import pytest
from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Select, Static, TextArea
from tui.conftest import until
from tui.snapshot_steps import rows
from tui.test_app import open_first_deep, queue_ready

import triage.tui
from triage.tui.app import TriageApp
from triage.tui.screens.failure_model import FailureModelScreen, ModeEditor
from triage.tui.screens.help import HelpScreen
from triage.tui.screens.item import ItemScreen
from triage.tui.screens.modals import (
    FailureModePicker,
    FilterDialog,
    NoteEditor,
    RuleEditor,
    TimeBox,
)
from triage.tui.screens.queue import QueueScreen
from triage.tui.screens.rules import RulesScreen, rule_detail, suggestion_detail
from triage.tui.widgets.keys_line import KeysLine, bound_keys

Open = Callable[[Pilot[None], TriageApp], Awaitable[None]]

KEY = (
    r"(?:esc(?:ape)?|enter|tab|space|backspace|delete|up|down"
    r"|(?:ctrl|shift|alt)\+\S+|\^\S+|f\d\d?|\S)"
)
"""A key's name, as written or as Textual displays it (a single character too)."""
HAND_WRITTEN = re.compile(rf"(?:^|·)\s*{KEY}(?:\s(?:/|or)\s{KEY})*:\s")
"""What a keys line looks like (``esc: cancel``, ``enter or ctrl+s: apply``)."""


def from_queue(*keys: str, then: tuple[str, ...] = (), filled: str = "") -> Open:
    """Open a dialog from the queue: press ``keys``; when ``filled`` is given, wait
    until the screen they lead to has filled that table or list, then press ``then``."""

    async def run(pilot: Pilot[None], app: TriageApp) -> None:
        await until(pilot, queue_ready(app))
        await pilot.press(*keys)
        if filled:
            await until(pilot, lambda: bool(app.screen.query(filled)) and rows(filled)(app.screen))
        await pilot.press(*then)

    return run


def from_item(*keys: str) -> Open:
    """Open a dialog from the first deep item."""

    async def run(pilot: Pilot[None], app: TriageApp) -> None:
        await open_first_deep(app, pilot)
        await pilot.press(*keys)

    return run


@dataclass(frozen=True)
class Case:
    """One dialog, opened with one of its keys remapped."""

    dialog: type[ModalScreen[Any]]
    open: Open
    remap: dict[str, str]
    """Binding id → keys, as in ``[keys]``."""
    line: str
    """The keys line with the remap."""
    old: str
    """The key the remap took away: no longer shown."""
    press: str
    """The remapped key, pressed to close the dialog."""
    back: type[Screen[Any]]
    """The screen pressing it leads back to."""
    typed: str = ""
    """Typed into the dialog before ``press``."""
    done: Callable[[TriageApp], bool] = field(default=lambda app: True)
    """What pressing it did, checked once back."""


def noted(app: TriageApp) -> bool:
    screen = app.screen
    return isinstance(screen, ItemScreen) and screen.note == "checked"


def untimed(app: TriageApp) -> bool:
    screen = app.queue_screen
    return isinstance(screen, QueueScreen) and screen.plan is None


CASES = [
    Case(FailureModePicker, from_item("x"), {"picker-cancel": "ctrl+g"},
         "enter: choose · tab / space: mark several · ^g: cancel", "esc", "ctrl+g", ItemScreen),
    Case(NoteEditor, from_item("n"), {"note-save": "ctrl+o"},
         "^o: save · esc: cancel", "^s", "ctrl+o", ItemScreen, typed="checked", done=noted),
    Case(TimeBox, from_queue("t"), {"timebox-cancel": "ctrl+g"},
         "enter: start · ^g: cancel", "esc", "ctrl+g", QueueScreen, done=untimed),
    Case(FilterDialog, from_queue("f"), {"filter-apply": "ctrl+o"},
         "enter / ^o: apply · esc: cancel", "^s", "ctrl+o", QueueScreen),
    Case(RuleEditor, from_queue("R", then=("e",), filled="#rules-table"), {"rule-save": "ctrl+o"},
         "^o: save · esc: cancel", "^s", "ctrl+o", RulesScreen),
    Case(ModeEditor, from_queue("M", then=("e",), filled="#model-list"), {"mode-save": "ctrl+o"},
         "^o: save · esc: cancel", "^s", "ctrl+o", FailureModelScreen),
    Case(HelpScreen, from_queue("question_mark"), {"help-close": "ctrl+g"},
         "^g: close", "esc", "ctrl+g", QueueScreen),
]  # fmt: skip


def shown_keys(line: str) -> set[str]:
    """The keys a keys line names."""
    return {key for entry in line.split(" · ") for key in entry.split(": ")[0].split(" / ")}


def text_of(widget: Static) -> str | None:
    """What a text widget shows, when it is text (a table is not)."""
    shown = widget.render()
    return str(shown) if isinstance(shown, (str, Text, Content)) else None


def keys_line_of(dialog: Screen[Any]) -> KeysLine:
    lines = list(dialog.query(KeysLine))
    assert len(lines) == 1, f"{type(dialog).__name__} shows its keys with one KeysLine"
    return lines[0]


def footers_hidden_under(app: TriageApp) -> bool:
    footers = [f for screen in app.screen_stack[:-1] for f in screen.query(Footer)]
    return bool(footers) and not any(footer.visible for footer in footers)


@pytest.mark.parametrize("case", CASES, ids=[case.dialog.__name__ for case in CASES])
async def test_a_dialog_shows_its_remapped_keys_and_they_work(
    app_factory: Callable[..., TriageApp], case: Case
) -> None:
    app = app_factory(keys=case.remap)
    async with app.run_test(size=(130, 38)) as pilot:
        await case.open(pilot, app)
        await until(pilot, lambda: isinstance(app.screen, case.dialog))
        dialog = app.screen
        keys = keys_line_of(dialog)
        assert keys.line() == case.line
        assert str(keys.render()) == case.line  # what is drawn
        assert case.old not in shown_keys(keys.line())
        for text in filter(None, map(text_of, dialog.query(Static))):
            if text != case.line:
                assert not HAND_WRITTEN.search(text), f"a keys line written by hand: {text!r}"
        await until(pilot, lambda: footers_hidden_under(app))

        await pilot.press(*case.typed, case.press)
        await until(pilot, lambda: isinstance(app.screen, case.back))
        assert case.done(app)
        footer = app.screen.query_one(Footer)
        await until(pilot, lambda: footer.visible)


def test_every_dialog_has_a_case() -> None:
    """Every ``ModalScreen`` defined in ``triage.tui`` is opened above, so none can
    show a keys line written by hand (or none at all)."""
    for info in pkgutil.walk_packages(triage.tui.__path__, "triage.tui."):
        importlib.import_module(info.name)
    dialogs: set[type] = set()
    found: list[type] = [ModalScreen]
    while found:
        for sub in found.pop().__subclasses__():
            found.append(sub)
            if sub.__module__.startswith("triage.tui."):
                dialogs.add(sub)
    assert {FailureModePicker, HelpScreen} <= dialogs
    assert dialogs == {case.dialog for case in CASES}


async def test_a_key_a_text_area_takes_is_not_shown(app_factory: Callable[..., TriageApp]) -> None:
    """``ctrl+d`` deletes in the note's text area, so saving with it does nothing
    there: the keys line does not offer it."""
    app = app_factory(keys={"note-save": "ctrl+d"})
    async with app.run_test(size=(130, 38)) as pilot:
        await from_item("n")(pilot, app)
        await until(pilot, lambda: isinstance(app.screen, NoteEditor))
        dialog = app.screen
        assert keys_line_of(dialog).line() == "esc: cancel"
        await pilot.press(*"ab", "home", "ctrl+d")
        assert isinstance(app.screen, NoteEditor)  # not saved: the key deleted instead
        assert dialog.query_one("#note-text", TextArea).text == "b"


async def test_enter_applies_the_filter_only_from_the_day_box(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(130, 38)) as pilot:
        await from_queue("f")(pilot, app)
        await until(pilot, lambda: isinstance(app.screen, FilterDialog))
        dialog = app.screen
        keys = keys_line_of(dialog)
        assert dialog.focused is dialog.query_one("#filter-day", Input)
        assert keys.line() == "enter / ^s: apply · esc: cancel"
        await pilot.press("tab")
        assert dialog.focused is dialog.query_one("#filter-agent", Select)
        assert str(keys.render()) == "^s: apply · esc: cancel"
        await pilot.press("enter")  # opens the list of agents; nothing is applied
        assert app.screen is dialog and dialog.query_one("#filter-agent", Select).expanded


async def test_the_rules_screen_names_its_keys_as_bound(
    app_factory: Callable[..., TriageApp],
) -> None:
    """The rule and suggestion panes name the keys that activate, accept and
    dismiss as they are bound now."""
    remap = {"rules-activate": "V", "suggestion-accept": "A", "suggestion-dismiss": "D,ctrl+x"}
    app = app_factory(keys=remap)
    async with app.run_test(size=(130, 38)) as pilot:
        await from_queue("R", filled="#rules-table")(pilot, app)
        screen = app.screen
        assert isinstance(screen, RulesScreen) and screen.ruleset is not None
        keys = bound_keys(screen)
        rule = replace(screen.ruleset.rules[0], shadow=True)
        assert "Press V to activate it." in str(rule_detail(rule, None, keys))
        assert "Press" not in str(rule_detail(rule, None, {}))
        suggestion = SimpleNamespace(title="t", sentence="s", backtest_summary="b")
        assert str(suggestion_detail(suggestion, keys)).endswith(
            "A: accept (writes the rule file, audited, re-triages) · D / ^x: dismiss with a reason"
        )


def test_the_guard_knows_a_keys_line_written_by_hand() -> None:
    """The lines the dialogs used to write by hand are caught; their field labels
    and titles are not."""
    for line in (
        "ctrl+s: save · esc: cancel",
        "enter or ctrl+s: apply · esc: cancel",
        "ctrl+s: validate and save · esc: cancel",
        "a: accept · d: dismiss with a reason",
    ):
        assert HAND_WRITTEN.search(line), line
    for label in (
        "triage: keys",
        "Id (lowercase, dashes) · task type (empty: every task type)",
        "Day (YYYY-MM-DD, today, yesterday; empty for any)",
        "Failure modes for refund",
    ):
        assert not HAND_WRITTEN.search(label), label
