"""Finding suggestions: the pure part of the learning loop, review facts in,
suggestions out (not yet backtested). The rules of thumb are described in
:mod:`triage.learn.suggest`; their thresholds are :class:`~triage.learn.suggestion.Thresholds`.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from triage.core.models import ItemFact, Lane, ReviewFact
from triage.learn.stats_math import wilson_interval
from triage.learn.suggestion import Change, Evidence, Suggestion, SuggestionKind, Thresholds
from triage.rules import RuleSet
from triage.rules.edit import AddRule, SetField

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
