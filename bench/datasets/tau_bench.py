"""tau-bench's historical trajectories as triage items: airline and retail customer
service conversations, each with the benchmark's ``reward`` (0: the task failed).

Source: https://github.com/sierra-research/tau-bench (MIT licence), the files
``historical_trajectories/*.json``. Fetch them by hand, then build::

    git clone https://github.com/sierra-research/tau-bench /path/to/tau-bench
    python -m bench.datasets.tau_bench /path/to/tau-bench   # or TAU_BENCH_DIR=...

Each trajectory becomes one item: the first user message as input, the last
assistant message as output, every tool call with its arguments and result (an
``Error: ...`` result is a tool error), the conversation as transcript. Items are
spread over 14 days by a seeded shuffle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.datasets._cache import Dataset, spread, write

NAME = "tau_bench"
ENV = "TAU_BENCH_DIR"
DAYS = 14
_TEXT = 4000


def build(folder: Path) -> Dataset:
    """The dataset from the clone at ``folder`` (every file of historical_trajectories/)."""
    files = sorted((folder / "historical_trajectories").glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no historical_trajectories/*.json under {folder}")
    raw: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        for entry in json.loads(path.read_text(encoding="utf-8")):
            raw.append((path.stem, entry))
    times = spread(len(raw), DAYS, seed=20240617)
    records: list[dict[str, Any]] = []
    labels: dict[str, bool] = {}
    for (stem, entry), at in zip(raw, times, strict=True):
        record = convert(stem, entry)
        record["created_at"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        records.append(record)
        labels[record["id"]] = float(entry["reward"]) < 1.0
    records.sort(key=lambda r: (r["created_at"], r["id"]))
    return Dataset(NAME, records, labels, _source(folder, files))


def convert(stem: str, entry: dict[str, Any]) -> dict[str, Any]:
    """One trajectory as a native record (without ``created_at``)."""
    model, _, domain = stem.rpartition("-")
    traj = entry["traj"]
    calls: list[dict[str, Any]] = []
    pending: dict[str, dict[str, Any]] = {}
    transcript: list[dict[str, str]] = []
    for message in traj:
        role = message.get("role", "")
        content = message.get("content") or ""
        if role == "system":
            continue
        if role == "tool":
            call = pending.pop(message.get("tool_call_id", ""), None)
            if call is not None:
                call["result"] = content[:_TEXT]
                call["is_error"] = content.startswith("Error")
            continue
        for raw_call in message.get("tool_calls") or ():
            function = raw_call.get("function", {})
            try:
                arguments = json.loads(function.get("arguments") or "{}")
            except json.JSONDecodeError:
                arguments = function.get("arguments")
            call = {"name": function.get("name", "?"), "arguments": arguments, "is_error": False}
            calls.append(call)
            pending[raw_call.get("id", "")] = call
        if content:
            transcript.append({"role": role, "content": content[:_TEXT]})
    users = [m["content"] for m in transcript if m["role"] == "user"]
    replies = [m["content"] for m in transcript if m["role"] == "assistant"]
    return {
        "id": f"{stem}-{entry['task_id']}-{entry.get('trial', 0)}",
        "agent": f"tau-{domain}",
        "task_type": domain,
        "input": users[0] if users else "",
        "output": replies[-1] if replies else "",
        "model": model,
        "tool_calls": calls,
        "transcript": transcript,
        "meta": {"turns": len(transcript), "user_turns": len(users)},
    }


def _source(folder: Path, files: list[Path]) -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = os.environ.get("TAU_BENCH_COMMIT", "unknown")
    names = ", ".join(p.name for p in files)
    return f"sierra-research/tau-bench @ {commit} (MIT): historical_trajectories/{{{names}}}"


def main(argv: list[str]) -> int:
    where = argv[1] if len(argv) > 1 else os.environ.get(ENV)
    if not where:
        print(f"usage: python -m bench.datasets.tau_bench PATH (or set {ENV})", file=sys.stderr)
        return 2
    dataset = build(Path(where))
    folder = write(dataset)
    failures = sum(dataset.labels.values())
    print(f"{len(dataset.records)} items, {failures} failures → {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
