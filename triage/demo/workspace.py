"""``triage demo``: a self-contained workspace with a realistic week of outputs.

The workspace is a folder holding its own ``triage.toml``, SQLite database,
rules (a copy of the shipped set) and the JSONL files the week was pulled from.
It never touches the user's own database. Earlier days are pulled and reviewed
first, so the last day is triaged against real history: novelty, the model
switch and each task type's failure record all count.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from triage.config import load_config
from triage.core.models import FailureMode, Outcome
from triage.demo import build_demo
from triage.errors import Refused
from triage.service.workspace import PullReport, Workspace, shipped_rules_dir

CONFIG = """\
# A demo workspace made by `triage demo`. Everything here is disposable.
database = "sqlite:///triage.db"
rules = "rules"
reviewer = "you"

[lanes.minutes]
deep = 5
scan = 1
pass = 0

[sources.outputs]
kind = "jsonl"
path = "outputs"
"""


@dataclass(frozen=True)
class DemoSummary:
    """What was built."""

    directory: Path
    config: Path
    items: int
    verdicts: int
    today: date
    today_report: PullReport


def build_workspace(
    directory: Path,
    *,
    seed: int = 7,
    end: date | None = None,
    days: int = 7,
    per_day: int = 50,
) -> DemoSummary:
    """Create the demo workspace in ``directory``, which must be empty or absent
    (:class:`~triage.errors.Refused` otherwise: nothing of anyone's is overwritten)."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise Refused(f"{directory} is not empty; give an empty or new folder")
    end = end or datetime.now(UTC).date()
    demo = build_demo(seed=seed, end=end, days=days, per_day=per_day)

    outputs = directory / "outputs"
    outputs.mkdir()
    by_day: dict[str, list[dict[str, object]]] = defaultdict(list)
    for record in demo.records:
        by_day[str(record["created_at"])[:10]].append(record)
    for day, records in sorted(by_day.items()):
        with (outputs / f"{day}.jsonl").open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    shutil.copytree(shipped_rules_dir(), directory / "rules")
    config_path = directory / "triage.toml"
    config_path.write_text(CONFIG, encoding="utf-8")

    ws = Workspace.open(load_config(str(config_path), use_env=False))
    try:
        today_file = outputs / f"{end.isoformat()}.jsonl"
        earlier = [str(p) for p in sorted(outputs.glob("*.jsonl")) if p != today_file]
        ws.pull(earlier, source_name="outputs")
        for mode in demo.failure_modes:
            ws.failure_model.add(
                FailureMode(
                    id=mode.id,
                    title=mode.title,
                    task_type=mode.task_type,
                    description=mode.description,
                    look_for=mode.look_for,
                ),
                actor="lead",
            )
        for v in demo.verdicts:
            ws.record_verdict(
                f"outputs:{v.item_id}",
                Outcome(v.outcome),
                reviewer=v.reviewer,
                modes=v.modes,
                note=v.note,
                seconds=v.seconds,
            )
        report = ws.pull([str(today_file)] if today_file.exists() else [], source_name="outputs")
    finally:
        ws.close()
    return DemoSummary(
        directory=directory,
        config=config_path,
        items=len(demo.records),
        verdicts=len(demo.verdicts),
        today=end,
        today_report=report,
    )
