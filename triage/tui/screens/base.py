"""What every triage screen shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from triage.errors import TriageError

if TYPE_CHECKING:
    from triage.tui.app import TriageApp

ResultType = TypeVar("ResultType")

REFUSALS = (TriageError, ValueError, LookupError, PermissionError)
"""What a change made from a screen may fail with that the person can act on (the
error family, and the built-ins older core paths still raise on purpose): shown as
a notice saying nothing was saved, never as a crash."""


class TriageScreen(Screen[ResultType]):
    """A screen of the reviewer app, with typed access to it."""

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
