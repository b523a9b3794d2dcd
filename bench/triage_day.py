"""Triage of a 10,000-item day against 100,000 past items, with novelty.

Past items are stored first (untriaged); the clock starts when the day's items
are handed to triage: loading the history, building the novelty index, rules
and novelty for every item, and storing the decisions. Goal: ≤ 10 s.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from itertools import islice

from _common import Timer, scratch, workspace

from triage.demo import scale_records
from triage.platforms.native import parse_record
from triage.rules.triager import Triager

WORDS = (
    "please urgent thanks again kindly asap follow-up reminder question regarding "
    "wondering quickly checking update status confused help sorry"
).split()
PAST = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
DAY = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000


def main() -> None:
    start = datetime(2026, 8, 1, tzinfo=UTC)
    past = [
        parse_record(r, source="bench")
        for r in islice(scale_records(PAST, seed=11, start=start), PAST)
    ]
    today = start + timedelta(days=120)
    rng = random.Random(12)
    day = []
    for r in islice(scale_records(DAY, seed=12, start=today), DAY):
        # No exact duplicates: every input differs in words, not just numbers, so
        # each one goes through candidate selection and fuzzy matching.
        r["input"] = f"{r['input']} {' '.join(rng.sample(WORDS, 3))}"
        day.append(parse_record(r, source="today"))
    with scratch() as folder:
        ws = workspace(folder)
        for i in range(0, len(past), 5000):
            ws.store.write_items(past[i : i + 5000])
        written = []
        for i in range(0, len(day), 5000):
            written.extend(ws.store.write_items(day[i : i + 5000]).changed)
        with Timer() as history_t:
            ruleset = ws.rules().ruleset
            triager = Triager(ruleset, ws.history(ruleset))
        with Timer() as decide_t:
            decisions = [(pk, triager.decide(item)) for pk, item in written]
        with Timer() as store_t:
            for i in range(0, len(decisions), 5000):
                ws.store.record_decisions(decisions[i : i + 5000])
        ws.close()
    lanes: dict[str, int] = {}
    novel = 0
    for _, d in decisions:
        lanes[d.lane.value] = lanes.get(d.lane.value, 0) + 1
        novel += d.novelty.is_novel
    total = history_t.seconds + decide_t.seconds + store_t.seconds
    print(f"triage {DAY:,} new items (no exact duplicates) against {PAST:,} past items")
    print(f"  load history + build novelty index : {history_t.seconds:6.2f} s")
    print(
        f"  rules + novelty for every item     : {decide_t.seconds:6.2f} s"
        f"  ({DAY / decide_t.seconds:,.0f} items/s)"
    )
    print(f"  store decisions                    : {store_t.seconds:6.2f} s")
    print(f"  total                              : {total:6.2f} s (goal <= 10 s)")
    print(f"  lanes: {lanes}; novel: {novel}")


if __name__ == "__main__":
    main()
