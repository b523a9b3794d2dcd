"""Rule evaluation rate: the shipped rule set over precomputed signals.

Prints rule evaluations per second (goal ≥ 250,000) and items per second, then
the time the whole rule set takes on one 10 MB output, plain and with a word
beyond ASCII in it (patterns are matched in linear time, so this is the most
one item can cost), and a backtracking pattern on the text that makes Python's
own engine take hours.
"""

from __future__ import annotations

from itertools import islice

from _common import Timer

from triage.core.models import Novelty
from triage.core.signals import compute_signals
from triage.demo import scale_records
from triage.platforms.native import parse_record
from triage.rules import compile_condition, load_rules
from triage.service.workspace import shipped_rules_dir

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

    base = dict(signals[0])
    huge = ("The parcel will arrive soon, we promise. " * 250_000)[:10_000_000]
    for label, text in (("10 MB output", huge), ("10 MB output, not ASCII", huge + " café")):
        item = {**base, "output": text, "output_length": len(text)}
        with Timer() as t:
            found = len(ruleset.matching(item))
        print(f"  {label}: {t.seconds * 1000:,.0f} ms for the rule set ({found} matching)")
    backtracking = compile_condition('output =~ "(a+)+$"')
    runs = {"output": "a" * 40 + "!"}
    with Timer() as t:
        for _ in range(1000):
            backtracking.evaluate(runs)
    print(f'  output =~ "(a+)+$" on 40 a and a "!": {t.seconds * 1000:,.1f} µs')


if __name__ == "__main__":
    main()
