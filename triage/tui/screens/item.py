"""One item, judged: the output large and inert, the why, the nearest past item, the
checklist; one key per verdict, then on to the next.

A verdict is committed before the screen says so. When it cannot be (a full disk,
a read-only or busy database), the screen says it was not saved and why, and
keeps the item open with the reviewer's checklist marks, note and picked failure
modes, so pressing the key again retries. When someone else recorded a verdict on
the item after it was shown, nothing is written: the screen shows theirs, and
pressing the key again records this reviewer's as a deliberate correction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Static, TabbedContent, TabPane

from triage.core.models import DONE, FailureMode, Outcome, VerdictRecord
from triage.errors import ReviewedMeanwhile, TriageError
from triage.tui.screens import panels
from triage.tui.screens.base import TriageScreen
from triage.tui.widgets.agent_text import AgentText

if TYPE_CHECKING:
    from triage.service.review import QueueView, Sitting
    from triage.service.workspace import Explanation
    from triage.tui.screens.modals import PickedModes

CYCLE = {None: "present", "present": "absent", "absent": None}


class ItemScreen(TriageScreen[int | None]):
    """Steps through a queue view from ``index``; dismisses with the last item's key."""

    BINDINGS = [
        Binding("a", "verdict('ok')", "OK", id="verdict-ok", tooltip="Accept and go on"),
        Binding("x", "verdict('fail')", "Fail", id="verdict-fail", tooltip="Fail: pick modes"),
        Binding("e", "verdict('escalate')", "Escalate", id="verdict-escalate"),
        Binding("s", "skip", "Skip", id="skip"),
        Binding("u,backspace", "undo", "Undo", id="undo"),
        Binding("n", "note", "Note", id="note"),
        Binding("j,down", "move(1)", "Next", id="next"),
        Binding("k,up", "move(-1)", "Prev", id="prev", show=False),
        Binding("pagedown,space", "scroll_output(1)", "Scroll", id="scroll-down", show=False),
        Binding("pageup", "scroll_output(-1)", "Scroll up", id="scroll-up", show=False),
        Binding("escape", "back", "Queue", id="back"),
        *[
            Binding(str(n), f"check({n})", f"Check {n}", id=f"check-{n}", show=False)
            for n in range(1, 10)
        ],
    ]

    def __init__(self, view: QueueView, index: int) -> None:
        super().__init__()
        self.view = view
        self.index = index
        self.explanation: Explanation | None = None
        self.modes: list[FailureMode] = []
        self.checks: dict[str, str] = {}
        self.note = ""
        self.picked: tuple[str, ...] = ()
        """Failure modes picked for a fail verdict that could not be saved: marked
        again when the picker reopens."""
        self.new_mode = ""
        """The title of a new failure mode that could not be created: typed into the
        picker again when it reopens."""
        self.unsaved = ""
        """Why the last verdict on this item was not saved (shown until one is)."""

    @property
    def sitting(self) -> Sitting:
        sitting = self.triage_app.sitting
        assert sitting is not None, "items open only once the workspace is ready"
        return sitting

    def compose(self) -> ComposeResult:
        yield Static(id="item-header")
        with Horizontal(id="item-body"):
            with Vertical(id="item-main"):
                yield Static("Output", classes="section-title")
                yield AgentText(id="output")
                with TabbedContent(id="details"):
                    with TabPane("Input", id="tab-input"):
                        yield AgentText(id="input")
                    with TabPane("Tool calls", id="tab-tools"):
                        with VerticalScroll():
                            yield Static(id="tools")
                    with TabPane("Transcript", id="tab-transcript"):
                        yield AgentText(id="transcript")
                    with TabPane("Meta", id="tab-meta"):
                        yield AgentText(id="meta")
            with VerticalScroll(id="item-side"):
                yield Static(id="why")
                yield Static(id="nearest")
                yield Static(id="checklist")
                yield Static(id="pending")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.index)

    # -- showing -------------------------------------------------------------------

    def show(self, index: int, *, fresh: bool = True) -> None:
        """Put item ``index`` of the view on screen. ``fresh`` (moving to an item):
        its clock starts now and checklist, note and picks start empty. Otherwise the
        same item is redrawn from the database and the reviewer's work on it kept."""
        workspace = self.triage_app.workspace
        assert workspace is not None
        self.index = index
        row = self.view.row(index)
        self.explanation = ex = workspace.explain(f"{row.source}:{row.id}")
        self.modes = workspace.failure_model.modes(ex.item.task_type)
        if fresh:
            self.checks, self.note, self.picked, self.new_mode, self.unsaved = {}, "", (), "", ""
        item = ex.item
        self.query_one("#item-header", Static).update(
            panels.header(ex, index, len(self.view), self.sitting)
        )
        self.query_one("#output", AgentText).set_text(item.output)
        self.query_one("#input", AgentText).set_text(item.input)
        self.query_one("#tools", Static).update(panels.tool_calls(item))
        self.query_one("#transcript", AgentText).set_text(panels.transcript_text(item))
        self.query_one("#meta", AgentText).set_text(panels.meta_text(item))
        tools = self.query_one("#details", TabbedContent)
        tools.get_tab("tab-tools").label = panels.tools_label(item)
        self.query_one("#why", Static).update(panels.why(ex))
        self.query_one("#nearest", Static).update(panels.nearest(ex))
        self._render_checks()
        if fresh:
            self.query_one("#item-side", VerticalScroll).scroll_home(animate=False)
            self.query_one("#output", AgentText).scroll_home(animate=False)
            self.sitting.showing()

    def _render_checks(self) -> None:
        self.query_one("#checklist", Static).update(panels.checklist(self.modes, self.checks))
        self.query_one("#pending", Static).update(panels.pending(self.note, self.unsaved))

    # -- verdicts ------------------------------------------------------------------

    def action_verdict(self, outcome: str) -> None:
        verdict = Outcome(outcome)
        if verdict is Outcome.FAIL:
            from triage.tui.screens.modals import FailureModePicker

            task_type = self.view.row(self.index).task_type
            picker = FailureModePicker(self.modes, task_type, query=self.new_mode)
            marked = {m for m, state in self.checks.items() if state == "present"}
            picker.marked = marked | set(self.picked)
            self.app.push_screen(picker, self._failed)
            return
        self._record(verdict, ())

    def _failed(self, picked: PickedModes | None) -> None:
        if picked is None:
            return
        modes = list(picked.ids)
        if picked.new_id and picked.new_title:
            workspace = self.triage_app.workspace
            assert workspace is not None
            task_type = self.view.row(self.index).task_type
            mode = FailureMode(id=picked.new_id, title=picked.new_title, task_type=task_type)
            try:
                # An id already taken (by a retired mode, or another task type's) tags it.
                workspace.failure_model.add(
                    mode, actor=self.triage_app.config.reviewer, exist_ok=True
                )
            except TriageError as exc:
                self.new_mode = picked.new_title
                self._not_saved(Outcome.FAIL, modes, exc)
                return
            self.new_mode = ""
            self.modes = workspace.failure_model.modes(task_type)
            modes.append(picked.new_id)
            self.notify(f"New failure mode: {picked.new_id}")
        self._record(Outcome.FAIL, modes)

    def _record(self, outcome: Outcome, modes: Sequence[str]) -> None:
        row = self.view.row(self.index)
        assert self.explanation is not None
        shown = self.explanation.verdict
        try:
            # Committed before anything on screen says so; a crash after this line
            # loses nothing that was shown as saved. ``expect`` is the verdict this
            # reviewer was shown: if another was recorded since, nothing is written.
            self.sitting.record(
                row.pk,
                outcome,
                modes=modes,
                note=self.note,
                checklist=self.checks,
                expect=shown.pk if shown is not None else None,
            )
        except ReviewedMeanwhile as exc:
            self._meanwhile(exc.current)
            return
        except TriageError as exc:
            self._not_saved(outcome, modes, exc)
            return
        self.view.forget(row.pk)
        done = f"{outcome.value} recorded · {row.id}" + (f" · {', '.join(modes)}" if modes else "")
        self.notify(done, timeout=2)
        self._advance()

    def _meanwhile(self, current: object) -> None:
        """Someone else's verdict landed after this item was shown: show it (keeping
        this reviewer's marks and note); the next press records theirs as a correction."""
        self.view.forget(self.view.row(self.index).pk)
        self.show(self.index, fresh=False)
        who = (
            f"{current.reviewer} recorded {current.outcome}"
            if isinstance(current, VerdictRecord)
            else "a verdict was undone"
        )
        self.notify(
            f"Meanwhile {who} on this item; press the key again to record yours too.",
            severity="warning",
            timeout=6,
        )

    def _not_saved(self, outcome: Outcome, modes: Sequence[str], error: TriageError) -> None:
        """Say the verdict was not saved and why; keep everything for a retry."""
        self.picked = tuple(modes)
        self.unsaved = (
            f"Your {outcome.value} verdict was NOT saved: {_sentence(error)} "
            "The item stays open; press the key again to retry."
        )
        self._render_checks()
        self.notify(self.unsaved, title="Not saved", severity="error", timeout=12)

    def _advance(self, step: int = 1) -> None:
        index = self.index + step
        while 0 <= index < len(self.view):
            if self.view.row(index).verdict not in DONE or not self.view.where.open_only:
                self.show(index)
                return
            index += step
        self.notify("End of this queue.", timeout=3)
        self.dismiss(self.view.row(self.index).pk if len(self.view) else None)

    def action_skip(self) -> None:
        self._advance()

    def action_move(self, step: int) -> None:
        index = self.index + step
        if 0 <= index < len(self.view):
            self.show(index)

    def action_undo(self) -> None:
        try:
            record = self.sitting.undo()
        except TriageError as exc:
            self.notify(
                f"The undo was NOT saved: {_sentence(exc)} Press the key again to retry.",
                title="Not saved",
                severity="error",
                timeout=12,
            )
            return
        if record is None:
            self.notify("Nothing to undo in this sitting.", timeout=2)
            return
        self.view.forget(record.item_pk)
        index = self.view.index_of(record.item_pk)
        self.notify(f"Undid {record.outcome} (the record stays in the history)", timeout=2)
        if index is not None:
            self.show(index)

    def action_note(self) -> None:
        from triage.tui.screens.modals import NoteEditor

        self.app.push_screen(NoteEditor(self.note), self._noted)

    def _noted(self, text: str | None) -> None:
        if text is not None:
            self.note = text
            self._render_checks()

    def action_check(self, number: int) -> None:
        if number > len(self.modes):
            return
        mode = self.modes[number - 1].id
        state = CYCLE[self.checks.get(mode)]
        if state is None:
            self.checks.pop(mode, None)
        else:
            self.checks[mode] = state
        self._render_checks()

    def action_scroll_output(self, direction: int) -> None:
        output = self.query_one("#output", AgentText)
        if direction > 0:
            output.scroll_page_down(animate=False)
        else:
            output.scroll_page_up(animate=False)

    def action_back(self) -> None:
        self.dismiss(self.view.row(self.index).pk if len(self.view) else None)


def _sentence(error: Exception) -> str:
    """An error's message ending like a sentence, so more can follow it."""
    text = str(error).strip()
    return text if text.endswith((".", "!", "?")) else text + "."
