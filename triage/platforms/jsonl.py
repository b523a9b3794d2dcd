"""Items from JSON Lines: a ``.jsonl`` file, a ``.jsonl.gz`` file, or a folder of them.

Files are read in binary, in chunks, so memory stays bounded by the batch size and the
record limit whatever the file size (see :mod:`triage.platforms.lines`: gzip by its magic
bytes, line ends ``\\n``, ``\\r\\n`` or a lone ``\\r``, and no line held whole beyond
``max_record_bytes``). A folder is searched recursively for ``*.jsonl`` and
``*.jsonl.gz`` files, read in path order.

Blank lines are skipped. Every other line that does not become an item is reported as a
:class:`~triage.core.models.Rejection` with its file, 1-based line number and reason:

- ``invalid UTF-8 at byte 13`` (counted in bytes from the start of the line, from 1)
- ``invalid JSON: Expecting ',' delimiter at column 17`` (counted in characters, from 1)
- ``truncated record at end of file`` (the last line has no newline and is not valid JSON,
  typically a file still being written)
- ``'meta.amount' is NaN, which is not a number JSON can carry`` (also ``Infinity``,
  ``-Infinity`` and numbers beyond double range such as ``1e999``, which would otherwise
  be stored as ``null``)
- ``record is 2,147,483,648 bytes long, over the limit of …`` (the line was skipped
  while reading, never held whole)
- the :class:`~triage.platforms.native.RecordError` reason for a record of the wrong shape
- ``contains an unpaired UTF-16 surrogate escape …`` for a string such as ``"\\ud800"``,
  which decodes but is not text that can be stored
- ``corrupt or truncated gzip data: …`` after which the rest of that file is skipped

In a folder, a file or subfolder that cannot be read (permission denied, a link to a
missing file, a file gone between listing and reading, a read error) is skipped and
named in the batch's ``skipped`` list, and the other files are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.core import jsonio
from triage.core.models import Item, Rejection
from triage.platforms import Batch, SourceError
from triage.platforms.lines import (
    DEFAULT_MAX_RECORD_BYTES,
    check_read_sizes,
    is_folder,
    listing,
    open_stream,
    plain_reason,
    split_lines,
)
from triage.platforms.native import RecordError, parse_record
from triage.platforms.surrogates import (
    SURROGATE_ESCAPE,
    UNPAIRED_SURROGATE_REASON,
    unpaired_surrogate,
)

__all__ = ["read_jsonl"]

_SUFFIXES = (".jsonl", ".jsonl.gz")


def read_jsonl(
    path: Path,
    *,
    source: str,
    batch_size: int = 5000,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[Batch]:
    """Batches of items read from the file or folder at ``path``.

    ``source`` becomes each item's ``Item.source``; rejections name the file instead
    (``path`` as given, joined with the file's place below it for a folder). A batch
    holds up to ``batch_size`` items and rejections together; ``done`` counts bytes read
    (compressed bytes for gzip files, so it matches ``total``, the size of all files).
    A line longer than ``max_record_bytes`` is skipped and rejected.

    Raises :class:`~triage.platforms.SourceError` here when ``path`` does not exist or
    cannot be read, or a folder holds no JSON Lines files (and nothing unreadable);
    for a single file, also during iteration when it cannot be read. The files of a
    folder that cannot be read are reported in ``Batch.skipped`` instead.
    """
    check_read_sizes(batch_size, max_record_bytes)
    path = Path(path)
    is_dir = is_folder(path)
    ctx = _Read(source, batch_size, max_record_bytes, folder=is_dir)
    if not is_dir:
        return _read_all([(path, _size(path))], [], ctx)
    files: list[Path] = []
    skipped: list[str] = []
    _walk(path, files, skipped, set())
    if not files and not skipped:
        raise SourceError(f"no .jsonl or .jsonl.gz files in folder {path}")
    return _read_all([(file, _size(file)) for file in sorted(files)], skipped, ctx)


def _walk(folder: Path, files: list[Path], skipped: list[str], seen: set[tuple[int, int]]) -> None:
    entries, problem = listing(folder)
    if problem is not None:
        skipped.append(problem)
    for entry in entries:
        if entry.kind == "folder":
            if entry.identity not in seen:  # a link back up the tree is read once
                seen.add(entry.identity)
                _walk(entry.path, files, skipped, seen)
        elif entry.path.name.endswith(_SUFFIXES):
            if entry.kind == "file":
                files.append(entry.path)
            elif entry.problem is not None:
                skipped.append(entry.problem)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reported when the file is read


@dataclass(frozen=True, slots=True)
class _Read:
    """The settings of one read."""

    source: str
    batch_size: int
    limit: int
    folder: bool


class _Pending:
    """The batch being filled, shared by the files of one read."""

    __slots__ = ("items", "rejected", "skipped", "done", "base", "total")

    def __init__(self, total: int, skipped: list[str]) -> None:
        self.items: list[Item] = []
        self.rejected: list[Rejection] = []
        self.skipped = skipped
        self.done = 0
        self.base = 0
        """``done`` when the file being read was started."""
        self.total = total

    def take(self) -> Batch:
        batch = Batch(self.items, self.rejected, self.done, self.total, skipped=self.skipped)
        self.items = []
        self.rejected = []
        self.skipped = []
        return batch


def _read_all(files: list[tuple[Path, int]], skipped: list[str], ctx: _Read) -> Iterator[Batch]:
    pending = _Pending(sum(size for _, size in files), skipped)
    yielded_done = -1
    for file, size in files:
        pending.base = pending.done
        try:
            for batch in _read_file(file, ctx, pending):
                yielded_done = batch.done
                yield batch
        except SourceError as error:
            if not ctx.folder:
                raise
            pending.skipped.append(str(error))
        # The size seen when the read began, so ``done`` ends exactly at ``total``
        # even if a file grew meanwhile.
        pending.done = pending.base + size
    if pending.items or pending.rejected or pending.skipped or pending.done != yielded_done:
        yield pending.take()


def _read_file(file: Path, ctx: _Read, pending: _Pending) -> Iterator[Batch]:
    label = str(file)
    items = pending.items
    rejected = pending.rejected
    raw, stream = open_stream(file)
    with raw:
        try:
            for line in split_lines(stream, limit=ctx.limit):
                data = line.data
                if line.problem is not None:
                    rejected.append(Rejection(label, line.number, line.problem))
                elif not data or data.isspace():
                    continue
                else:
                    reason = _parse_line(data, line.ended, ctx.source, items)
                    if reason is not None:
                        rejected.append(Rejection(label, line.number, reason))
                if len(items) + len(rejected) >= ctx.batch_size:
                    # Bytes of the file: to the end of the line, or for gzip as far
                    # as the compressed data was read.
                    pending.done = pending.base + (raw.tell() if stream is not raw else line.end)
                    yield pending.take()
                    items = pending.items
                    rejected = pending.rejected
        except OSError as error:
            raise SourceError(f"cannot read {label}: {plain_reason(error)}") from error


def _parse_line(line: bytes, ended: bool, source: str, items: list[Item]) -> str | None:
    """Append the line's item to ``items``; or return why the line is rejected."""
    try:
        obj = jsonio.parse(line)
    except jsonio.NonFiniteNumber as error:
        return str(error)
    except ValueError as error:
        if not ended:
            # Only the last line of a file can lack its newline: a record cut off
            # mid-write, whatever it was cut into.
            return "truncated record at end of file"
        if isinstance(error, UnicodeDecodeError):
            return f"invalid UTF-8 at byte {error.start + 1}"
        if isinstance(error, json.JSONDecodeError):
            # The position in the line, counted in characters; the decoder's own column
            # restarts after the line's newline.
            return f"invalid JSON: {error.msg} at column {error.pos + 1}"
        return f"invalid JSON: {error}"  # e.g. an integer with more digits than Python allows
    except RecursionError:
        return "invalid JSON: nested too deeply"
    try:
        items.append(parse_record(obj, source=source))
    except RecordError as error:
        return error.reason
    if SURROGATE_ESCAPE.search(line) is not None and unpaired_surrogate(obj):
        items.pop()
        return UNPAIRED_SURROGATE_REASON
    return None
