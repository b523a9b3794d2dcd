"""A reviewer's sitting: the queue as the screen sees it, time-boxed plans, and the
verdicts recorded in this sitting (which undo walks back through).

Nothing here knows about Textual: the reviewer app drives these objects, and
tests drive them directly.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from triage.core.models import Lane, Outcome, QueueEntry, QueueFilter, QueueKey, VerdictRecord
from triage.service.workspace import Workspace
from triage.storage.reviews import UNCHECKED, Expect

LANE_WEIGHT = {Lane.DEEP: 4.0, Lane.SCAN: 2.0, Lane.PASS: 1.0}
"""How much a wrong output costs, by lane: what the rules judged at stake."""


class QueueView:
    """The queue for one filter, for a virtual list: the ordered keys are held (three
    small columns per item), the rows themselves are fetched a page at a time by
    primary key and cached."""

    def __init__(
        self,
        workspace: Workspace,
        where: QueueFilter,
        *,
        page: int = 100,
        keys: Sequence[QueueKey] | None = None,
    ) -> None:
        self.workspace = workspace
        self.where = where
        """The filter the view shows (``keys`` given: what it was drawn from)."""
        self.page = page
        self.keys: list[QueueKey] = (
            list(keys) if keys is not None else workspace.store.queue_keys(where)
        )
        self._pages: dict[int, list[QueueEntry]] = {}
        self._index: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def row(self, index: int) -> QueueEntry:
        """The row at ``index`` (fetching its page on first use)."""
        number = index // self.page
        rows = self._pages.get(number)
        if rows is None:
            start = number * self.page
            pks = [key.pk for key in self.keys[start : start + self.page]]
            found = self.workspace.store.queue_rows(pks)
            rows = [found[pk] for pk in pks if pk in found]
            self._pages[number] = rows
        return rows[index - number * self.page]

    def index_of(self, pk: int) -> int | None:
        if self._index is None:
            self._index = {key.pk: i for i, key in enumerate(self.keys)}
        return self._index.get(pk)

    def forget(self, pk: int) -> None:
        """Drop the cached page holding ``pk`` (its verdict or lane changed)."""
        index = self.index_of(pk)
        if index is not None:
            self._pages.pop(index // self.page, None)


def search(
    workspace: Workspace, where: QueueFilter, query: str, *, limit: int = 500
) -> list[QueueKey]:
    """Items matching ``query`` fuzzily (id, agent, task type, the start of input and
    output), best match first."""
    from rapidfuzz import fuzz, process

    texts = workspace.store.search_texts(where)
    choices = {key.pk: text for key, text in texts}
    by_pk = {key.pk: key for key, _ in texts}
    found = process.extract(
        query.lower(),
        choices,
        scorer=fuzz.partial_ratio,
        limit=limit,
        score_cutoff=70,
        processor=str.lower,
    )
    return [by_pk[pk] for _, _, pk in found]


@dataclass(frozen=True)
class Plan:
    """What fits in a time box: the items to review now, best value first."""

    pks: list[int]
    minutes: float
    left: int
    """Open items that do not fit and carry over."""


def plan_session(
    keys: Sequence[QueueKey], budget_minutes: float, lane_minutes: Mapping[str, float]
) -> Plan:
    """Order open items by expected value (risk × consequence ÷ review minutes) and
    take them while they fit in ``budget_minutes``. Lanes that take no reviewer
    minutes (``pass`` by default: automated checks only) are not part of a plan."""
    keys = [key for key in keys if lane_minutes.get(key.lane.value, 1.0) > 0]

    def cost(key: QueueKey) -> float:
        return max(0.25, lane_minutes.get(key.lane.value, 1.0))

    def value(key: QueueKey) -> float:
        return (1.0 + max(0.0, key.risk) / 10.0) * LANE_WEIGHT[key.lane] / cost(key)

    ranked = sorted(keys, key=value, reverse=True)
    chosen: list[int] = []
    spent = 0.0
    for key in ranked:
        if spent + cost(key) <= budget_minutes:
            chosen.append(key.pk)
            spent += cost(key)
    return Plan(chosen, spent, len(keys) - len(chosen))


def estimate_minutes(
    items: Iterable[QueueKey | QueueEntry], lane_minutes: Mapping[str, float]
) -> float:
    """Reviewer minutes the given items are expected to take."""
    return sum(lane_minutes.get(item.lane.value, 1.0) for item in items)


@dataclass
class Sitting:
    """One reviewer at the queue: records verdicts (each committed before it returns),
    times each item, and undoes in reverse order any number of times."""

    workspace: Workspace
    reviewer: str
    clock: Callable[[], float] = time.monotonic
    done: list[VerdictRecord] = field(default_factory=list)
    _shown_at: float | None = None

    def showing(self) -> None:
        """An item was put in front of the reviewer: its clock starts now."""
        self._shown_at = self.clock()

    def seconds_on_item(self) -> float:
        return 0.0 if self._shown_at is None else max(0.0, self.clock() - self._shown_at)

    def record(
        self,
        item_pk: int,
        outcome: Outcome,
        *,
        modes: Sequence[str] = (),
        note: str = "",
        checklist: dict[str, str] | None = None,
        expect: Expect = UNCHECKED,
    ) -> VerdictRecord:
        """Record a verdict on the item being shown and stop its clock. ``expect`` is
        the pk of the verdict in force that was shown with it (``None``: none was);
        if someone else recorded or undid one since,
        :class:`~triage.errors.ReviewedMeanwhile` is raised, nothing is recorded and
        the item's clock keeps running. The default records without that check."""
        record, _ = self.workspace.record_verdict(
            item_pk,
            outcome,
            reviewer=self.reviewer,
            modes=modes,
            note=note,
            checklist=checklist,
            seconds=self.seconds_on_item(),
            key=uuid.uuid4().hex,
            expect=expect,
        )
        self.done.append(record)
        self._shown_at = None
        return record

    def undo(self) -> VerdictRecord | None:
        """Cancel the newest verdict of this sitting not yet undone; the cancelled
        record (or ``None`` when there is nothing left to undo)."""
        if not self.done:
            return None
        record = self.done[-1]
        self.workspace.undo(record, reviewer=self.reviewer)
        self.done.pop()  # only once the undo is stored: a failed one can be retried
        return record

    @property
    def reviewed(self) -> int:
        return len(self.done)
