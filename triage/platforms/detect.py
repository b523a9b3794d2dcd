"""Items from files whatever their format: detection, folders, batching and progress.

:func:`read_file_source` reads a file or a folder. The format of each file is told from
its first JSON object (a pretty-printed document by its first key):

===========================  =============================================================
``openclaw-session``         ``{"type":"session",…}`` header, or a transcript entry
                             (``"type":"message"`` with ``parentId`` or ``message``)
``openclaw-trajectory``      ``"traceSchema":"openclaw-trajectory"`` (``events.jsonl`` of
                             an export folder, or a ``*.trajectory.jsonl`` sidecar)
``otlp``                     ``{"resourceSpans":[…]}``
``promptfoo``                ``{"evalId":…,"results":{…}}``
``jsonl``                    a native item (``id`` and ``created_at``), read by
                             :func:`triage.platforms.jsonl.read_jsonl`
===========================  =============================================================

A ``.jsonl`` (or ``.jsonl.gz``) file that is none of these is read as native items, whose
reader reports what is wrong with each line; any other file of no known format is an
error naming what was looked for (see :mod:`triage.platforms.sniff`).

A folder is searched recursively, in path order, for ``.json``, ``.jsonl`` and
``.ndjson`` files (gzip-compressed too); files of no known format are left alone. A
folder holding ``events.jsonl`` next to ``manifest.json`` or ``artifacts.json`` is one
trajectory export and is read as a whole. Left out as well: deleted sessions
(``*.deleted.*``), OpenClaw's ``sessions.json`` (read as metadata by the session reader)
and ``*.trajectory-path.json`` pointers, and a ``<id>.trajectory.jsonl`` sidecar whose
``<id>.jsonl`` transcript is in the same folder (its turns are read from the transcript).

A forced ``format`` reads the file, or every candidate file of the folder, as that format.

In a folder, what cannot be read is skipped and named in ``Batch.skipped`` (``cannot
read F: permission denied``), and the rest is read: a subfolder that cannot be
listed, a candidate file that cannot be opened or read (for detection or when its turn
comes), a link to a missing file, a file removed between listing and reading. A single
file given as the source that cannot be read is an error, not a skip. Links to folders
are followed, each folder read once.

No record longer than ``max_record_bytes`` is held whole (see :mod:`triage.platforms.lines`):
a longer line is skipped while it is read, a longer whole document (promptfoo results,
a single OTLP export, after decompression) is rejected; each is reported with its size.

Each adapter documents its mapping: :mod:`~triage.platforms.openclaw`,
:mod:`~triage.platforms.openclaw_trajectory`, :mod:`~triage.platforms.otlp`,
:mod:`~triage.platforms.promptfoo`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from triage.core.models import Item, Rejection
from triage.platforms import Batch, SourceError
from triage.platforms.common import Context, Emitted
from triage.platforms.jsonl import read_jsonl
from triage.platforms.lines import DEFAULT_MAX_RECORD_BYTES, listing, plain_reason
from triage.platforms.openclaw import read_session
from triage.platforms.openclaw_trajectory import read_trajectory
from triage.platforms.otlp import read_otlp
from triage.platforms.promptfoo import read_promptfoo
from triage.platforms.sniff import sniff

__all__ = ["FORMATS", "detect_format", "read_file_source"]

FORMATS: Final = ("openclaw-session", "openclaw-trajectory", "otlp", "promptfoo", "jsonl")
"""The names ``format`` accepts."""

_READERS: Final[dict[str, Callable[[Path, Context], Iterator[Emitted]]]] = {
    "openclaw-session": read_session,
    "openclaw-trajectory": read_trajectory,
    "otlp": read_otlp,
    "promptfoo": read_promptfoo,
}
_SUFFIXES: Final = (".json", ".jsonl", ".ndjson")
_FORCED_SUFFIXES: Final = {
    "openclaw-session": (".jsonl",),
    "openclaw-trajectory": (".jsonl",),
    "otlp": (".json", ".jsonl", ".ndjson"),
    "promptfoo": (".json",),
}
_EXPORT_FILES: Final = ("manifest.json", "artifacts.json")
_LOOKED_FOR: Final = (
    'an OpenClaw session transcript (first line {"type":"session",…}), an OpenClaw '
    'trajectory export (events.jsonl with "traceSchema":"openclaw-trajectory"), '
    'OTLP/JSON traces ({"resourceSpans":[…]}), promptfoo results '
    '({"evalId":…,"results":{…}}) or native JSON Lines items ({"id":…,"created_at":…})'
)


@dataclass(frozen=True, slots=True)
class _Unit:
    path: Path
    format: str
    size: int


def read_file_source(
    path: Path,
    *,
    source: str,
    format: str | None = None,
    agent: str | None = None,
    task_type_field: str | None = None,
    batch_size: int = 2000,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[Batch]:
    """Batches of items read from the file or folder at ``path``, whatever its format.

    ``source`` becomes each item's ``Item.source``. ``format`` forces one of
    :data:`FORMATS` instead of detecting it. ``agent`` replaces the agent name the
    format gives; ``task_type_field`` is a dotted path into the source's own record or
    metadata whose value becomes the task type (each adapter says where it looks and
    what the default is). A batch holds up to ``batch_size`` items and rejections;
    ``done`` and ``total`` count bytes of the files read. ``max_record_bytes`` bounds one
    record (a line, or a whole JSON document).

    Raises :class:`~triage.platforms.SourceError` here when ``path`` does not exist or
    cannot be read, when its format cannot be told (the message lists what was looked
    for) or a folder holds nothing of a known format and nothing unreadable; during
    iteration when a single file cannot be read. What cannot be read in a folder is
    reported in ``Batch.skipped`` instead.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if max_record_bytes < 1:
        raise ValueError(f"max_record_bytes must be at least 1, got {max_record_bytes}")
    if format is not None and format not in FORMATS:
        raise SourceError(f"unknown format {format!r} (expected one of: {', '.join(FORMATS)})")
    path = Path(path)
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists()
    except OSError as error:
        raise SourceError(f"cannot open {path}: {plain_reason(error)}") from error
    if not exists:
        raise SourceError(f"cannot open {path}: no such file or folder")
    if format == "jsonl":
        return read_jsonl(
            path, source=source, batch_size=batch_size, max_record_bytes=max_record_bytes
        )
    skipped: list[str] = []
    units = _folder_units(path, format, skipped) if is_dir else [_file_unit(path, format)]
    ctx = Context(
        source=source,
        agent=agent,
        task_type_field=task_type_field,
        max_record_bytes=max_record_bytes,
    )
    return _read(units, skipped, ctx, batch_size, folder=is_dir)


def detect_format(path: Path) -> str | None:
    """The format of the file (or trajectory export folder) at ``path``, or ``None``."""
    path = Path(path)
    if path.is_dir():
        return "openclaw-trajectory" if _is_export(path) else None
    return _detect(path)


# --- planning -----------------------------------------------------------------------


def _detect(path: Path) -> str | None:
    found = sniff(path)
    if found is None and path.name.removesuffix(".gz").endswith(".jsonl"):
        return "jsonl"  # the native reader says what is wrong with each line
    return found


def _file_unit(path: Path, forced: str | None) -> _Unit:
    try:
        found = forced or _detect(path)
    except OSError as error:
        raise SourceError(f"cannot read {path}: {plain_reason(error)}") from error
    if found is None:
        raise SourceError(f"cannot tell the format of {path}: looked for {_LOOKED_FOR}")
    size = _size(path)
    if found == "openclaw-trajectory" and path.name == "events.jsonl":
        size += sum(_size(path.parent / name) for name in (*_EXPORT_FILES, "metadata.json"))
    return _Unit(path, found, size)


def _folder_units(folder: Path, forced: str | None, skipped: list[str]) -> list[_Unit]:
    if forced in (None, "openclaw-trajectory") and _is_export(folder):
        return [_export_unit(folder)]
    units: list[_Unit] = []
    _walk(folder, forced, units, skipped, set())
    if not units and not skipped:
        if forced is not None:
            raise SourceError(f"no {forced} files in folder {folder}")
        raise SourceError(
            f"no files of a known format in folder {folder}: looked for {_LOOKED_FOR}"
        )
    return units


def _walk(
    folder: Path,
    forced: str | None,
    units: list[_Unit],
    skipped: list[str],
    seen: set[tuple[int, int]],
) -> None:
    entries, problem = listing(folder)
    if problem is not None:
        skipped.append(problem)
    names = {entry.path.name for entry in entries}
    for entry in entries:
        child = entry.path
        if ".deleted." in child.name:
            continue
        if entry.kind == "folder":
            if entry.identity in seen:
                continue  # a link back up the tree: read once
            seen.add(entry.identity)
            if forced in (None, "openclaw-trajectory") and _is_export(child):
                units.append(_export_unit(child))
            else:
                _walk(child, forced, units, skipped, seen)
            continue
        if not _candidate(child.name, names, forced):
            continue
        if entry.kind != "file":
            if entry.problem is not None:
                skipped.append(entry.problem)
            continue
        try:
            found = forced or _detect(child)
        except OSError as error:
            skipped.append(f"cannot read {child}: {plain_reason(error)}")
            continue
        if found is not None:
            units.append(_Unit(child, found, _size(child)))


def _candidate(name: str, siblings: set[str], forced: str | None) -> bool:
    bare = name.removesuffix(".gz")
    suffixes = _FORCED_SUFFIXES.get(forced, _SUFFIXES) if forced else _SUFFIXES
    if not bare.endswith(suffixes) or name == "sessions.json":
        return False
    if bare.endswith(".trajectory-path.json"):
        return False
    if bare.endswith(".trajectory.jsonl"):
        # A runtime sidecar: its turns come from the transcript next to it.
        return bare.removesuffix(".trajectory.jsonl") + ".jsonl" not in siblings
    return True


def _is_export(folder: Path) -> bool:
    events = folder / "events.jsonl"
    try:
        if not events.is_file():
            return False
        if any((folder / name).is_file() for name in _EXPORT_FILES):
            return True
        return sniff(events) == "openclaw-trajectory"
    except OSError:
        return False  # the walk reports what it cannot read


def _export_unit(folder: Path) -> _Unit:
    parts = ("events.jsonl", *_EXPORT_FILES, "metadata.json")
    return _Unit(folder, "openclaw-trajectory", sum(_size(folder / name) for name in parts))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


# --- reading ------------------------------------------------------------------------


def _read(
    units: list[_Unit], skipped: list[str], ctx: Context, batch_size: int, *, folder: bool
) -> Iterator[Batch]:
    total = sum(unit.size for unit in units)
    items: list[Item] = []
    rejected: list[Rejection] = []
    done = 0
    yielded = -1
    for unit in units:
        try:
            if unit.format == "jsonl":
                if items or rejected or skipped:
                    yield Batch(items, rejected, done, total, skipped=skipped)
                    items, rejected, skipped, yielded = [], [], [], done
                for batch in read_jsonl(
                    unit.path,
                    source=ctx.source,
                    batch_size=batch_size,
                    max_record_bytes=ctx.max_record_bytes,
                ):
                    yielded = done + min(batch.done, unit.size)
                    yield Batch(batch.items, batch.rejected, yielded, total)
            else:
                for record in _READERS[unit.format](unit.path, ctx):
                    if isinstance(record, Item):
                        items.append(record)
                    else:
                        rejected.append(record)
                    if len(items) + len(rejected) >= batch_size:
                        yield Batch(items, rejected, done, total, skipped=skipped)
                        items, rejected, skipped, yielded = [], [], [], done
        except (SourceError, OSError) as error:
            if not folder:
                raise SourceError(_message(unit.path, error)) from error
            skipped.append(_message(unit.path, error))
        done += unit.size
    if items or rejected or skipped or done != yielded:
        yield Batch(items, rejected, done, total, skipped=skipped)


def _message(path: Path, error: Exception) -> str:
    if isinstance(error, SourceError):
        return str(error)
    assert isinstance(error, OSError)
    return f"cannot read {path}: {plain_reason(error)}"
