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

:func:`propose` is the pure part (facts in, suggestions out); :func:`suggest`
adds the backtests and the dismissals stored in the workspace.
"""

from __future__ import annotations

import enum
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from triage.core.models import ItemFact, Lane, ReviewFact
from triage.learn.backtest import LANES, BacktestResult, Sample, Transition, run
from triage.learn.stats_math import wilson_interval
from triage.rules import RuleSet
from triage.rules.edit import AddRule, Edit, SetField, apply_edits

if TYPE_CHECKING:
    from triage.service.workspace import Workspace
    from triage.storage.suggestions import SuggestionAnswer


class SuggestionKind(enum.StrEnum):
    """Which rule of thumb a suggestion comes from; the first part of its id. Listed
    riskiest first, the order suggestions are offered in."""

    TIGHTEN = "tighten"
    """A task type fails too often in its lane: send it one lane up."""
    MODE = "mode"
    """One failure mode keeps recurring outside deep: send its task type to deep."""
    MODEL = "model"
    """An agent switched model recently: keep it at least in scan."""
    RELAX = "relax"
    """A task type hardly ever fails in its lane: let it go one lane down."""

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """Position in the order suggestions are offered in (riskiest first)."""
        return list(SuggestionKind).index(self)


_UP = {Lane.PASS: Lane.SCAN, Lane.SCAN: Lane.DEEP}
_DOWN = {Lane.DEEP: Lane.SCAN, Lane.SCAN: Lane.PASS}
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

LEARNED_HEADER = (
    "Rules added by accepting suggestions (triage rules suggest --apply).\n"
    "Each says which suggestion it came from and the evidence at the time;\n"
    "edit, disable or remove them like any other rule."
)
RELAX_HEADER = (
    'The rules that grant "pass". Any deep or scan rule that also matches wins,\n'
    "and audit samples (audit_rate) keep measuring what passes."
)


class SuggestionError(ValueError):
    """A suggestion cannot be accepted or dismissed as asked; the message says why."""


@dataclass(frozen=True)
class Thresholds:
    """When the review record is strong enough to suggest a change.

    These are constants rather than rule settings: they steer what triage
    *proposes*, never how an item is routed. Pass your own to :func:`suggest`.
    """

    tolerance_pass: float = 0.02
    """Highest failure rate acceptable among items the rules pass (2%)."""
    tolerance_scan: float = 0.10
    """Highest failure rate acceptable for a quick look (10%)."""
    tolerance_deep: float = 1.0
    """Deep is the top lane: any failure rate is acceptable there (nothing above it)."""
    min_reviews: int = 60
    """Verdicts a task type needs in a lane before it may be relaxed out of it."""
    mode_repeats: int = 3
    """How often one failure mode must be found ..."""
    mode_days: float = 7.0
    """... within this many days (outside deep) to send its task type to deep."""
    min_model_reviews: int = 20
    """Verdicts an agent's new model needs before it is trusted like the old one."""
    model_days: float = 14.0
    """How recent a model switch must be to be watched. Longer than the rule setting
    ``new_model_days`` on purpose: the ``new-model`` rule covers the first days, and
    this catches a switch whose window ran out before reviewers built a record."""
    learned_file: str = "learned.toml"
    """Where new deep and scan rules are written."""
    relax_file: str = "relax.toml"
    """Where new pass rules are written (the file that holds the pass rules)."""

    def tolerance(self, lane: Lane) -> float:
        return {
            Lane.PASS: self.tolerance_pass,
            Lane.SCAN: self.tolerance_scan,
            Lane.DEEP: self.tolerance_deep,
        }[lane]


@dataclass(frozen=True)
class Evidence:
    """The numbers behind a suggestion, and the sentence that sums them up."""

    reviewed: int
    failures: int
    tolerance: float | None
    """The failure rate the suggestion compared against (none for mode and model)."""
    sentence: str

    @property
    def rate(self) -> float:
        return self.failures / self.reviewed if self.reviewed else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """95% Wilson interval of the failure rate."""
        return wilson_interval(self.failures, self.reviewed)

    def as_json(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "reviewed": self.reviewed,
            "failures": self.failures,
            "rate": round(self.rate, 4),
            "ci_low": round(low, 4),
            "ci_high": round(high, 4),
            "tolerance": self.tolerance,
            "sentence": self.sentence,
        }

    def same_counts(self, stored: Mapping[str, Any]) -> bool:
        """Whether stored evidence had the same numbers reviewed and failed."""
        return stored.get("reviewed") == self.reviewed and stored.get("failures") == self.failures


Change = Edit
"""A proposed change: a rule to add or a field to set."""


@dataclass(frozen=True)
class Suggestion:
    """A proposed rule change with its evidence and, once backtested, its effect."""

    id: str
    """Stable across runs: ``tighten:refund:scan``, ``relax:handoff:scan``,
    ``mode:refund-over-policy:refund``, ``model:support-bot:claude-sonnet-4-6``."""
    kind: SuggestionKind
    title: str
    evidence: Evidence
    changes: tuple[Change, ...]
    backtest: BacktestResult | None = None
    """The draft (current rules plus this change) against the lanes items were reviewed in."""
    moved: int = 0
    """Reviewed items the change puts in another lane than the current rules do."""
    moves: tuple[Transition, ...] = ()
    """Those moves by lane: current rules' lane → the draft's (changed cells only)."""
    new_escapes: tuple[str, ...] = ()
    """Known failures the draft passes that the current rules do not."""
    minutes_now: float = 0.0
    """Reviewer minutes per day for the backtest sample under the current rules."""

    @property
    def sentence(self) -> str:
        """The evidence in one sentence."""
        return self.evidence.sentence

    @property
    def backtest_summary(self) -> str:
        """The backtest in one line: moves, escapes, reviewer minutes per day."""
        result = self.backtest
        if result is None:
            return "not backtested"
        moves = ", ".join(f"{t.old.value}→{t.new.value} {t.count}" for t in self.moves)
        return (
            f"{self.moved} of {result.items} reviewed items change lane"
            f"{f' ({moves})' if moves else ''}; escapes {len(result.escapes)} "
            f"({len(self.new_escapes)} new); "
            f"minutes/day {self.minutes_now:g} → {result.minutes_after:g}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "evidence": self.evidence.as_json(),
            "changes": [c.as_json() for c in self.changes],
            "moved": self.moved,
            "moves": [t.as_json() for t in self.moves],
            "new_escapes": list(self.new_escapes),
            "minutes_now": self.minutes_now,
            "backtest": self.backtest.as_json() if self.backtest else None,
        }


# -- the pure part -------------------------------------------------------------------


@dataclass
class _Record:
    reviewed: int = 0
    failures: int = 0


def lane_records(reviews: Iterable[ReviewFact]) -> dict[tuple[str, Lane], tuple[int, int]]:
    """(reviewed, failed) per task type and the lane the rules had chosen: a verdict
    on an audit sample counts for ``pass``."""
    out: dict[tuple[str, Lane], _Record] = defaultdict(_Record)
    for fact in reviews:
        record = out[(fact.task_type, fact.lane_before_sample)]
        record.reviewed += 1
        record.failures += fact.failed
    return {key: (r.reviewed, r.failures) for key, r in out.items()}


def propose(
    reviews: Sequence[ReviewFact],
    items: Sequence[ItemFact],
    ruleset: RuleSet,
    *,
    thresholds: Thresholds | None = None,
    now: datetime | None = None,
) -> list[Suggestion]:
    """Every suggestion the facts argue for, before backtesting. ``now`` ends the
    recent windows (default: the newest item's creation time)."""
    th = thresholds or Thresholds()
    if now is None:
        times = [f.created_at for f in items] + [f.created_at for f in reviews]
        if not times:
            return []
        now = max(times)
    taken = {rule.id for rule in ruleset.rules}
    out: list[Suggestion] = []
    for (task, lane), (reviewed, failures) in sorted(lane_records(reviews).items()):
        out.extend(_tighten(task, lane, reviewed, failures, th, taken))
        out.extend(_relax(task, lane, reviewed, failures, th, taken, ruleset))
    out.extend(_modes(reviews, th, taken, now))
    out.extend(_models(reviews, items, th, taken, now))
    # Riskiest first; among recurring modes, the most frequent first.
    return sorted(
        out,
        key=lambda s: (
            s.kind.rank,
            -s.evidence.failures if s.kind is SuggestionKind.MODE else 0,
            s.id,
        ),
    )


def _tighten(
    task: str, lane: Lane, reviewed: int, failures: int, th: Thresholds, taken: set[str]
) -> list[Suggestion]:
    up = _UP.get(lane)
    tolerance = th.tolerance(lane)
    low, high = wilson_interval(failures, reviewed)
    if up is None or not reviewed or low <= tolerance:
        return []
    where = "pass (reviewed samples)" if lane is Lane.PASS else lane.value
    counts = f"{failures} of {reviewed} failed, 95% CI {_pct(low)}–{_pct(high)}%"
    sentence = f"{task} in {where}: {counts} → send to {up.value}"
    sid = f"{SuggestionKind.TIGHTEN}:{task}:{lane.value}"
    action = "read them closely" if up is Lane.DEEP else "give them a look"
    rule = {
        "id": _unique(f"{_slug(task)}-to-{up.value}", taken),
        "lane": up.value,
        "why": (
            f"{task} outputs failed {failures} of {reviewed} reviews in {lane.value} "
            f"(95% CI {_pct(low)}–{_pct(high)}%, tolerated: {_pct(tolerance)}%): {action}."
        ),
        "when": f"task_type == {_quote(task)}",
    }
    return [
        Suggestion(
            id=sid,
            kind=SuggestionKind.TIGHTEN,
            title=f"Send {task} to {up.value}: {failures} of {reviewed} failed in {lane.value}",
            evidence=Evidence(reviewed, failures, tolerance, sentence),
            changes=(_learned(rule, sid, sentence, th),),
        )
    ]


def _relax(
    task: str,
    lane: Lane,
    reviewed: int,
    failures: int,
    th: Thresholds,
    taken: set[str],
    ruleset: RuleSet,
) -> list[Suggestion]:
    down = _DOWN.get(lane)
    if down is None or reviewed < th.min_reviews:
        return []
    tolerance = th.tolerance(down)
    low, high = wilson_interval(failures, reviewed)
    if high >= tolerance:
        return []
    sid = f"{SuggestionKind.RELAX}:{task}:{lane.value}"
    counts = f"{failures} of {reviewed} failed, 95% CI {_pct(low)}–{_pct(high)}%"
    changes: tuple[Change, ...]
    if down is Lane.PASS:
        rate = ruleset.settings.audit_rate
        audit = (
            f"{_pct(rate)}% audit samples keep measuring it"
            if rate
            else "no audit samples: audit_rate is 0"
        )
        sentence = f"{task} in scan: {counts} → pass ({audit})"
        rule = {
            "id": _unique(f"{_slug(task)}-pass", taken),
            "lane": Lane.PASS.value,
            "why": (
                f"{task}: {failures} of {reviewed} reviews in scan failed (95% CI up to "
                f"{_pct(high)}%): automated checks are enough, audit samples keep measuring it."
            ),
            "when": f"task_type == {_quote(task)}",
        }
        changes = (
            AddRule(
                file=th.relax_file,
                rule=rule,
                comment=f"From suggestion {sid}: {sentence}.",
                header=RELAX_HEADER,
            ),
        )
    else:
        alone = frozenset([task])
        own = [
            rule.id
            for rule in ruleset.enabled
            if rule.lane is Lane.DEEP
            and not rule.shadow
            and rule.condition.requires.get("task_type") == alone
        ]
        if not own:
            return []
        sentence = f"{task} in deep: {counts} → scan (rules {', '.join(own)})"
        changes = tuple(SetField(rule_id, "lane", Lane.SCAN.value) for rule_id in own)
    return [
        Suggestion(
            id=sid,
            kind=SuggestionKind.RELAX,
            title=f"Move {task} from {lane.value} to {down.value}: {failures} of {reviewed} failed",
            evidence=Evidence(reviewed, failures, tolerance, sentence),
            changes=changes,
        )
    ]


def _modes(
    reviews: Sequence[ReviewFact], th: Thresholds, taken: set[str], now: datetime
) -> list[Suggestion]:
    since = now - timedelta(days=th.mode_days)
    recent = [
        f for f in reviews if since < f.created_at <= now and f.lane_before_sample is not Lane.DEEP
    ]
    reviewed = Counter(f.task_type for f in recent)
    found = Counter((mode, f.task_type) for f in recent if f.failed for mode in f.modes)
    days = _days(th.mode_days)
    out = []
    for (mode, task), count in sorted(found.items()):
        if count < th.mode_repeats:
            continue
        sid = f"{SuggestionKind.MODE}:{mode}:{task}"
        sentence = (
            f"{mode} in {task}: found {count} times outside deep in the {days} to "
            f"{now.date().isoformat()} ({count} of {reviewed[task]} reviews) → send to deep"
        )
        rule: dict[str, Any] = {
            "id": _unique(f"{_slug(mode)}-in-{_slug(task)}", taken),
            "lane": Lane.DEEP.value,
            "why": (
                f"{mode} keeps recurring in {task} ({count} times in {days}, outside deep): "
                "read closely and check for it."
            ),
            "when": f"task_type == {_quote(task)}",
        }
        if _SLUG.fullmatch(mode):
            rule["failure_modes"] = [mode]
        out.append(
            Suggestion(
                id=sid,
                kind=SuggestionKind.MODE,
                title=f"Send {task} to deep: {mode} found {count} times in {days}",
                evidence=Evidence(reviewed[task], count, None, sentence),
                changes=(_learned(rule, sid, sentence, th),),
            )
        )
    return out


def _models(
    reviews: Sequence[ReviewFact],
    items: Sequence[ItemFact],
    th: Thresholds,
    taken: set[str],
    now: datetime,
) -> list[Suggestion]:
    first_by_agent: dict[str, datetime] = {}
    first_use: dict[tuple[str, str], datetime] = {}
    newest: dict[str, tuple[datetime, str]] = {}
    seen: Iterable[ItemFact | ReviewFact] = [*items, *reviews]
    for fact in seen:
        agent, model, at = fact.agent, fact.model, fact.created_at
        if at > now:
            continue
        if agent not in first_by_agent or at < first_by_agent[agent]:
            first_by_agent[agent] = at
        if (agent, model) not in first_use or at < first_use[(agent, model)]:
            first_use[(agent, model)] = at
        if agent not in newest or at > newest[agent][0]:
            newest[agent] = (at, model)
    verdicts = Counter((f.agent, f.model) for f in reviews)
    failed = Counter((f.agent, f.model) for f in reviews if f.failed)
    out = []
    for agent, (_, model) in sorted(newest.items()):
        since = first_use[(agent, model)]
        switched = since > first_by_agent[agent]
        if not switched or now - since > timedelta(days=th.model_days):
            continue
        count = verdicts[(agent, model)]
        if count >= th.min_model_reviews:
            continue
        sid = f"{SuggestionKind.MODEL}:{agent}:{model}"
        sentence = (
            f"{agent} on {model} since {since.date().isoformat()}: {count} verdicts "
            f"({failed[(agent, model)]} failed), fewer than {th.min_model_reviews} "
            "→ keep at least scan"
        )
        rule = {
            "id": _unique(f"{_slug(agent)}-{_slug(model)}-scan", taken),
            "lane": Lane.SCAN.value,
            "why": (
                f"{agent} switched to {model} recently and has only {count} verdicts on it: "
                "give its outputs a look until it has a record."
            ),
            "when": f"agent == {_quote(agent)} and model == {_quote(model)}",
            "notes": (
                f"Disable or remove it once {agent} has {th.min_model_reviews} verdicts on {model}."
            ),
        }
        out.append(
            Suggestion(
                id=sid,
                kind=SuggestionKind.MODEL,
                title=f"Keep {agent} on {model} in scan: {count} verdicts so far",
                evidence=Evidence(count, failed[(agent, model)], None, sentence),
                changes=(_learned(rule, sid, sentence, th),),
            )
        )
    return out


def _learned(rule: dict[str, Any], sid: str, sentence: str, th: Thresholds) -> AddRule:
    return AddRule(
        file=th.learned_file,
        rule=rule,
        comment=f"From suggestion {sid}: {sentence}.",
        header=LEARNED_HEADER,
    )


def _pct(x: float) -> str:
    """A share as a percentage: whole numbers from 10% up, one decimal below."""
    value = x * 100
    if value >= 10 or value == round(value):
        return f"{value:.0f}"
    return f"{value:.1f}"


def _days(days: float) -> str:
    n = int(days) if float(days).is_integer() else days
    return f"{n} day" if n == 1 else f"{n} days"


def _quote(text: str) -> str:
    """A text literal for a condition (double quotes, escapes as in Python)."""
    return json.dumps(text, ensure_ascii=False)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "x"


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


# -- against a workspace -------------------------------------------------------------


def draft_of(ruleset: RuleSet, suggestion: Suggestion, *, owner: str = "lead") -> RuleSet:
    """The current rules with ``suggestion`` accepted."""
    from triage.rules import rules_from_files

    files = apply_edits(ruleset.files, suggestion.changes, owner=owner)
    return rules_from_files(files, origin=ruleset.origin, commit=ruleset.commit)


def suggest(
    workspace: Workspace,
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
    if not include_dismissed and proposals:
        answers = SuggestionLog(workspace.store.engine).latest()
        proposals = [p for p in proposals if not _still_dismissed(p, answers.get(p.id))]
    if not proposals:
        return []
    sample = Sample(
        facts=reviews,
        items=workspace.store.items_by_pk([f.item_pk for f in reviews]),
        history=workspace.history(ruleset),
        lane_minutes=dict(workspace.config.lane_minutes),
    )
    current = run(sample, ruleset)
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
