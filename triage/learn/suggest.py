"""Suggestions: rule changes the review record argues for, each with its evidence
and a backtest, for a lead to accept (the rule files are edited, audited, and
items re-triaged) or dismiss (with a reason).

Four rules of thumb, with the thresholds in :class:`Thresholds`:

* **tighten**: a task type whose failure rate in a lane is, even at the low end
  of its 95% Wilson interval, above what that lane tolerates → send it one lane
  up (a new rule ``task_type == "X"``). For ``pass`` the record is the verdicts
  on items the rules passed: audit samples, and any pass item someone read.
* **relax**: a task type with at least ``min_reviews`` verdicts in a lane whose
  failure rate, even at the high end of its interval, is below what the lane
  beneath tolerates → let it go one lane down: from ``scan``, a ``pass`` rule
  (audit samples keep measuring it); from ``deep``, the deep rules written for
  that task type alone move to ``scan``.
* **mode**: one failure mode found ``mode_repeats`` times within ``mode_days``
  in a task type outside ``deep`` → a deep rule for that task type, linked to
  the mode.
* **model**: an agent switched model within ``model_days`` and has fewer than
  ``min_model_reviews`` verdicts on the new one → at least ``scan`` for that
  agent and model.

A suggestion is only offered when its backtest moves at least one reviewed item
to another lane than the current rules give it: triage never suggests what the
rules already do. A dismissed suggestion stays hidden until its evidence (the
number reviewed or failed) changes.

What a suggestion is lives in :mod:`triage.learn.suggestion`; :func:`propose`
(:mod:`triage.learn.proposals`) is the pure part, facts in, suggestions out;
:func:`suggest`, here, adds the backtests and the dismissals stored in the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from triage.core.models import Lane
from triage.learn.backtest import LANES, BacktestResult, Sample, Transition, run, signals_of
from triage.learn.proposals import lane_records, propose
from triage.learn.suggestion import (
    Change,
    Evidence,
    Suggestion,
    SuggestionError,
    SuggestionKind,
    Thresholds,
)
from triage.rules import RuleSet
from triage.rules.edit import AddRule, SetField, apply_edits

if TYPE_CHECKING:
    from triage.learn.context import LoopContext
    from triage.storage.suggestions import SuggestionAnswer

__all__ = [
    "AddRule",
    "Change",
    "Evidence",
    "SetField",
    "Suggestion",
    "SuggestionError",
    "SuggestionKind",
    "Thresholds",
    "draft_of",
    "lane_records",
    "propose",
    "suggest",
]


def draft_of(ruleset: RuleSet, suggestion: Suggestion, *, owner: str = "lead") -> RuleSet:
    """The current rules with ``suggestion`` accepted."""
    from triage.rules import rules_from_files

    files = apply_edits(ruleset.files, suggestion.changes, owner=owner)
    return rules_from_files(files, origin=ruleset.origin, commit=ruleset.commit)


def suggest(
    workspace: LoopContext,
    *,
    now: datetime | None = None,
    thresholds: Thresholds | None = None,
    include_dismissed: bool = False,
) -> list[Suggestion]:
    """The suggestions for the rules in force, each backtested; what the rules already
    do, and what was dismissed on the same evidence, left out (``include_dismissed``
    keeps the latter)."""
    from triage.rules import RulesError
    from triage.storage.suggestions import SuggestionLog

    ruleset = workspace.rules().ruleset
    reviews = workspace.store.review_facts()
    proposals = propose(
        reviews, workspace.store.item_facts(), ruleset, thresholds=thresholds, now=now
    )
    if not reviews:
        return []
    sample = Sample(
        facts=reviews,
        items=workspace.store.items_by_pk([f.item_pk for f in reviews]),
        history=workspace.history(ruleset),
        lane_minutes=dict(workspace.config.lane_minutes),
    )
    current = run(sample, ruleset)
    proposals += _induced(sample, ruleset, current, thresholds or Thresholds(), proposals)
    proposals.sort(key=lambda p: p.kind.rank)  # stable: each kind keeps its own order
    if not include_dismissed and proposals:
        answers = SuggestionLog(workspace.store.engine).latest()
        proposals = [p for p in proposals if not _still_dismissed(p, answers.get(p.id))]
    if not proposals:
        return []
    was = current.decided
    out: list[Suggestion] = []
    effects: set[frozenset[tuple[int, Lane]]] = set()
    for proposal in proposals:
        try:
            draft = draft_of(ruleset, proposal, owner=workspace.config.reviewer or "lead")
        except RulesError:
            continue  # the folder cannot take this change as it stands
        result = run(sample, draft, baseline=(ruleset, current))
        suggestion = _with_effect(proposal, result, current)
        effect = frozenset(
            (pk, lanes[0])
            for pk, lanes in result.decided.items()
            if was.get(pk, (None,))[0] is not lanes[0]
        )
        # Nothing changes: the rules already do it. The same moves as a suggestion
        # already listed (a mode that recurs in a task type also being tightened):
        # one suggestion is enough.
        if effect and effect not in effects:
            effects.add(effect)
            out.append(suggestion)
    return out


def _induced(
    sample: Sample,
    ruleset: RuleSet,
    current: BacktestResult,
    th: Thresholds,
    proposed: list[Suggestion],
) -> list[Suggestion]:
    """Rules induced from the reviewed items' signals (:mod:`triage.learn.induce`)."""
    from triage.learn.induce import induce

    taken = {rule.id for rule in ruleset.rules}
    for proposal in proposed:  # ids the other suggestions' rules would take
        taken.update(str(c.rule.get("id")) for c in proposal.changes if isinstance(c, AddRule))
    signals = signals_of(sample, ruleset)
    rows = [
        (fact, signals(sample.items[fact.item_pk]), current.decided[fact.item_pk][0])
        for fact in sample.facts
        if fact.item_pk in sample.items and fact.item_pk in current.decided
    ]
    return induce(rows, th, taken)


def _with_effect(
    proposal: Suggestion, result: BacktestResult, current: BacktestResult
) -> Suggestion:
    now, then = current.decided, result.decided
    cells = Counter(
        (now[pk][0], lanes[0])
        for pk, lanes in then.items()
        if pk in now and now[pk][0] is not lanes[0]
    )
    escapes_now = set(current.escapes)
    return replace(
        proposal,
        backtest=result,
        moved=sum(cells.values()),
        moves=tuple(
            Transition(old, new, cells[(old, new)])
            for old in LANES
            for new in LANES
            if cells[(old, new)]
        ),
        new_escapes=tuple(ref for ref in result.escapes if ref not in escapes_now),
        minutes_now=current.minutes_after,
    )


def _still_dismissed(proposal: Suggestion, answer: SuggestionAnswer | None) -> bool:
    from triage.storage.suggestions import DISMISSED

    return (
        answer is not None
        and answer.decision == DISMISSED
        and proposal.evidence.same_counts(answer.evidence)
    )
