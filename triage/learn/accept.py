"""Accepting and dismissing suggestions: the lead's side of the learning loop.

Accepting writes the change into the rule files (comments and layout kept),
records the decision and an audit entry in one transaction, reloads the rules
and re-triages; dismissing records the reason, so the same evidence is not
offered again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.core.models import Lane
from triage.errors import NotFound
from triage.learn.suggest import Suggestion, SuggestionError, Thresholds, suggest
from triage.rules.edit import apply_edits

if TYPE_CHECKING:
    from triage.learn.context import LoopContext
    from triage.storage.suggestions import SuggestionAnswer


@dataclass(frozen=True)
class ApplyResult:
    """What accepting a suggestion did."""

    suggestion: str
    old_version: str
    new_version: str
    files: tuple[str, ...]
    """The rule files written."""
    summary: dict[str, tuple[int, int]]
    """Per file written: lines (added, removed)."""
    diff: str
    lanes: dict[Lane, int] = field(default_factory=dict)
    """Lane totals after re-triage."""

    def as_json(self) -> dict[str, Any]:
        return {
            "suggestion": self.suggestion,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "files": list(self.files),
            "summary": {rel: {"added": a, "removed": r} for rel, (a, r) in self.summary.items()},
            "diff": self.diff,
            "lanes": {lane.value: n for lane, n in self.lanes.items()},
        }


def find_suggestion(
    workspace: LoopContext,
    suggestion_id: str,
    *,
    now: datetime | None = None,
    thresholds: Thresholds | None = None,
) -> Suggestion:
    """The current suggestion ``suggestion_id`` (dismissed ones included);
    :class:`~triage.errors.NotFound` when the evidence no longer argues for it."""
    for suggestion in suggest(workspace, now=now, thresholds=thresholds, include_dismissed=True):
        if suggestion.id == suggestion_id:
            return suggestion
    raise NotFound(
        f"no suggestion {suggestion_id!r} now (the rules may already do it, or the "
        "evidence changed); `triage rules suggest` lists the current ones"
    )


def apply_suggestion(
    workspace: LoopContext,
    suggestion_id: str,
    *,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
    thresholds: Thresholds | None = None,
) -> ApplyResult:
    """Accept a suggestion: write the change into the configured rules folder,
    record the answer and a ``rules.change`` audit entry together, reload the rules
    and re-triage every item. Only leads may; the folder must load cleanly first."""
    from triage.learn.rule_changes import editable_rules
    from triage.rules import rules_from_files
    from triage.rules.edit import diff_files
    from triage.storage.suggestions import ACCEPTED, SuggestionLog

    folder, ruleset = editable_rules(workspace, actor, SuggestionError)
    suggestion = find_suggestion(workspace, suggestion_id, now=now, thresholds=thresholds)
    new_files = apply_edits(ruleset.files, suggestion.changes, owner=actor)
    new_version = rules_from_files(new_files).version
    summary, diff = diff_files(ruleset.files, new_files)
    changed = [rel for rel in sorted(new_files) if new_files[rel] != ruleset.files.get(rel)]
    started = False

    def write() -> None:
        from triage.rules.edit import write_files

        nonlocal started
        started = True
        write_files(folder, ruleset.files, new_files)

    try:
        SuggestionLog(workspace.store.engine).record(
            suggestion=suggestion.id,
            decision=ACCEPTED,
            actor=actor,
            reason=reason,
            evidence=suggestion.evidence.as_json(),
            rules_version=new_version,
            action="rules.change",
            payload={
                "suggestion": suggestion.id,
                "title": suggestion.title,
                "old_version": ruleset.version,
                "new_version": new_version,
                "changes": [c.describe() for c in suggestion.changes],
                "summary": {rel: f"+{a} -{r}" for rel, (a, r) in summary.items()},
                "diff": diff,
            },
            inside=write,
        )
    except BaseException:
        if started:
            restore(folder, ruleset.files, changed)
        raise
    workspace.rules(reload=True)
    lanes = workspace.retriage()
    return ApplyResult(
        suggestion=suggestion.id,
        old_version=ruleset.version,
        new_version=new_version,
        files=tuple(changed),
        summary=summary,
        diff=diff,
        lanes=lanes,
    )


def restore(folder: Path, old_files: Mapping[str, str], changed: Sequence[str]) -> None:
    """Put back the files of a change whose record failed to commit."""
    from triage.rules.edit import write_files

    for rel in changed:
        if rel in old_files:
            write_files(folder, {}, {rel: old_files[rel]})
        else:
            (folder / rel).unlink(missing_ok=True)


def dismiss_suggestion(
    workspace: LoopContext,
    suggestion_id: str,
    *,
    actor: str,
    reason: str,
    now: datetime | None = None,
    thresholds: Thresholds | None = None,
) -> SuggestionAnswer:
    """Dismiss a suggestion, with the reason (required), audited. It is not offered
    again until its evidence changes. Only leads may."""
    from triage.storage.suggestions import DISMISSED, SuggestionLog

    workspace.require_lead(actor, "dismiss suggestions")
    if not reason.strip():
        raise SuggestionError("say why the suggestion is dismissed (a reason is required)")
    suggestion = find_suggestion(workspace, suggestion_id, now=now, thresholds=thresholds)
    return SuggestionLog(workspace.store.engine).record(
        suggestion=suggestion.id,
        decision=DISMISSED,
        actor=actor,
        reason=reason.strip(),
        evidence=suggestion.evidence.as_json(),
        rules_version=workspace.rules().ruleset.version,
        action="suggestion.dismiss",
        payload={"suggestion": suggestion.id, "title": suggestion.title},
    )
