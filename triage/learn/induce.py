"""Rules induced from the verdicts: simple conditions whose failure rate is clearly
above what the lane the rules give them tolerates.

The per-task-type rules of thumb (:mod:`triage.learn.proposals`) see only task types.
Failures often follow something narrower or wider: a tool error in any task, a failed
check, one agent, a band of ``meta.amount``. Here every reviewed item's signals (as the
rules see them) are tested against candidate conditions of one or two parts:

- ``task_type``, ``agent`` or ``model`` equal to a value seen among reviewed items;
- ``tool_errors > 0``, ``is_novel == true``, ``model_is_new == true``;
- a failed check (``"references" in failed_checks``);
- a boolean ``meta`` field that is true, or a numeric one at or above its median or
  its upper quartile among reviewed items (``meta.amount >= 120``);

and pairs of them where one part is a task type or an agent. A condition is proposed
as a rule one lane up when, among the reviewed items it matches that the current rules
left below that lane, its failure rate is above the lower lane's tolerance even at the
low end of its 95% Wilson interval, with at least :attr:`Thresholds.min_induced`
reviews. A condition that is just a task type is left to *tighten*. The strongest few
(highest lower bound, simpler first) are offered; :func:`triage.learn.suggest.suggest`
backtests each and keeps those that move an item.

Induced rules only ever tighten: a rule cannot make a stricter one stop matching, so
relaxing stays the per-task-type suggestion's job.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from triage.core.checks import CHECKS
from triage.core.models import Lane, ReviewFact
from triage.learn.proposals import _learned, _pct, _quote, _slug, _unique
from triage.learn.stats_math import wilson_interval
from triage.learn.suggestion import Evidence, Suggestion, SuggestionKind, Thresholds

__all__ = ["Atom", "induce"]

_MAX_VALUES = 30
"""Values per text signal tried (the most frequent among reviewed items)."""
_MAX_OFFERED = 5


@dataclass(frozen=True)
class Atom:
    """One part of a candidate condition."""

    when: str
    """As a rule condition: ``tool_errors > 0``."""
    words: str
    """As a reviewer reads it: ``a tool call failed``."""
    test: Callable[[Mapping[str, Any]], bool]
    grouping: bool = False
    """A task type or an agent: the part a pair is built around."""


def _atoms(signals: Sequence[Mapping[str, Any]]) -> list[Atom]:
    out: list[Atom] = []
    for name, grouping in (("task_type", True), ("agent", True), ("model", False)):
        counts: dict[str, int] = {}
        for s in signals:
            value = s.get(name)
            if isinstance(value, str):
                counts[value] = counts.get(value, 0) + 1
        for value, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_VALUES]:
            out.append(
                Atom(
                    f"{name} == {_quote(value)}",
                    f"{name.replace('_', ' ')} is {value}",
                    _equals(name, value),
                    grouping,
                )
            )
    out.append(
        Atom("tool_errors > 0", "a tool call failed", lambda s: (s.get("tool_errors") or 0) > 0)
    )
    out.append(
        Atom("is_novel == true", "the request is novel", lambda s: s.get("is_novel") is True)
    )
    out.append(
        Atom("model_is_new == true", "the model is new", lambda s: s.get("model_is_new") is True)
    )
    for check in CHECKS:
        out.append(
            Atom(
                f"{_quote(check)} in failed_checks",
                f"the {check} check failed",
                _failed(check),
            )
        )
    out.extend(_meta_atoms(signals))
    return out


def _meta_atoms(signals: Sequence[Mapping[str, Any]]) -> list[Atom]:
    numbers: dict[str, list[float]] = {}
    flags: dict[str, int] = {}
    for s in signals:
        meta = s.get("meta")
        if not isinstance(meta, Mapping):
            continue
        for key, value in meta.items():
            if not (isinstance(key, str) and key.isidentifier()):
                continue
            if value is True:
                flags[key] = flags.get(key, 0) + 1
            elif isinstance(value, int | float) and not isinstance(value, bool):
                numbers.setdefault(key, []).append(float(value))
    out: list[Atom] = []
    for key in sorted(flags):
        out.append(
            Atom(
                f"meta.{key} == true",
                f"meta.{key} is true",
                _flag(key),
            )
        )
    for key in sorted(numbers):
        values = numbers[key]
        if len(values) < 10:
            continue
        cuts = {statistics.median(values), statistics.quantiles(values, n=4)[2]}
        for cut in sorted(cuts):
            shown = f"{cut:g}"
            out.append(
                Atom(
                    f"meta.{key} >= {shown}",
                    f"meta.{key} is {shown} or more",
                    _over(key, cut),
                )
            )
    return out


Test = Callable[[Mapping[str, Any]], bool]


def _equals(name: str, value: str) -> Test:
    return lambda s: s.get(name) == value


def _failed(check: str) -> Test:
    return lambda s: check in (s.get("failed_checks") or ())


def _flag(key: str) -> Test:
    return lambda s: _meta(s, key) is True


def _over(key: str, cut: float) -> Test:
    return lambda s: _above(_meta(s, key), cut)


def _meta(signals: Mapping[str, Any], key: str) -> Any:
    meta = signals.get("meta")
    return meta.get(key) if isinstance(meta, Mapping) else None


def _above(value: Any, cut: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= cut


def induce(
    reviewed: Iterable[tuple[ReviewFact, Mapping[str, Any], Lane]],
    th: Thresholds,
    taken: set[str],
) -> list[Suggestion]:
    """Induced suggestions from ``reviewed``: each ok/fail verdict in force, the item's
    signals, and the lane the current rules give it (see the module notes)."""
    rows = [(fact.failed, signals, lane) for fact, signals, lane in reviewed]
    if not rows:
        return []
    atoms = _atoms([signals for _, signals, _ in rows])
    hits = [frozenset(i for i, (_, s, _) in enumerate(rows) if atom.test(s)) for atom in atoms]
    candidates: list[tuple[tuple[int, ...], frozenset[int]]] = [
        ((i,), hit)
        for i, hit in enumerate(hits)
        if hit and not atoms[i].when.startswith("task_type")
    ]
    for i, j in combinations(range(len(atoms)), 2):
        if not (atoms[i].grouping or atoms[j].grouping) or atoms[i].grouping and atoms[j].grouping:
            continue
        both = hits[i] & hits[j]
        if len(both) >= th.min_induced and both != hits[i] and both != hits[j]:
            candidates.append(((i, j), both))
    found: list[tuple[float, int, Suggestion]] = []
    seen: set[frozenset[int]] = set()
    for parts, matched in candidates:
        for lane, up in ((Lane.SCAN, Lane.DEEP), (Lane.PASS, Lane.SCAN)):
            below = frozenset(i for i in matched if rows[i][2].severity <= lane.severity)
            reviewed_n, failures = len(below), sum(rows[i][0] for i in below)
            if reviewed_n < th.min_induced or below in seen:
                continue  # too little evidence, or the same items as a simpler condition
            tolerance = th.tolerance(lane)
            low, high = wilson_interval(failures, reviewed_n)
            if low > tolerance:
                seen.add(below)
                chosen = [atoms[i] for i in parts]
                found.append(
                    (
                        low,
                        len(parts),
                        _suggestion(
                            chosen, lane, up, failures, reviewed_n, low, high, tolerance, th, taken
                        ),
                    )
                )
                break
    found.sort(key=lambda entry: (-entry[0], entry[1], entry[2].id))
    return [suggestion for _, _, suggestion in found[:_MAX_OFFERED]]


def _suggestion(
    parts: list[Atom],
    lane: Lane,
    up: Lane,
    failures: int,
    reviewed: int,
    low: float,
    high: float,
    tolerance: float,
    th: Thresholds,
    taken: set[str],
) -> Suggestion:
    when = " and ".join(part.when for part in parts)
    words = " and ".join(part.words for part in parts)
    where = "pass" if lane is Lane.PASS else "scan or pass"
    counts = f"{failures} of {reviewed} failed, 95% CI {_pct(low)}–{_pct(high)}%"
    sentence = f"where {words}, in {where}: {counts} → send to {up.value}"
    sid = f"{SuggestionKind.INDUCE}:{_slug(when)}:{lane.value}"
    action = "read them closely" if up is Lane.DEEP else "give them a look"
    rule = {
        "id": _unique(f"induced-{_slug(words)[:40].strip('-')}-to-{up.value}", taken),
        "lane": up.value,
        "why": (
            f"Where {words}, outputs failed {failures} of {reviewed} reviews in {where} "
            f"(95% CI {_pct(low)}–{_pct(high)}%, tolerated: {_pct(tolerance)}%): {action}."
        ),
        "when": when,
    }
    return Suggestion(
        id=sid,
        kind=SuggestionKind.INDUCE,
        title=f"Send items where {words} to {up.value}: {failures} of {reviewed} failed",
        evidence=Evidence(reviewed, failures, tolerance, sentence),
        changes=(_learned(rule, sid, sentence, th),),
    )
