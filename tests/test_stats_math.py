"""Wilson intervals against hand-computed values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.learn.stats_math import wilson_interval


@pytest.mark.parametrize(
    ("failures", "reviewed", "low", "high"),
    [
        (9, 31, 0.161, 0.466),  # p = .290; z = 1.96
        (0, 120, 0.000, 0.031),
        (1, 10, 0.018, 0.404),
        (10, 10, 0.722, 1.000),
        (50, 100, 0.404, 0.596),
    ],
)
def test_known_values(failures: int, reviewed: int, low: float, high: float) -> None:
    got = wilson_interval(failures, reviewed)
    assert (round(got[0], 3), round(got[1], 3)) == (low, high)


def test_nothing_reviewed_says_nothing() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


@given(st.integers(min_value=1, max_value=5000), st.data())
def test_interval_contains_the_rate_and_stays_in_bounds(reviewed: int, data: st.DataObject) -> None:
    failures = data.draw(st.integers(min_value=0, max_value=reviewed))
    low, high = wilson_interval(failures, reviewed)
    assert 0.0 <= low <= failures / reviewed <= high <= 1.0
