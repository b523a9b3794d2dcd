"""Novelty: how much an item's input resembles what the same agent has handled before.

The score is the rapidfuzz ``ratio`` (0-100) between the item's normalised input
and the nearest *earlier* input of the same agent and task type; low means
novel. "Earlier" is by ``created_at``, so re-triage gives the same answer as
triage at pull time did.

Comparing every input with every past input is quadratic (10k x 100k is ~380 s
here), so candidates are narrowed first:

1. an exact-duplicate shortcut on the normalised text (score 100);
2. blocking by (agent, task type);
3. the past inputs sharing the item's rarest words (an inverted index; words
   too common to discriminate are skipped), plus a fixed stride sample of the
   group so template-only inputs still meet their template;
4. one ``process.extractOne`` over those candidates.

It is an approximate nearest neighbour: it finds the nearest input whenever that
input shares a distinctive word with the query, which is what "unlike anything
the agent has handled before" needs.
"""

from __future__ import annotations

import bisect
import heapq
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from triage.core.models import Novelty

_DIGITS = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]{3,}")

MAX_CHARS = 1000
"""Only the first characters of an input take part: a 10 MB input must not stall triage."""


def normalize(text: str) -> str:
    """Lower case, digits folded to ``0`` (order numbers differ, requests do not),
    whitespace collapsed, cut to :data:`MAX_CHARS`."""
    head = text[: MAX_CHARS * 2].lower()
    return _SPACE.sub(" ", _DIGITS.sub("0", head)).strip()[:MAX_CHARS]


@dataclass
class _Group:
    texts: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=dict)
    exact: dict[str, list[int]] = field(default_factory=dict)
    sorted_times: list[float] = field(default_factory=list)
    dirty: bool = False

    def earlier(self, when: float) -> int:
        if self.dirty:
            self.sorted_times = sorted(self.times)
            self.dirty = False
        return bisect.bisect_left(self.sorted_times, when)


class NoveltyIndex:
    """Past inputs, blocked by (agent, task type), searchable for the nearest one."""

    def __init__(
        self,
        threshold: float = 60.0,
        *,
        candidates: int = 48,
        sample: int = 16,
        common: int = 200,
    ) -> None:
        self.threshold = threshold
        """Scores below this make an item novel."""
        self.candidates = candidates
        """How many word-sharing past inputs are compared at most."""
        self.sample = sample
        """How many evenly spread past inputs are always compared too."""
        self.common = common
        """Words in more past inputs than this are too common to pick candidates by."""
        self._groups: dict[tuple[str, str], _Group] = {}

    def __len__(self) -> int:
        return sum(len(group.refs) for group in self._groups.values())

    def add(self, agent: str, task_type: str, ref: str, created: float, text: str) -> None:
        """Remember one past input. ``created`` is a POSIX timestamp."""
        group = self._groups.setdefault((agent, task_type), _Group())
        index = len(group.refs)
        norm = normalize(text)
        group.texts.append(norm)
        group.times.append(created)
        group.refs.append(ref)
        group.dirty = True
        group.exact.setdefault(norm, []).append(index)
        for word in set(_WORD.findall(norm)):
            group.postings.setdefault(word, []).append(index)

    def history(self, agent: str, task_type: str, created: float) -> int:
        """How many remembered inputs of this group are earlier than ``created``."""
        group = self._groups.get((agent, task_type))
        return group.earlier(created) if group else 0

    def query(self, agent: str, task_type: str, text: str, created: float, ref: str) -> Novelty:
        """The nearest earlier input to ``text`` (never the item ``ref`` itself)."""
        group = self._groups.get((agent, task_type))
        if group is None:
            return Novelty(score=0.0, nearest=None, is_novel=True)
        norm = normalize(text)

        def usable(i: int) -> bool:
            return group.times[i] < created and group.refs[i] != ref

        for i in group.exact.get(norm, ()):
            if usable(i):
                return Novelty(score=100.0, nearest=group.refs[i], is_novel=False)

        picked = [i for i in self._candidates(group, norm) if usable(i)]
        if not picked:
            return Novelty(score=0.0, nearest=None, is_novel=True)
        choices = {i: group.texts[i] for i in picked}
        best = process.extractOne(norm, choices, scorer=fuzz.ratio)
        score, index = float(best[1]), int(best[2])
        return Novelty(
            score=round(score, 1), nearest=group.refs[index], is_novel=score < self.threshold
        )

    def _candidates(self, group: _Group, norm: str) -> list[int]:
        words = set(_WORD.findall(norm))
        rare = sorted(
            (len(group.postings[w]), w)
            for w in words
            if w in group.postings and len(group.postings[w]) <= self.common
        )
        counts: dict[int, float] = {}
        for df, word in rare[:12]:
            weight = 1.0 / df
            for i in group.postings[word]:
                counts[i] = counts.get(i, 0.0) + weight
        chosen = heapq.nlargest(self.candidates, counts, key=counts.__getitem__)
        size = len(group.refs)
        step = max(1, size // self.sample)
        chosen.extend(range(size - 1, -1, -step)[: self.sample])
        return chosen
