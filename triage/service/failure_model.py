"""The failure model as the command line and the reviewer app reach it.

:class:`FailureModel` is reached as ``Workspace.failure_model``. It is the only way
the faces read, create, edit, retire and export failure modes, so every change goes
through the same checks (see :func:`triage.learn.failure_model.add_mode`) and the
same audit entries, whichever face asked for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from triage.core.models import FailureMode
from triage.errors import NotFound
from triage.learn import failure_model as model

if TYPE_CHECKING:
    from triage.learn.failure_model import ModeEvidence
    from triage.service.workspace import Workspace


class FailureModel:
    """Every failure mode of one workspace, with its evidence."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    def modes(self, task_type: str | None = None, *, active_only: bool = True) -> list[FailureMode]:
        """The modes of ``task_type`` and those for every task type (no ``task_type``:
        all of them), ordered by id; with ``active_only``, retired ones left out."""
        return self._ws.reviews.failure_modes(task_type, active_only=active_only)

    def mode(self, mode_id: str) -> FailureMode:
        """The mode ``mode_id``; :class:`~triage.errors.NotFound` when there is none."""
        found = self._ws.reviews.failure_mode(mode_id)
        if found is None:
            raise NotFound(f"no failure mode {mode_id!r}")
        return found

    def add(self, mode: FailureMode, *, actor: str, exist_ok: bool = False) -> FailureMode:
        """Create ``mode`` (audited) after the checks every new mode gets; an id that is
        taken is refused, or with ``exist_ok`` that mode is returned as it is."""
        return model.add_mode(self._ws, mode, actor=actor, exist_ok=exist_ok)

    def tag(self, mode_id: str, task_type: str | None, *, actor: str) -> FailureMode:
        """The mode a verdict tags as ``mode_id``: created for ``task_type``, titled after
        its id, when it is not in the model yet (its id kept as written)."""
        mode = FailureMode(id=mode_id, title=mode_id.replace("-", " "), task_type=task_type)
        return model.add_mode(self._ws, mode, actor=actor, tagged=True)

    def edit(
        self,
        mode_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        look_for: str | None = None,
        task_type: str | None | model.Unchanged = model.UNCHANGED,
        actor: str,
    ) -> FailureMode:
        """Change the fields given (``task_type=None``: every task type), audited."""
        return model.edit_mode(
            self._ws,
            mode_id,
            title=title,
            description=description,
            look_for=look_for,
            task_type=task_type,
            actor=actor,
        )

    def retire(self, mode_id: str, *, actor: str, reason: str = "") -> FailureMode:
        """Take the mode off the checklist (leads only), audited with ``reason``."""
        return model.retire_mode(self._ws, mode_id, actor=actor, reason=reason)

    def reactivate(self, mode_id: str, *, actor: str, reason: str = "") -> FailureMode:
        """Put a retired mode back on the checklist (leads only), audited."""
        return model.reactivate_mode(self._ws, mode_id, actor=actor, reason=reason)

    def evidence(self, *, examples: int = model.EXAMPLES) -> dict[str, ModeEvidence]:
        """Per mode id, the fail verdicts in force that found it, with up to
        ``examples`` examples each."""
        from triage.storage.modes import Modes

        return Modes(self._ws.store.engine).mode_evidence(examples=examples)

    def export_markdown(self) -> str:
        """The whole failure model as one markdown document an owner can read."""
        return model.export_markdown(self._ws)
