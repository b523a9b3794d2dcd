"""The failure model: every mode with its evidence; edit in markdown with a preview,
retire or reactivate (leads), export for owners."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Markdown, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from triage.core.inert import inert, one_line
from triage.core.models import FailureMode, ModeStatus
from triage.errors import TriageError
from triage.tui.screens.base import TriageScreen
from triage.tui.widgets.fields import PlainInput, PlainTextArea
from triage.tui.widgets.keys_line import KeysLine

if TYPE_CHECKING:
    from triage.learn.failure_model import ModeEvidence


def mode_markdown(mode: FailureMode, evidence: ModeEvidence | None) -> str:
    """The preview of one mode. Its title and texts are the team's own markdown (made
    inert); names (id, task type, models, items, reviewers) are code spans or
    escaped, and agent output appears only as inert excerpts in fenced blocks."""
    from triage.learn.failure_model import code, escape, excerpt, fenced

    lines = [f"# {one_line(mode.title, 200)}", ""]
    scope = code(mode.task_type) if mode.task_type else "all task types"
    lines += [f"{code(mode.id)} · {scope} · **{mode.status}**", ""]
    lines += ["## What goes wrong", "", inert(mode.description) or "_not written yet_", ""]
    lines += ["## What reviewers look for", "", inert(mode.look_for) or "_not written yet_", ""]
    if evidence is None or not evidence.failures:
        lines += ["## Evidence", "", "Not found in any verdict yet."]
        return "\n".join(lines)
    by_lane = ", ".join(f"{escape(lane)} {n}" for lane, n in sorted(evidence.by_lane.items()))
    by_model = ", ".join(f"{code(model)} {n}" for model, n in sorted(evidence.by_model.items()))
    lines += ["## Evidence", "", f"Found **{evidence.failures}** times ({by_lane}); {by_model}."]
    if evidence.first_seen and evidence.last_seen:
        lines.append(f"First {evidence.first_seen:%Y-%m-%d}, last {evidence.last_seen:%Y-%m-%d}.")
    for example in evidence.examples[:3]:
        note = escape(one_line(example.note, 400)) if example.note.strip() else "(no note)"
        lines += ["", f"**{code(example.ref)}** by {escape(one_line(example.reviewer, 60))}: "
                  f"{note}", ""]  # fmt: skip
        lines += fenced(excerpt(example.excerpt))
    return "\n".join(lines)


class ModeEditor(ModalScreen[dict[str, str] | None]):
    """Edit a mode's title, what goes wrong and what to look for (markdown), with a
    live preview. ctrl+s saves, escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="mode-save"),
        Binding("escape", "cancel", "Cancel", id="mode-cancel"),
    ]

    def __init__(self, mode: FailureMode, *, new: bool = False) -> None:
        super().__init__()
        self.mode = mode
        self.new = new
        self.shown = {
            "title": inert(mode.title, multiline=False),
            "description": inert(mode.description),
            "look_for": inert(mode.look_for),
        }
        """The texts as the fields show them: inert (a control character in a stored
        text is shown as its stand-in, and kept as it is unless the field is edited)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="mode-editor"):
            with Vertical(id="mode-fields"):
                heading = "New failure mode" if self.new else f"Edit {one_line(self.mode.id, 50)}"
                yield Label(Text(heading, style="bold"))
                if self.new:
                    yield Label("Id (lowercase, dashes) · task type (empty: every task type)")
                    with Horizontal(classes="mode-new-row"):
                        yield PlainInput(
                            self.mode.id, placeholder="wrong-refund-amount", id="mode-id"
                        )
                        yield PlainInput(
                            self.mode.task_type or "", placeholder="refund", id="mode-task"
                        )
                yield Label("Title")
                yield PlainInput(self.shown["title"], id="mode-title")
                yield Label("What goes wrong (markdown)")
                yield PlainTextArea(
                    self.shown["description"], id="mode-description", soft_wrap=True
                )
                yield Label("What reviewers look for (markdown)")
                yield PlainTextArea(self.shown["look_for"], id="mode-look-for", soft_wrap=True)
                yield KeysLine(id="mode-keys")
            with VerticalScroll(id="mode-preview-box"):
                yield Markdown(id="mode-preview", open_links=False)

    def on_mount(self) -> None:
        self._preview()

    @on(TextArea.Changed)
    @on(Input.Changed)
    def _preview(self) -> None:
        draft = FailureMode(
            id=self.mode.id,
            title=self.query_one("#mode-title", Input).value,
            task_type=self.mode.task_type,
            description=self.query_one("#mode-description", TextArea).text,
            look_for=self.query_one("#mode-look-for", TextArea).text,
            status=self.mode.status,
        )
        self.query_one("#mode-preview", Markdown).update(mode_markdown(draft, None))

    def action_save(self) -> None:
        typed = {
            "title": self.query_one("#mode-title", Input).value,
            "description": self.query_one("#mode-description", TextArea).text,
            "look_for": self.query_one("#mode-look-for", TextArea).text,
        }
        original = {
            "title": self.mode.title,
            "description": self.mode.description,
            "look_for": self.mode.look_for,
        }
        values = {
            key: original[key] if text == self.shown[key] else text.strip()
            for key, text in typed.items()
        }
        values["title"] = values["title"] or self.mode.title
        if self.new:
            values["id"] = self.query_one("#mode-id", Input).value.strip()
            values["task_type"] = self.query_one("#mode-task", Input).value.strip()
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FailureModelScreen(TriageScreen[None]):
    """Modes on the left (by task type), the selected one on the right."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="model-back"),
        Binding("n", "new", "New mode", id="model-new"),
        Binding("e", "edit", "Edit", id="model-edit"),
        Binding("r", "retire", "Retire/reactivate", id="model-retire"),
        Binding("x", "export", "Export", id="model-export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.modes: list[FailureMode] = []
        self.evidence: dict[str, ModeEvidence] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text("Failure model · loading…", style="bold"), id="model-title")
        with Horizontal(id="model-body"):
            yield OptionList(id="model-list")
            with VerticalScroll(id="model-side"):
                yield Markdown(id="model-detail", open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#model-list", OptionList).focus()
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="model", description="modes")
    def _load(self, keep: str | None = None) -> None:
        workspace = self.triage_app.workspace
        if workspace is None:
            return
        modes = workspace.failure_model.modes(active_only=False)
        evidence = workspace.failure_model.evidence()
        self.app.call_from_thread(self._show, modes, evidence, keep)

    def _show(
        self, modes: list[FailureMode], evidence: dict[str, ModeEvidence], keep: str | None
    ) -> None:
        self.modes = sorted(
            modes, key=lambda m: (m.status is not ModeStatus.ACTIVE, m.task_type or "", m.id)
        )
        self.evidence = evidence
        options = self.query_one("#model-list", OptionList)
        options.clear_options()
        for mode in self.modes:
            found = evidence[mode.id].failures if mode.id in evidence else 0
            label = Text()
            label.append(f"{found:>3} ", style="bold red" if found else "dim")
            retired = mode.status is ModeStatus.RETIRED
            label.append(one_line(mode.title, 44), style="dim" if retired else "")
            label.append(f"  {one_line(mode.task_type or 'all', 20)}", style="dim")
            if retired:
                label.append("  retired", style="italic dim")
            options.add_option(Option(label, id=mode.id))
        active = sum(1 for m in self.modes if m.status is ModeStatus.ACTIVE)
        self.query_one("#model-title", Static).update(
            Text(f"Failure model · {active} active, {len(self.modes) - active} retired", "bold")
        )
        if self.modes:
            ids = [m.id for m in self.modes]
            options.highlighted = ids.index(keep) if keep in ids else 0

    @on(OptionList.OptionHighlighted, "#model-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        mode = self._current()
        if mode is not None:
            self.query_one("#model-detail", Markdown).update(
                mode_markdown(mode, self.evidence.get(mode.id))
            )

    def _current(self) -> FailureMode | None:
        index = self.query_one("#model-list", OptionList).highlighted
        return self.modes[index] if index is not None and index < len(self.modes) else None

    def action_edit(self) -> None:
        mode = self._current()
        if mode is not None:
            self.app.push_screen(ModeEditor(mode), lambda changes: self._save(mode, changes))

    def action_new(self) -> None:
        blank = FailureMode(id="", title="")
        self.app.push_screen(ModeEditor(blank, new=True), self._created)

    def _created(self, values: dict[str, str] | None) -> None:
        from triage.tui.screens.modals import slug

        workspace = self.triage_app.workspace
        if values is None or workspace is None:
            return
        mode_id = slug(values.get("id") or values["title"])
        mode = FailureMode(
            id=mode_id,
            title=values["title"],
            task_type=values.get("task_type") or None,
            description=values["description"],
            look_for=values["look_for"],
        )
        try:
            workspace.failure_model.add(mode, actor=self.triage_app.config.reviewer)
        except TriageError as exc:
            self.notify(f"Not added: {exc}", severity="error", timeout=8)
            return
        self.notify(f"Added {mode_id} (audited)")
        self._load(mode_id)

    def _save(self, mode: FailureMode, changes: dict[str, str] | None) -> None:
        workspace = self.triage_app.workspace
        if changes is None or workspace is None:
            return
        try:
            workspace.failure_model.edit(mode.id, actor=self.triage_app.config.reviewer, **changes)
        except TriageError as exc:
            self.notify(f"Not saved: {exc}", severity="error", timeout=8)
            return
        self.notify(f"Saved {mode.id} (audited)")
        self._load(mode.id)

    def action_retire(self) -> None:
        mode = self._current()
        workspace = self.triage_app.workspace
        if mode is None or workspace is None:
            return
        model = workspace.failure_model
        change = model.retire if mode.status is ModeStatus.ACTIVE else model.reactivate
        try:
            changed = change(mode.id, actor=self.triage_app.config.reviewer)
        except TriageError as exc:
            self.notify(f"Not changed: {exc}", severity="error", timeout=8)
            return
        self.notify(f"{mode.id} is now {changed.status} (audited)")
        self._load(mode.id)

    def action_export(self) -> None:
        self.triage_app.export_failure_model()
