"""What every triage screen shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from triage.tui.app import TriageApp

ResultType = TypeVar("ResultType")


class TriageScreen(Screen[ResultType]):
    """A screen of the reviewer app, with typed access to it.

    A change made from a screen that fails with a :class:`~triage.errors.TriageError`
    (a refusal, a missing mode, a full disk) is shown as a notice saying nothing was
    saved; anything else is a bug and is left to surface as one."""

    @property
    def triage_app(self) -> TriageApp:
        from triage.tui.app import TriageApp

        assert isinstance(self.app, TriageApp)
        return self.app

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A worker reports only to the screen that started it: hand its errors to the
        # app's one handler (a notice for what the reviewer can act on, a crash for bugs).
        if event.state is WorkerState.ERROR:
            self.triage_app.worker_failed(event.worker)
