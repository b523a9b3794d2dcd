"""Run every benchmark in turn and print their figures."""

from __future__ import annotations

import runpy
from pathlib import Path

HERE = Path(__file__).parent

for name in (
    "rules_rate",
    "checks",
    "triage_day",
    "pull_http",
    "tui_startup",
    "tui_keys",
    "verdict_import",
    "risk_fit",
):
    print(f"== {name}")
    runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
    print()
