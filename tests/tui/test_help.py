"""Help is built from the live bindings of every screen, dialog and widget.

The expectations here are worked out independently of the help screen's own
discovery: every class in ``triage.tui`` that declares ``BINDINGS`` is found by
importing every module of the package, and each of its bindings must be in help,
under the class's place, with its keys as the keymap leaves them.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from tui.conftest import until
from tui.test_app import open_first_deep, queue_ready

import triage.tui
from triage.config import Config
from triage.service.workspace import shipped_rules_dir
from triage.tui.app import TriageApp, make_app
from triage.tui.screens import help as help_module
from triage.tui.screens.help import HelpScreen
from triage.tui.screens.item import ItemScreen
from triage.tui.widgets.queue_list import QueueList

Row = tuple[str, str, str]


def tui_classes() -> list[type[DOMNode]]:
    """Every screen, widget and app class defined anywhere in ``triage.tui``."""
    found: list[type[DOMNode]] = []
    for info in pkgutil.walk_packages(triage.tui.__path__, "triage.tui."):
        module = importlib.import_module(info.name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, DOMNode)
            and value.__module__ == module.__name__
        ]
    return found


def own_bindings(cls: type) -> list[Binding]:
    return [
        b if isinstance(b, Binding) else Binding(*b)
        for klass in reversed(cls.__mro__)
        if not klass.__module__.startswith("textual") and "BINDINGS" in vars(klass)
        for b in vars(klass)["BINDINGS"]
    ]


def place(cls: type) -> str:
    if cls is TriageApp:
        return "any"
    return re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__.removesuffix("Screen")).lower()


def shown(app: TriageApp, keys: str) -> str:
    return " / ".join(app.get_key_display(Binding(key.strip(), "x")) for key in keys.split(","))


async def open_help(app: TriageApp, pilot) -> list[Row]:  # type: ignore[no-untyped-def]
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen))
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return screen.rows()


async def test_every_binding_of_every_screen_is_in_help(
    app_factory: Callable[..., TriageApp],
) -> None:
    classes = [cls for cls in tui_classes() if own_bindings(cls)]
    concrete = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]
    screens = {cls for cls in concrete if issubclass(cls, Screen)}
    assert {"StatsScreen", "FailureModePicker", "NoteEditor", "ModeEditor"} <= {
        cls.__name__ for cls in screens
    }
    # Screens live in triage.tui.screens, where help (and the snapshot guard) look.
    assert all(cls.__module__.startswith("triage.tui.screens.") for cls in screens)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, queue_ready(app))
        rows = set(await open_help(app, pilot))
        for cls in concrete:
            for binding in own_bindings(cls):
                row = (place(cls), shown(app, binding.key), binding.description)
                assert row in rows, f"{cls.__name__}: {binding.key} is not in help"
        assert ("any", "^p", "command palette: lanes, time box, search, jump to item") in rows


async def test_remapped_keys_show_remapped(app_factory: Callable[..., TriageApp]) -> None:
    keys = {
        "verdict-ok": "y", "lane-deep": "ctrl+d", "picker-mark": "ctrl+t",
        "note-save": "ctrl+w", "queue-select": "o", "help": "question_mark,h",
    }  # fmt: skip
    app = app_factory(keys=keys)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, queue_ready(app))
        rows = await open_help(app, pilot)
        assert ("item", "y", "OK") in rows and ("item", "a", "OK") not in rows
        assert ("queue", "^d", "Deep") in rows
        assert ("failure mode picker", "^t", "Mark several") in rows
        assert ("note editor", "^w", "Save") in rows
        assert ("queue list", "o", "Open") in rows
        assert ("any", "? / h", "Help") in rows


async def test_a_key_taken_by_a_remap_is_shown_as_it_works(
    app_factory: Callable[..., TriageApp],
) -> None:
    """``verdict-ok = "x"`` takes x from Fail: help says so, and the item screen agrees."""
    app = app_factory(keys={"verdict-ok": "x"})
    async with app.run_test(size=(120, 40)) as pilot:
        item = await open_first_deep(app, pilot)
        live = item.active_bindings
        assert live["x"].binding.id == "verdict-ok"
        assert not any(b.binding.id == "verdict-fail" for b in live.values())
        rows = await open_help(app, pilot)
        assert ("item", "x", "OK") in rows and ("item", "—", "Fail") in rows


@pytest.mark.parametrize("where", ["queue", "item"])
async def test_help_agrees_with_the_open_screens_live_bindings(
    app_factory: Callable[..., TriageApp], where: str
) -> None:
    """Every key live on the screen help is opened from (the screen's, its focused
    widget's, the app's) is in help as it is bound, and comes first."""
    app = app_factory(keys={"next": "ctrl+n", "queue-cursor-down": "ctrl+j"})
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, queue_ready(app))
        screen = await open_first_deep(app, pilot) if where == "item" else app.screen
        live = {
            (place(type(a.node)), app.get_key_display(a.binding), a.binding.description)
            for a in screen.active_bindings.values()
            if type(a.node).__module__.startswith("triage.") and a.binding.id
        }
        assert len(live) > 10
        rows = await open_help(app, pilot)
        listed = {(w, key, does) for w, keys, does in rows for key in keys.split(" / ")}
        assert live <= listed
        assert rows[0][0] == where


async def test_a_new_screen_is_in_help_without_listing_it(
    app_factory: Callable[..., TriageApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Help finds screens by walking their package: a screen module added there is in
    help with its keys, with nothing else to edit."""
    package = tmp_path / "more_screens"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "audit.py").write_text(
        "from textual.binding import Binding\n"
        "from textual.screen import Screen\n\n\n"
        "class AuditTrailScreen(Screen[None]):\n"
        '    BINDINGS = [Binding("v", "verify", "Verify the chain", id="audit-verify")]\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(help_module, "SCREEN_PACKAGE", "more_screens")
    app = app_factory(keys={"audit-verify": "ctrl+v"})
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, queue_ready(app))
        rows = await open_help(app, pilot)
        assert ("audit trail", "^v", "Verify the chain") in rows


async def test_help_opened_on_an_item_lists_its_keys_first(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first_deep(app, pilot)
        assert isinstance(app.screen, ItemScreen)
        rows = await open_help(app, pilot)
        order = list(dict.fromkeys(where for where, _, _ in rows))
        assert order[:3] == ["item", "agent text", "any"]
        assert {"queue", "queue list", "stats", "help", "time box"} <= set(order[3:])


@pytest.mark.parametrize(
    ("keys", "hint"), [({}, "press 0 for"), ({"lane-all": "a"}, "press a for")]
)
async def test_an_empty_queue_names_the_key_that_shows_every_lane(
    tmp_path: Path, keys: dict[str, str], hint: str
) -> None:
    config = Config(f"sqlite:///{tmp_path / 'empty.db'}", shipped_rules_dir(), "ana", keys=keys)
    app = make_app(config)
    async with app.run_test(size=(120, 40)) as pilot:
        queue = app.screen.query_one(QueueList)
        await until(pilot, lambda: "Nothing here" in queue.empty_hint)
        assert f"{hint} every lane." in queue.empty_hint
