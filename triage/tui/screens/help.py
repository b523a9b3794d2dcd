"""Every key, as currently bound (remapped keys included)."""

from __future__ import annotations

from dataclasses import replace

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from triage.tui.untrusted import untrusted

INTRO = (
    "Work the queue top to bottom. Open an item with enter, read the output and the "
    "why-panel, then one key records the verdict and shows the next item. Every "
    "verdict is saved before the screen says so; undo adds a record, it never erases one."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help-close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("triage: keys", style="bold"), id="help-title")
            yield Static(Text(INTRO), id="help-intro")
            yield Static(self._table(), id="help-keys")

    def rows(self) -> list[tuple[str, str, str]]:
        """(where, keys, what it does) for every described binding, keys as remapped."""
        from triage.tui.app import TriageApp
        from triage.tui.screens.failure_model import FailureModelScreen
        from triage.tui.screens.item import ItemScreen
        from triage.tui.screens.queue import QueueScreen
        from triage.tui.screens.rules import RulesScreen

        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        rows = []
        places = (
            ("queue", QueueScreen.BINDINGS),
            ("item", ItemScreen.BINDINGS),
            ("rules", RulesScreen.BINDINGS),
            ("model", FailureModelScreen.BINDINGS),
            ("any", TriageApp.BINDINGS),
        )
        for where, bindings in places:
            for binding in bindings:
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
                shown = " / ".join(
                    self.app.get_key_display(replace(binding, key=key.strip()))
                    for key in keys.split(",")
                )
                rows.append((where, shown, binding.description))
        rows.append(("any", "ctrl+p", "command palette: lanes, time box, search, jump to item"))
        return rows

    def _table(self) -> Table:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("where")
        table.add_column("keys", style="bold cyan")
        table.add_column("does")
        for where, keys, does in self.rows():
            # Keys may come from triage.toml: shown inert, like any text from a file.
            table.add_row(Text(where), untrusted(keys, 40), Text(does))
        return table
