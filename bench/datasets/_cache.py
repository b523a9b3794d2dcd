"""Where built datasets live, and how they are written and read back."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

CACHE = Path(os.environ.get("TRIAGE_BENCH_DATA", Path(__file__).resolve().parent.parent / ".data"))
"""The git-ignored cache folder (``TRIAGE_BENCH_DATA`` overrides it)."""

START = datetime(2026, 1, 5, tzinfo=UTC)
"""The first day items are spread from (a Monday)."""


@dataclass(frozen=True)
class Dataset:
    """Native records in time order, and each labelled record's outcome."""

    name: str
    records: list[dict[str, Any]]
    labels: dict[str, bool]
    """Record id → failed."""
    source: str
    """Where the data came from (repository, commit, licence)."""


def spread(count: int, days: int, seed: int) -> list[datetime]:
    """``count`` creation times over ``days`` days, the same for the same arguments:
    a seeded shuffle decides which record falls on which day (so a dataset's file
    order, often by task, does not become the time order), evenly spread in a day."""
    order = list(range(count))
    Random(seed).shuffle(order)
    times = [START] * count
    per_day = max(1, -(-count // days))
    for position, index in enumerate(order):
        day, slot = divmod(position, per_day)
        times[index] = START + timedelta(days=day, seconds=8 * 3600 + slot * 36000 // per_day)
    return times


def write(dataset: Dataset) -> Path:
    """Write ``dataset`` to ``CACHE/<name>/`` (items.jsonl, labels.jsonl, SOURCE)."""
    folder = CACHE / dataset.name
    folder.mkdir(parents=True, exist_ok=True)
    _lines(folder / "items.jsonl", dataset.records)
    _lines(folder / "labels.jsonl", ({"id": k, "failed": v} for k, v in dataset.labels.items()))
    (folder / "SOURCE").write_text(dataset.source + "\n", encoding="utf-8")
    return folder


def read(name: str) -> Dataset | None:
    """The dataset built into the cache under ``name``, or ``None`` when absent."""
    folder = CACHE / name
    if not (folder / "items.jsonl").is_file() or not (folder / "labels.jsonl").is_file():
        return None
    records = [json.loads(line) for line in (folder / "items.jsonl").open(encoding="utf-8")]
    labels = {
        row["id"]: bool(row["failed"])
        for row in map(json.loads, (folder / "labels.jsonl").open(encoding="utf-8"))
    }
    source = (folder / "SOURCE").read_text(encoding="utf-8").strip()
    return Dataset(name, records, labels, source)


def _lines(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
