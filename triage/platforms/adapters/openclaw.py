"""OpenClaw: session transcripts and trajectory exports.

``kind = "openclaw"`` with a ``path`` (a file, or a folder such as ``~/.openclaw/agents``);
each file's format is told by its content, or forced (``format =``, ``--format``):

- ``openclaw-session``: a Pi session transcript (``.jsonl``), recognised by its header
  ``{"type":"session",…}`` or, without one, by a first entry of a transcript type with
  ``parentId`` or ``message``. One item per user turn: :mod:`triage.platforms.openclaw`
  (metadata from the ``sessions.json`` next to it: :mod:`triage.platforms.openclaw_store`).
- ``openclaw-trajectory``: a trajectory export, ``events.jsonl`` whose events carry
  ``"traceSchema":"openclaw-trajectory"``; a folder holding ``events.jsonl`` next to
  ``manifest.json`` or ``artifacts.json`` is one export, read as a whole:
  :mod:`triage.platforms.openclaw_trajectory`.

Left alone in a folder: deleted sessions (``*.deleted.*``), ``sessions.json`` (read as
metadata), ``*.trajectory-path.json`` pointers, and a ``<id>.trajectory.jsonl`` sidecar
whose ``<id>.jsonl`` transcript is next to it (its turns are read from the transcript).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from pathlib import Path
from typing import TYPE_CHECKING

from triage.platforms.base import FileAdapter, FileFormat, Recognised, Strength

if TYPE_CHECKING:
    from triage.platforms.common import Context, Emitted

TRAJECTORY_MARKER = "openclaw-trajectory"
"""The ``traceSchema`` of every trajectory event."""

SESSION_TYPES = frozenset(
    {
        "message",
        "model_change",
        "thinking_level_change",
        "compaction",
        "branch_summary",
        "custom",
        "custom_message",
        "label",
        "session_info",
        "reset",
        "session",
    }
)
"""The ``type`` of transcript entries."""

_EXPORT_FILES = ("manifest.json", "artifacts.json")
_EXPORT_PARTS = ("events.jsonl", *_EXPORT_FILES, "metadata.json")


def _read_session(path: Path, ctx: Context) -> Iterator[Emitted]:
    from triage.platforms.openclaw import read_session

    return read_session(path, ctx)


def _read_trajectory(path: Path, ctx: Context) -> Iterator[Emitted]:
    from triage.platforms.openclaw_trajectory import read_trajectory

    return read_trajectory(path, ctx)


def _export_parts(path: Path) -> list[Path]:
    """An export's files, for the export folder or its ``events.jsonl``."""
    if path.name == "events.jsonl":
        return [path.parent / name for name in _EXPORT_PARTS]
    try:
        folder = path.is_dir()
    except OSError:
        folder = False
    return [path / name for name in _EXPORT_PARTS] if folder else [path]


class OpenClaw(FileAdapter):
    kind = "openclaw"
    title = "OpenClaw"
    formats = (
        FileFormat(
            "openclaw-session",
            'an OpenClaw session transcript (first line {"type":"session",…})',
            records=_read_session,
            suffixes=(".jsonl",),
        ),
        FileFormat(
            "openclaw-trajectory",
            "an OpenClaw trajectory export (events.jsonl with "
            f'"traceSchema":"{TRAJECTORY_MARKER}")',
            records=_read_trajectory,
            suffixes=(".jsonl",),
            parts=_export_parts,
        ),
    )

    def sniff(self, record: Mapping[str, object]) -> Recognised | None:
        kind = record.get("type")
        if kind == "session":
            return Recognised("openclaw-session", Strength.MARKER)
        if record.get("traceSchema") == TRAJECTORY_MARKER:
            return Recognised("openclaw-trajectory", Strength.MARKER)
        if (
            isinstance(kind, str)
            and kind in SESSION_TYPES
            and ("parentId" in record or "message" in record)
        ):
            return Recognised("openclaw-session", Strength.SHAPE)
        return None

    def sniff_document(self, key: str, value: str | None, head: bytes) -> str | None:
        if key == "traceSchema" and value == TRAJECTORY_MARKER:
            return "openclaw-trajectory"
        if key == "type" and value is not None and value in SESSION_TYPES:
            return "openclaw-session"
        return None

    def whole_folder(self, folder: Path) -> str | None:
        events = folder / "events.jsonl"
        try:
            if not events.is_file():
                return None
            if any((folder / name).is_file() for name in _EXPORT_FILES):
                return "openclaw-trajectory"
            from triage.platforms.sniff import sniff

            return "openclaw-trajectory" if sniff(events) == "openclaw-trajectory" else None
        except OSError:
            return None  # the walk reports what it cannot read

    def leaves_out(self, name: str, siblings: Set[str]) -> bool:
        bare = name.removesuffix(".gz")
        if ".deleted." in name or name == "sessions.json":
            return True
        if bare.endswith(".trajectory-path.json"):
            return True
        if bare.endswith(".trajectory.jsonl"):
            # A runtime sidecar: its turns come from the transcript next to it.
            return bare.removesuffix(".trajectory.jsonl") + ".jsonl" in siblings
        return False


ADAPTER = OpenClaw()
