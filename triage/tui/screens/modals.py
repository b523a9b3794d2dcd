"""Small dialogs: the failure-mode picker, the note editor, the time-box prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, utils
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from triage.core.inert import inert, one_line
from triage.core.models import FailureMode
from triage.tui.untrusted import untrusted
from triage.tui.widgets.fields import PlainInput, PlainTextArea
from triage.tui.widgets.keys_line import KeysLine


@dataclass(frozen=True)
class PickedModes:
    """What the picker returns: chosen existing mode ids, and a new mode to create."""

    ids: tuple[str, ...]
    new_title: str | None = None
    new_id: str | None = None


def slug(text: str) -> str:
    """A failure-mode id from a title: ``Wrong refund amount`` → ``wrong-refund-amount``."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:60] or "unnamed"


NEW = "__new__"


def _score(query: str, choice: str) -> float:
    """How well a typed query names a mode: a prefix or fragment of it (partial
    ratio), or the same words in any order (token set ratio)."""
    q, c = utils.default_process(query), utils.default_process(choice)
    return max(fuzz.partial_ratio(q, c), fuzz.token_set_ratio(q, c))


class FilterInput(PlainInput):
    """The picker's text box. A space typed while it is empty is not text (nothing
    precedes it to separate): it goes on to the picker, whose ``space`` binding
    marks the highlighted mode. Once something is typed, space types, so a filter
    or a new mode's name can have several words."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Space is the picker's while the box is empty (so its binding is live and
        shown); every other printable key is typed."""
        if key == "space" and not self.value:
            return False
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "space" and not self.value:
            event.prevent_default()  # not typed; the key goes on to the picker's bindings


class FailureModePicker(ModalScreen[PickedModes | None]):
    """Fuzzy-find this task type's failure modes and pick one or several.

    Keys (the line under the list shows the ones live now, as remapped):

    - type to filter; typing something that matches nothing offers to create it
      on the spot (``+ new failure mode: …``);
    - up/down move the highlight;
    - ``tab`` marks or unmarks the highlighted mode, whatever is typed (as in fzf);
      ``space`` does the same while the text box is empty, and types a space once
      something is typed, so a new mode's name can have several words;
    - enter records the marked modes plus the highlighted one (or creates the
      highlighted new mode, keeping the marked ones); escape cancels.
    """

    BINDINGS = [
        Binding("tab,space", "mark", "Mark several", id="picker-mark"),
        Binding("escape", "cancel", "Cancel", id="picker-cancel"),
        Binding("down", "cursor(1)", "Next mode", show=False),
        Binding("up", "cursor(-1)", "Previous mode", show=False),
    ]

    def __init__(self, modes: list[FailureMode], task_type: str, *, query: str = "") -> None:
        super().__init__()
        self.modes = modes
        self.task_type = task_type
        self.typed = query
        """Typed in already (a new mode's title that could not be saved before)."""
        self.marked: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(
                Text(f"Failure modes for {one_line(self.task_type, 40)}", style="bold"),
                id="picker-title",
            )
            yield FilterInput(
                self.typed, placeholder="type to filter, or to name a new mode", id="picker-input"
            )
            yield OptionList(id="picker-options")
            yield KeysLine(also=lambda: [("enter", "choose")], id="picker-help")

    def on_mount(self) -> None:
        self._refill(self.typed)

    @on(Input.Changed, "#picker-input")
    def _filter(self, event: Input.Changed) -> None:
        self._refill(event.value)
        self.refresh_bindings()  # space marks only while the box is empty: redraws the keys

    def keys_line(self) -> str:
        """The picker's keys as they are bound now: remapped keys as remapped, and
        ``space`` only while it marks (the text box is empty). Enter is the text
        box's own key, so it is always there."""
        return self.query_one("#picker-help", KeysLine).line()

    def _refill(self, query: str) -> None:
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        query = query.strip()
        strong = False
        if query:
            scored = sorted(
                ((_score(query, f"{m.id} {m.title}"), m.id) for m in self.modes), reverse=True
            )
            order = [mode_id for score, mode_id in scored if score >= 60]
            strong = bool(scored) and scored[0][0] >= 90
        else:
            order = [m.id for m in self.modes]
        by_id = {m.id: m for m in self.modes}
        new = None
        if query and slug(query) not in by_id:
            new = Option(Text(f"+ new failure mode: {one_line(query, 60)}"), id=NEW)
            if not strong:  # nothing close: creating it is the likely intent
                options.add_option(new)
        for mode_id in order:
            options.add_option(Option(self._label(by_id[mode_id]), id=mode_id))
        if new is not None and strong:
            options.add_option(new)
        if options.option_count:
            options.highlighted = 0

    def _label(self, mode: FailureMode) -> Text:
        text = Text()
        text.append("● " if mode.id in self.marked else "  ", style="bold magenta")
        text.append(one_line(mode.id, 40), style="bold")
        text.append("  " + one_line(mode.title, 60))
        return text

    def action_cursor(self, step: int) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def action_mark(self) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id is None or option.id == NEW:
            return
        self.marked ^= {option.id}
        mode = next(m for m in self.modes if m.id == option.id)
        options.replace_option_prompt_at_index(options.highlighted, self._label(mode))

    @on(Input.Submitted, "#picker-input")
    def _submit_input(self) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.highlighted is not None:
            self._choose(options.get_option_at_index(options.highlighted).id)
        elif self.marked:
            self.dismiss(PickedModes(tuple(sorted(self.marked))))

    @on(OptionList.OptionSelected, "#picker-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        chosen = set(self.marked)
        if option_id == NEW:
            title = self.query_one("#picker-input", Input).value.strip()
            self.dismiss(PickedModes(tuple(sorted(chosen)), title, slug(title)))
            return
        if option_id is not None:
            chosen.add(option_id)
        self.dismiss(PickedModes(tuple(sorted(chosen))))

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteEditor(ModalScreen[str | None]):
    """A note for the record on the current item; ctrl+s saves, escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="note-save"),
        Binding("escape", "cancel", "Cancel", id="note-cancel"),
    ]

    def __init__(self, text: str = "", *, title: str = "Note for the record") -> None:
        super().__init__()
        self.initial = text
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="note"):
            yield Label(Text(self.title_text, style="bold"))
            yield PlainTextArea(self.initial, id="note-text", soft_wrap=True)
            yield KeysLine(id="note-help")

    def on_mount(self) -> None:
        self.query_one("#note-text", TextArea).focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one("#note-text", TextArea).text.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class TimeBox(ModalScreen[float | None]):
    """Ask how many minutes the reviewer has."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="timebox-cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="timebox"):
            yield Label(Text("How many minutes do you have?", style="bold"))
            yield PlainInput(value="25", id="timebox-minutes", restrict=r"[0-9]*")
            yield Label(
                "The most valuable open items that fit are queued first; the rest carries over.",
                id="timebox-help",
            )
            yield KeysLine(also=lambda: [("enter", "start")], id="timebox-keys")

    @on(Input.Submitted, "#timebox-minutes")
    def _submit(self, event: Input.Submitted) -> None:
        minutes = float(event.value or 0)
        self.dismiss(minutes if minutes > 0 else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Filters:
    """The queue filters the filter dialog edits (``None`` = any)."""

    day: str | None = None
    agent: str | None = None
    task_type: str | None = None


class FilterDialog(ModalScreen[Filters | None]):
    """Narrow the queue to a day, an agent, a task type."""

    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="filter-apply"),
        Binding("escape", "cancel", "Cancel", id="filter-cancel"),
    ]

    def __init__(self, current: Filters, agents: list[str], task_types: list[str]) -> None:
        super().__init__()
        self.current = current
        self.agents = agents
        self.task_types = task_types

    def compose(self) -> ComposeResult:
        from textual.widgets import Select

        with Vertical(id="filters"):
            yield Label(Text("Filter the queue", style="bold"))
            yield Label("Day (YYYY-MM-DD, today, yesterday; empty for any)")
            yield PlainInput(self.current.day or "", id="filter-day")
            yield Label("Agent")
            yield Select(
                [(untrusted(a, 40), a) for a in self.agents],
                value=self.current.agent or Select.NULL,
                allow_blank=True,
                prompt="any agent",
                id="filter-agent",
            )
            yield Label("Task type")
            yield Select(
                [(untrusted(t, 40), t) for t in self.task_types],
                value=self.current.task_type or Select.NULL,
                allow_blank=True,
                prompt="any task type",
                id="filter-task",
            )
            yield KeysLine(also=self._enter, id="filter-help")

    def _enter(self) -> list[tuple[str, str]]:
        """Enter applies from the day box (in a list, it opens the list)."""
        return [("enter", "apply")] if self.focused is self.query_one("#filter-day") else []

    @on(Input.Submitted, "#filter-day")
    def action_apply(self) -> None:
        from textual.widgets import Select

        day = self.query_one("#filter-day", Input).value.strip() or None
        agent = self.query_one("#filter-agent", Select).value
        task = self.query_one("#filter-task", Select).value
        self.dismiss(
            Filters(
                day=day,
                agent=agent if isinstance(agent, str) else None,
                task_type=task if isinstance(task, str) else None,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class RuleEditor(ModalScreen[dict[str, object] | None]):
    """Edit a rule's lane, why, condition, owner and shadow flag, or write a new
    draft (with an id). The result is validated before anything is saved.

    The fields show the rule's texts inert; a field left as shown returns the
    text as it is in the file, so only what the lead edits changes."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="rule-save"),
        Binding("escape", "cancel", "Cancel", id="rule-cancel"),
    ]

    def __init__(self, values: dict[str, object], *, new: bool = False) -> None:
        super().__init__()
        self.values = values
        self.new = new
        self.shown = {
            key: inert(str(values.get(key, "")), multiline=key == "when")
            for key in ("id", "why", "when", "owner")
        }

    def compose(self) -> ComposeResult:
        from textual.widgets import Checkbox, Select

        title = "New shadow rule" if self.new else f"Edit {one_line(str(self.values['id']), 50)}"
        with Vertical(id="rule-editor"):
            yield Label(Text(title, style="bold"))
            if self.new:
                yield Label("Id (lowercase letters, digits, dashes)")
                yield PlainInput(self.shown["id"], id="rule-id")
            yield Label("Lane")
            yield Select(
                [("deep", "deep"), ("scan", "scan"), ("pass", "pass")],
                value=str(self.values.get("lane", "scan")),
                allow_blank=False,
                id="rule-lane",
            )
            yield Label("Why (the sentence a reviewer sees)")
            yield PlainInput(self.shown["why"], id="rule-why")
            yield Label("When (condition)")
            yield PlainTextArea(self.shown["when"], id="rule-when", soft_wrap=True)
            yield Label("Owner")
            yield PlainInput(self.shown["owner"], id="rule-owner")
            yield Checkbox(
                "shadow: record matches only", bool(self.values.get("shadow")), id="rule-shadow"
            )
            yield KeysLine(id="rule-keys")

    def action_save(self) -> None:
        from textual.widgets import Checkbox, Select

        values: dict[str, object] = {
            "lane": self.query_one("#rule-lane", Select).value,
            "why": self._typed("why", self.query_one("#rule-why", Input).value),
            "when": self._typed("when", self.query_one("#rule-when", TextArea).text),
            "owner": self._typed("owner", self.query_one("#rule-owner", Input).value),
            "shadow": self.query_one("#rule-shadow", Checkbox).value,
        }
        if self.new:
            values["id"] = self._typed("id", self.query_one("#rule-id", Input).value)
        self.dismiss(values)

    def _typed(self, key: str, text: str) -> object:
        """The field's text, or the value as it was when the field was left as shown."""
        if text == self.shown[key] and key in self.values:
            return self.values[key]
        return text.strip()

    def action_cancel(self) -> None:
        self.dismiss(None)
