"""Items from JSON Lines: a ``.jsonl`` file, a ``.jsonl.gz`` file, or a folder of them.

Files are read in binary, one line at a time, so memory stays bounded by the batch
size whatever the file size (a single 10 MB line is still read whole). Gzip is
recognised by its magic bytes, so a compressed file is read whatever its name; a folder
is searched recursively for ``*.jsonl`` and ``*.jsonl.gz`` files, read in path order.

Blank lines are skipped. Every other line that does not become an item is reported as a
:class:`~triage.models.Rejection` with its file, 1-based line number and reason:

- ``invalid UTF-8 at byte 13`` (counted in bytes from the start of the line, from 1)
- ``invalid JSON: Expecting ',' delimiter at column 17`` (counted in characters, from 1)
- ``truncated record at end of file`` (the last line has no newline and is not valid JSON,
  typically a file still being written)
- the :class:`~triage.ingest.native.RecordError` reason for a record of the wrong shape
- ``contains an unpaired UTF-16 surrogate escape …`` for a string such as ``"\\ud800"``,
  which decodes but is not text that can be stored
- ``corrupt or truncated gzip data: …`` after which the rest of that file is skipped
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from io import BufferedIOBase
from pathlib import Path

from triage import jsonio
from triage.ingest import Batch, SourceError
from triage.ingest.native import RecordError, parse_record
from triage.ingest.surrogates import (
    SURROGATE_ESCAPE,
    UNPAIRED_SURROGATE_REASON,
    unpaired_surrogate,
)
from triage.models import Item, Rejection

__all__ = ["read_jsonl"]

_SUFFIXES = (".jsonl", ".jsonl.gz")
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


def read_jsonl(path: Path, *, source: str, batch_size: int = 5000) -> Iterator[Batch]:
    """Batches of items read from the file or folder at ``path``.

    ``source`` becomes each item's ``Item.source``; rejections name the file instead
    (``path`` as given, joined with the file's place below it for a folder). A batch
    holds up to ``batch_size`` items and rejections together; ``done`` counts bytes read
    (compressed bytes for gzip files, so it matches ``total``, the size of all files).

    Raises :class:`~triage.ingest.SourceError` here when ``path`` does not exist or a
    folder holds no JSON Lines files, and during iteration when a file cannot be opened
    or read.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    files = []
    for file in _files(Path(path)):
        try:
            files.append((file, file.stat().st_size))
        except OSError as error:
            raise SourceError(f"cannot open {file}: {_why(error)}") from error
    return _read_all(files, source=source, batch_size=batch_size)


def _files(path: Path) -> list[Path]:
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists()
    except OSError as error:
        raise SourceError(f"cannot open {path}: {_why(error)}") from error
    if not exists:
        raise SourceError(f"cannot open {path}: no such file or folder")
    if not is_dir:
        return [path]
    found = sorted(
        file for file in path.rglob("*") if file.name.endswith(_SUFFIXES) and file.is_file()
    )
    if not found:
        raise SourceError(f"no .jsonl or .jsonl.gz files in folder {path}")
    return found


def _why(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


class _Pending:
    """The batch being filled, shared by the files of one read."""

    __slots__ = ("items", "rejected", "done", "total")

    def __init__(self, total: int) -> None:
        self.items: list[Item] = []
        self.rejected: list[Rejection] = []
        self.done = 0
        self.total = total

    def take(self) -> Batch:
        batch = Batch(self.items, self.rejected, self.done, self.total)
        self.items = []
        self.rejected = []
        return batch


def _read_all(files: list[tuple[Path, int]], *, source: str, batch_size: int) -> Iterator[Batch]:
    pending = _Pending(sum(size for _, size in files))
    yielded_done = -1
    for file, size in files:
        read_before = pending.done
        for batch in _read_file(file, source, batch_size, pending):
            yielded_done = batch.done
            yield batch
        # The size seen when the read began, so ``done`` ends exactly at ``total``
        # even if a file grew meanwhile.
        pending.done = read_before + size
    if pending.items or pending.rejected or pending.done != yielded_done:
        yield pending.take()


def _read_file(file: Path, source: str, batch_size: int, pending: _Pending) -> Iterator[Batch]:
    label = str(file)
    try:
        raw = open(file, "rb")
    except OSError as error:
        raise SourceError(f"cannot open {label}: {_why(error)}") from error
    with raw:
        try:
            compressed = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
        except OSError as error:
            raise SourceError(f"cannot read {label}: {_why(error)}") from error
        stream: BufferedIOBase = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        items = pending.items
        rejected = pending.rejected
        number = 0
        read_before = pending.done
        try:
            for line in stream:
                number += 1
                if number == 1 and line.startswith(_BOM):
                    line = line[len(_BOM) :]
                if line.isspace() or not line:
                    continue
                reason = _parse_line(line, source, items)
                if reason is not None:
                    rejected.append(Rejection(label, number, reason))
                if len(items) + len(rejected) >= batch_size:
                    pending.done = read_before + raw.tell()
                    yield pending.take()
                    items = pending.items
                    rejected = pending.rejected
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            # What decompressed before the damage was read; the rest of this file is lost.
            rejected.append(
                Rejection(label, number + 1, f"corrupt or truncated gzip data: {error}")
            )
        except OSError as error:
            raise SourceError(f"cannot read {label}: {_why(error)}") from error


def _parse_line(line: bytes, source: str, items: list[Item]) -> str | None:
    """Append the line's item to ``items``; or return why the line is rejected."""
    try:
        obj = jsonio.parse(line)
    except ValueError as error:
        if not line.endswith(b"\n"):
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
