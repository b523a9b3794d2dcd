"""What every triage screen shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen

if TYPE_CHECKING:
    from triage.tui.app import TriageApp

ResultType = TypeVar("ResultType")


class TriageScreen(Screen[ResultType]):
    """A screen of the reviewer app, with typed access to it."""

    @property
    def triage_app(self) -> TriageApp:
        from triage.tui.app import TriageApp

        assert isinstance(self.app, TriageApp)
        return self.app
