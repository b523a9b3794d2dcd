"""Every key, as currently bound (remapped keys included)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

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

    def _table(self) -> Table:
        from triage.tui.screens.item import ItemScreen
        from triage.tui.screens.queue import QueueScreen

        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("where")
        table.add_column("keys", style="bold cyan")
        table.add_column("does")
        keymap = self.app._keymap if hasattr(self.app, "_keymap") else {}
        for where, screen in (("queue", QueueScreen), ("item", ItemScreen)):
            for binding in screen.BINDINGS:
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                keys = keymap.get(binding.id or "", binding.key) if binding.id else binding.key
                table.add_row(where, Text(keys.replace(",", " / ")), Text(binding.description))
        table.add_row("any", "ctrl+p", "command palette: lanes, time box, search, jump to item")
        table.add_row("any", "?", "this help")
        return table
