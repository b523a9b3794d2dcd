"""Rule evaluation rate: the shipped rule set over precomputed signals.

Prints rule evaluations per second (goal ≥ 250,000) and items per second.
"""

from __future__ import annotations

from itertools import islice

from _common import Timer

from triage.demo_data import scale_records
from triage.ingest.native import parse_record
from triage.models import Novelty
from triage.rules import load_rules
from triage.service import shipped_rules_dir
from triage.signals import compute_signals

N = 20_000
ROUNDS = 5


def main() -> None:
    ruleset = load_rules(shipped_rules_dir())
    items = [parse_record(r, source="bench") for r in islice(scale_records(N, seed=5), N)]
    signals = [
        compute_signals(item, novelty=Novelty(score=float(i % 100), is_novel=i % 100 < 60))
        for i, item in enumerate(items)
    ]
    rules = ruleset.rules
    matched = 0
    with Timer() as t:
        for _ in range(ROUNDS):
            for s in signals:
                matched += len(ruleset.matching(s))
    evaluations = ROUNDS * len(signals) * len(rules)
    print(f"rules: {len(rules)} shipped rules x {len(signals):,} items x {ROUNDS} rounds")
    print(f"  {evaluations / t.seconds:,.0f} rule evaluations/s (goal >= 250,000)")
    print(f"  {ROUNDS * len(signals) / t.seconds:,.0f} items/s through the whole rule set")
    print(f"  ({matched / (ROUNDS * len(signals)):.2f} matching rules per item)")


if __name__ == "__main__":
    main()
