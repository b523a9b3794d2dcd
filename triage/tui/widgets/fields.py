"""Text fields that cannot hold a control character.

Textual's ``Input`` and ``TextArea`` show their text as it is, escape sequences
included, so text pasted into a note, a search or a rule's why (often copied from
somewhere an agent wrote) could act on the terminal. These fields make whatever
is typed, pasted, loaded or set inert first (:func:`triage.core.inert.inert`): an
escape shows as ``␛`` and is kept that way in what the field returns.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult

from triage.core.inert import inert


class PlainInput(Input):
    """A one-line input whose value is always inert text."""

    def validate_value(self, value: str) -> str:
        """Every value the input takes (typed, pasted or set) is made inert, on one line."""
        return value if value.isprintable() else inert(value, multiline=False)

    def replace(self, text: str, start: int, end: int) -> None:
        """Replace ``start:end`` with ``text`` made inert first, so the cursor lands
        after what is actually shown."""
        super().replace(self.validate_value(text), start, end)


class PlainTextArea(TextArea):
    """A multi-line text area whose text is always inert (line breaks are kept)."""

    def __init__(self, text: str = "", **options: Any) -> None:
        super().__init__(inert(text), **options)

    def load_text(self, text: str) -> None:
        """Replace the whole text with ``text`` made inert."""
        super().load_text(inert(text))

    def edit(self, edit: Edit) -> EditResult:
        """Apply an edit (typing, a paste) with its text made inert first."""
        if not edit.text.replace("\n", "").isprintable():
            edit = replace(edit, text=inert(edit.text))
        return super().edit(edit)
