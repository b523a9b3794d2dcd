"""Where each reviewer was, so reopening the app resumes there (lane and item).

Kept in a small JSON file in the user data directory, per database and reviewer;
losing it costs only the cursor position, never a verdict.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from triage.config import locations


def _path() -> Path:
    return locations.data_dir() / "reviewer-state.json"


def _key(database_url: str, reviewer: str) -> str:
    return hashlib.sha256(f"{database_url}\x00{reviewer}".encode()).hexdigest()[:24]


def load(database_url: str, reviewer: str) -> dict[str, Any]:
    """The saved position (``{"lane": …, "pk": …}``), or ``{}``."""
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entry = data.get(_key(database_url, reviewer), {}) if isinstance(data, dict) else {}
    return entry if isinstance(entry, dict) else {}


def save(database_url: str, reviewer: str, position: dict[str, Any]) -> None:
    """Remember ``position``; written atomically so a crash never leaves half a file."""
    path = _path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[_key(database_url, reviewer)] = position
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".state-")
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(temp, path)
