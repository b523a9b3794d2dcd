"""Interval arithmetic shared by statistics and suggestions."""

from __future__ import annotations

import math

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile."""


def wilson_interval(failures: int, reviewed: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a failure rate of ``failures`` in ``reviewed``
    (``(0.0, 1.0)`` when nothing was reviewed). Unlike the normal approximation it
    stays inside [0, 1] and behaves at 0 of n and n of n, which is where review
    records usually are."""
    if reviewed <= 0:
        return (0.0, 1.0)
    if not 0 <= failures <= reviewed:
        raise ValueError(f"failures ({failures}) must be between 0 and reviewed ({reviewed})")
    p = failures / reviewed
    z2 = z * z
    centre = p + z2 / (2 * reviewed)
    spread = z * math.sqrt(p * (1 - p) / reviewed + z2 / (4 * reviewed * reviewed))
    denominator = 1 + z2 / reviewed
    low = max(0.0, (centre - spread) / denominator)
    high = min(1.0, (centre + spread) / denominator)
    if failures == 0:
        low = 0.0
    if failures == reviewed:
        high = 1.0
    return (low, high)
