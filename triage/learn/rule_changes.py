"""A lead's direct edits to the rules: change a rule, add a shadow draft, activate it.

Every change is validated before anything is written (an invalid edit raises
:class:`~triage.rules.RulesError` with the problems and leaves the files as they
were), written with comments and layout kept, recorded in the audit log in the
same transaction, and followed by a re-triage under the new rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.core.models import Lane
from triage.errors import Refused
from triage.learn.context import LoopContext
from triage.rules import RuleSet
from triage.storage import audit
from triage.storage.convert import now
from triage.storage.engine import writing

DRAFTS = "drafts.toml"
DRAFTS_HEADER = (
    "Draft rules being tried out. A shadow rule is evaluated and its matches are\n"
    'recorded as "would have routed", but it changes no lane until activated.'
)


class RuleChangeError(Refused):
    """The rules cannot be changed now (no rules folder, or one that does not load
    cleanly); the message says why."""


@dataclass(frozen=True)
class RuleChange:
    """What a change did."""

    action: str
    rule: str
    old_version: str
    new_version: str
    files: tuple[str, ...]
    diff: str
    lanes: dict[Lane, int] = field(default_factory=dict)


def edit_rule(
    workspace: LoopContext, rule_id: str, changes: Mapping[str, Any], *, actor: str
) -> RuleChange:
    """Set fields of a rule (``why``, ``lane``, ``when``, ``owner``, ``shadow``, …);
    a ``None`` value removes the key."""
    from triage.rules.edit import set_rule_field

    def change(files: dict[str, str]) -> dict[str, str]:
        for key, value in changes.items():
            files = set_rule_field(files, rule_id, key, value)
        return files

    return _change(workspace, "rules.edit", rule_id, change, actor=actor)


def add_shadow_rule(workspace: LoopContext, rule: Mapping[str, Any], *, actor: str) -> RuleChange:
    """Add a draft as a shadow rule in ``drafts.toml``."""
    from triage.rules.edit import add_rule

    draft = {**rule, "shadow": True, "owner": rule.get("owner") or actor}

    def change(files: dict[str, str]) -> dict[str, str]:
        comment = f"Drafted by {actor}; shadow until activated."
        return add_rule(files, DRAFTS, draft, comment=comment, header=DRAFTS_HEADER)

    return _change(workspace, "rules.draft", str(rule["id"]), change, actor=actor)


def activate_rule(workspace: LoopContext, rule_id: str, *, actor: str) -> RuleChange:
    """Turn a shadow rule into a real one: from now on it routes items."""
    return edit_rule(workspace, rule_id, {"shadow": None}, actor=actor)


def editable_rules(
    workspace: LoopContext, actor: str, error: type[Refused] = RuleChangeError
) -> tuple[Path, RuleSet]:
    """The rules folder a lead may change now, and the rule set loaded from it. Raises
    ``NotALead`` for others, and ``error`` when there is no folder or it does not load
    cleanly (a change is never made on top of the last good set)."""
    workspace.require_lead(actor, "change rules")
    folder = workspace.config.rules_dir
    if folder is None:
        raise error(
            "no rules folder is configured, so there is no file to change; set TRIAGE_RULES "
            "or rules = ... in triage.toml"
        )
    in_force = workspace.rules(reload=True)
    if in_force.fallback:
        raise error(
            f"the rules folder {folder} has problems (see `triage rules check`); fix them "
            "before changing rules"
        )
    return folder, in_force.ruleset


def _change(
    workspace: LoopContext,
    action: str,
    rule_id: str,
    change: Callable[[dict[str, str]], dict[str, str]],
    *,
    actor: str,
) -> RuleChange:
    from triage.learn.accept import restore
    from triage.rules import rules_from_files
    from triage.rules.edit import diff_files, write_files

    folder, old = editable_rules(workspace, actor)
    new_files = change(dict(old.files))  # raises RulesError when the result is invalid
    new = rules_from_files(new_files, origin=str(folder))
    summary, diff = diff_files(old.files, new_files)
    changed = tuple(rel for rel in sorted(new_files) if new_files[rel] != old.files.get(rel))
    stamp = now()
    written = False
    try:
        with writing(workspace.store.engine) as conn:
            audit.append(
                conn,
                actor=actor,
                action=action,
                subject=rule_id,
                payload={
                    "old_version": old.version,
                    "new_version": new.version,
                    "summary": {rel: f"+{a} -{r}" for rel, (a, r) in summary.items()},
                    "diff": diff,
                },
                at=stamp,
            )
            written = True
            write_files(folder, old.files, new_files)
    except BaseException:
        # The audit entry did not commit: the files must not stay changed either.
        if written:
            restore(folder, old.files, changed)
        raise
    workspace.rules(reload=True)
    lanes = workspace.retriage()
    return RuleChange(action, rule_id, old.version, new.version, changed, diff, lanes)
