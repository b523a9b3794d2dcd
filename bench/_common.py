"""Helpers shared by the benchmarks: a fresh SQLite workspace and a timer."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from triage.config import Config
from triage.service.workspace import Workspace, shipped_rules_dir


def workspace(folder: Path) -> Workspace:
    """A workspace on a new SQLite file in ``folder`` with the shipped rules."""
    config = Config(
        database_url=f"sqlite:///{folder / 'bench.db'}",
        rules_dir=shipped_rules_dir(),
        reviewer="bench",
    )
    return Workspace.open(config)


@contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as name:
        yield Path(name)


class Timer:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
