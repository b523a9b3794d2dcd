"""The reviewer app: work the day's queue by keyboard, one key per verdict.

``make_app(config)`` builds it; nothing happens at import time. The database is
opened in a worker after the first frame, so the screen is up and answering keys
while SQLAlchemy loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from triage.config import Config
from triage.core.inert import inert, one_line
from triage.errors import TriageError

if TYPE_CHECKING:
    from triage.service.review import Sitting
    from triage.service.workspace import Workspace


class ItemCommands(Provider):
    """Command palette: jump to any item of the current queue by id. Ids, lanes and
    task types are shown as built content, never parsed as markup."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if not isinstance(app, TriageApp) or app.workspace is None:
            return
        from triage.tui.screens.queue import QueueScreen
        from triage.tui.untrusted import palette_prompt

        screen = app.queue_screen
        if not isinstance(screen, QueueScreen) or screen.view is None:
            return
        matcher = self.matcher(query)
        view = screen.view
        for index in range(min(len(view), 2000)):
            row = view.row(index)
            score = matcher.match(row.id)
            if score > 0:
                help = f"{row.lane.value} · {row.task_type}"
                yield Hit(
                    score,
                    palette_prompt(f"item: {row.id}", matcher, help=help),
                    partial(screen.open_index, index),
                    text=one_line(f"item: {row.id}", 80),
                )


class TriageApp(App[None]):
    """Reviewer app over one workspace."""

    CSS_PATH = "app.tcss"
    TITLE = "triage"
    COMMANDS = App.COMMANDS | {ItemCommands}
    SUSPENDED_SCREEN_CLASS = "-suspended"
    """Marks a screen with another over it: under a dialog, its footer is hidden."""
    BINDINGS = [
        Binding("R", "open('rules')", "Rules", id="open-rules"),
        Binding("S", "open('stats')", "Stats", id="open-stats"),
        Binding("M", "open('model')", "Failure model", id="open-model"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+q", "quit", "Quit", id="quit", show=False),
    ]

    def __init__(
        self,
        config: Config,
        *,
        open_workspace: Callable[[Config], Workspace] | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        """Where the database and rules are, who reviews, minutes per lane, keys."""
        self.workspace: Workspace | None = None
        """Set once the database is open."""
        self._open = open_workspace
        self.queue_screen: Screen[None] | None = None
        self.sitting: Sitting | None = None
        """This reviewer's verdicts since the app started: what undo walks back."""
        self.keymap: dict[str, str] = dict(config.keys)
        """Binding id → keys, from ``[keys]`` in triage.toml, as written there."""
        if self.keymap:
            self.set_keymap(self.keymap)

    @property
    def keys_in_force(self) -> dict[str, str]:
        """Binding id → keys as Textual applies them now (``[keys]`` normalised, so
        ``?`` reads ``question_mark``): what the help screen shows."""
        return dict(self._keymap)

    def on_mount(self) -> None:
        from triage.tui.screens.queue import QueueScreen

        self.queue_screen = QueueScreen()
        self.push_screen(self.queue_screen)
        # Paint first, then open the database: the screen answers keys meanwhile.
        self.call_after_refresh(self._load_workspace)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open", description="open")
    def _load_workspace(self) -> Workspace:
        if self._open is not None:
            return self._open(self.config)
        from triage.service.workspace import Workspace

        return Workspace.open(self.config)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a notice. Every notice is plain text made inert, whatever ``markup``
        says: notices quote ids, names and error messages, and none of that may act
        on the terminal or be read as markup."""
        super().notify(
            inert(message),
            title=one_line(title, 80),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def worker_failed(self, worker: Worker[Any]) -> None:
        """The one handler for a worker that ended in an error. A
        :class:`~triage.errors.TriageError` (a full disk, a refused change, a
        missing item) is something the reviewer can act on: it becomes a notice and
        the app carries on. Anything else is a bug: it is raised again, so it
        surfaces with its traceback instead of vanishing."""
        error = worker.error
        if isinstance(error, TriageError):
            what = "Cannot open the database" if worker.group == "open" else "Not done"
            self.notify(f"{what}: {error}", severity="error", timeout=30)
            return
        if error is not None:
            raise error

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.worker_failed(event.worker)
            return
        if event.worker.group != "open":
            return
        if event.state is WorkerState.SUCCESS:
            from triage.service.review import Sitting
            from triage.tui.screens.queue import QueueScreen

            workspace = event.worker.result
            assert workspace is not None
            self.workspace = workspace
            self.sitting = Sitting(workspace, self.config.reviewer)
            if isinstance(self.queue_screen, QueueScreen):
                self.queue_screen.workspace_ready()
            if workspace.read_only:
                self.notify(
                    "The database is read-only: the queue can be read, but no verdict "
                    "can be recorded.",
                    severity="warning",
                    timeout=15,
                )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from triage.tui.screens.queue import QueueScreen

        queue = self.queue_screen
        if isinstance(queue, QueueScreen):
            for lane in ("deep", "scan", "pass", "all"):
                yield SystemCommand(
                    f"lane: {lane}", f"Show the {lane} queue", partial(queue.action_lane, lane)
                )
            yield SystemCommand(
                "session: time box", "Review what fits in N minutes", queue.action_timebox
            )
            yield SystemCommand(
                "queue: show reviewed", "Toggle reviewed items", queue.action_toggle_reviewed
            )
            yield SystemCommand("queue: search", "Fuzzy search the queue", queue.action_search)
            yield SystemCommand("queue: reload", "Reload from the database", queue.reload)
        yield SystemCommand(
            "rules: open", "Rules, suggestions and backtests", partial(self.action_open, "rules")
        )
        yield SystemCommand(
            "stats: open", "Failure rates and trends", partial(self.action_open, "stats")
        )
        yield SystemCommand(
            "failure model: open",
            "Every failure mode with evidence",
            partial(self.action_open, "model"),
        )
        yield SystemCommand(
            "export: failure model", "Write failure-model.md here", self.export_failure_model
        )
        yield SystemCommand("help: keys", "Every key and what it does", self.action_help)

    def action_open(self, name: str) -> None:
        """Open the rules, statistics or failure-model screen over the queue."""
        if self.workspace is None:
            self.notify("Still opening the database…", timeout=2)
            return
        from triage.tui.screens.failure_model import FailureModelScreen
        from triage.tui.screens.rules import RulesScreen
        from triage.tui.screens.stats import StatsScreen

        screens = {"rules": RulesScreen, "stats": StatsScreen, "model": FailureModelScreen}
        wanted = screens[name]
        if not isinstance(self.screen, wanted):
            self.push_screen(wanted())

    def action_help(self) -> None:
        from triage.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def export_failure_model(self) -> None:
        """Write the failure model as markdown to ``failure-model.md`` here."""
        from pathlib import Path

        if self.workspace is None:
            return
        path = Path.cwd() / "failure-model.md"
        try:
            path.write_text(self.workspace.failure_model.export_markdown(), encoding="utf-8")
        except (OSError, TriageError) as exc:
            self.notify(f"Not written: {exc}", severity="error", timeout=8)
            return
        self.notify(f"Wrote {path}")

    def on_unmount(self) -> None:
        if self.workspace is not None:
            self.workspace.close()


def make_app(
    config: Config, *, open_workspace: Callable[[Config], Workspace] | None = None
) -> TriageApp:
    """The reviewer app for ``config`` (tests pass a temporary database URL)."""
    return TriageApp(config, open_workspace=open_workspace)
