"""A deterministic demo workspace: a week of a small shop's agent outputs.

The shop (Linden & Loom) sells homeware online and books styling visits and
workshops at its studios. Six agents work for it; their outputs follow recurring
request templates with random names, orders and amounts, plus a handful of
genuinely new requests and about 16% seeded failures that sound confident: most
only a person catches, a dozen are placed for the automated checks to catch
(:mod:`triage.demo.seeded`).
Everything comes from one ``random.Random(seed)``: no clock, no I/O.

:func:`build_demo` gives the records, the failure model and the verdicts of the
earlier days; :func:`scale_records` streams any number of records in the same
vocabulary for benchmarks.
"""

from __future__ import annotations

from triage.demo.build import DemoVerdict, DemoWorkspace, build_demo
from triage.demo.failure_modes import DemoFailureMode
from triage.demo.scale import scale_records

__all__ = [
    "DemoFailureMode",
    "DemoVerdict",
    "DemoWorkspace",
    "build_demo",
    "scale_records",
]
