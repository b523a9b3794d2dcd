"""Items from files whatever their format: detection, folders, batching and progress.

:func:`read_file_source` reads a file or a folder. The formats are the platforms' (each
adapter of :mod:`triage.platforms.adapters` declares its own and how it is recognised,
:mod:`triage.platforms.registry` collects them); today they are these, each file's
told from its first JSON object (a pretty-printed document by its first key):

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

A folder is searched recursively, in path order, for the files the formats read
(``.json``, ``.jsonl`` and ``.ndjson``, gzip-compressed too); files of no known format
are left alone. A folder a platform reads as a whole is one unit (a folder holding
``events.jsonl`` next to ``manifest.json`` or ``artifacts.json`` is one trajectory
export). Left out as well: what a platform says holds no items (OpenClaw's deleted
sessions ``*.deleted.*``, ``sessions.json``, ``*.trajectory-path.json`` pointers, and a
``<id>.trajectory.jsonl`` sidecar whose ``<id>.jsonl`` transcript is in the same folder).

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

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.core.models import Item, Rejection
from triage.platforms import Batch, SourceError, registry
from triage.platforms.base import FileFormat
from triage.platforms.common import Context
from triage.platforms.lines import (
    DEFAULT_MAX_RECORD_BYTES,
    check_read_sizes,
    is_folder,
    listing,
    plain_reason,
)
from triage.platforms.sniff import sniff

__all__ = ["detect_format", "read_file_source"]  # and FORMATS, below


def __getattr__(name: str) -> object:
    if name == "FORMATS":
        # The names ``format`` accepts, native last (as messages list them); asked of the
        # registry each time, so a platform added since is among them.
        return tuple(f.name for f in registry.by_recognition())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class _Unit:
    path: Path
    format: FileFormat
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
    check_read_sizes(batch_size, max_record_bytes)
    forced = registry.file_format(format) if format is not None else None
    if format is not None and forced is None:
        names = ", ".join(f.name for f in registry.by_recognition())
        raise SourceError(f"unknown format {format!r} (expected one of: {names})")
    path = Path(path)
    is_dir = is_folder(path)
    ctx = Context(
        source=source,
        agent=agent,
        task_type_field=task_type_field,
        max_record_bytes=max_record_bytes,
    )
    if forced is not None and forced.batches is not None:
        return forced.batches(path, ctx, batch_size)
    skipped: list[str] = []
    units = _folder_units(path, forced, skipped) if is_dir else [_file_unit(path, forced)]
    return _read(units, skipped, ctx, batch_size, folder=is_dir)


def detect_format(path: Path) -> str | None:
    """The format of the file (or folder read as a whole) at ``path``, or ``None``."""
    path = Path(path)
    if path.is_dir():
        found = _whole_folder(path, None)
        return found.name if found is not None else None
    format = _detect(path)
    return format.name if format is not None else None


# --- planning -----------------------------------------------------------------------


def _detect(path: Path) -> FileFormat | None:
    """The format of the file at ``path``: what its content is recognised as, else the
    native format when its name is one of the native format's (its reader says what is
    wrong with each line). Raises ``OSError`` when the file cannot be read."""
    found = sniff(path)
    if found is not None:
        return registry.file_format(found)
    bare = path.name.removesuffix(".gz")
    for format in registry.file_formats():
        if format.native and bare.endswith(format.suffixes):
            return format
    return None


def _file_unit(path: Path, forced: FileFormat | None) -> _Unit:
    try:
        found = forced or _detect(path)
    except OSError as error:
        raise SourceError(f"cannot read {path}: {plain_reason(error)}") from error
    if found is None:
        raise SourceError(f"cannot tell the format of {path}: looked for {registry.looked_for()}")
    return _Unit(path, found, found.size(path))


def _whole_folder(folder: Path, forced: FileFormat | None) -> FileFormat | None:
    """The format ``folder`` is read in as one unit (forced to ``forced``, if given)."""
    for adapter in registry.adapters():
        if forced is not None and forced not in adapter.formats:
            continue
        name = adapter.whole_folder(folder)
        if name is not None and (forced is None or forced.name == name):
            return registry.file_format(name)
    return None


def _folder_units(folder: Path, forced: FileFormat | None, skipped: list[str]) -> list[_Unit]:
    whole = _whole_folder(folder, forced)
    if whole is not None:
        return [_Unit(folder, whole, whole.size(folder))]
    units: list[_Unit] = []
    _walk(folder, forced, units, skipped, set())
    if not units and not skipped:
        if forced is not None:
            raise SourceError(f"no {forced.name} files in folder {folder}")
        raise SourceError(
            f"no files of a known format in folder {folder}: looked for {registry.looked_for()}"
        )
    return units


def _walk(
    folder: Path,
    forced: FileFormat | None,
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
        if _left_out(child.name, names):
            continue
        if entry.kind == "folder":
            if entry.identity in seen:
                continue  # a link back up the tree: read once
            seen.add(entry.identity)
            whole = _whole_folder(child, forced)
            if whole is not None:
                units.append(_Unit(child, whole, whole.size(child)))
            else:
                _walk(child, forced, units, skipped, seen)
            continue
        if not _candidate(child.name, forced):
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


def _left_out(name: str, siblings: set[str]) -> bool:
    return any(adapter.leaves_out(name, siblings) for adapter in registry.adapters())


def _candidate(name: str, forced: FileFormat | None) -> bool:
    """Whether a file called ``name`` is read (or looked into): one of the forced
    format's suffixes, or of any format's when none is forced."""
    if forced is not None:
        suffixes = forced.suffixes
    else:
        suffixes = tuple(dict.fromkeys(s for f in registry.file_formats() for s in f.suffixes))
    return name.removesuffix(".gz").endswith(suffixes)


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
            batches, records = unit.format.batches, unit.format.records
            if batches is not None:
                if items or rejected or skipped:
                    yield Batch(items, rejected, done, total, skipped=skipped)
                    items, rejected, skipped, yielded = [], [], [], done
                for batch in batches(unit.path, ctx, batch_size):
                    yielded = done + min(batch.done, unit.size)
                    yield Batch(batch.items, batch.rejected, yielded, total)
            elif records is not None:
                for record in records(unit.path, ctx):
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
