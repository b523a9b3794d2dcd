"""Untrusted files as lines, in bounded memory: what every JSON Lines reader shares.

- Gzip is recognised by its magic bytes and decompressed as it is read, so a small
  ``.gz`` that inflates to gigabytes (a gzip bomb) costs no more memory than a plain file.
- A line ends at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (files from old Mac tools), and
  lines are numbered from 1 by those ends. A byte-order mark opening the file is dropped.
- A line longer than the limit (:data:`DEFAULT_MAX_RECORD_BYTES` unless the caller sets
  one) is never held whole: it is read on in chunks, counted and dropped, and reported
  with its line number and length. Memory stays within the limit plus one chunk.
- Damaged gzip data ends the file with a line saying so (what came before is kept).

A file that cannot be opened or read raises :class:`~triage.platforms.SourceError`
naming it and saying why in plain words (``permission denied``). :func:`listing` lists
a folder for the folder walkers, naming what cannot be read instead of raising.
"""

from __future__ import annotations

import gzip
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BufferedIOBase
from itertools import accumulate
from pathlib import Path
from typing import Final, Literal

from triage.errors import SourceError

__all__ = [
    "DEFAULT_MAX_RECORD_BYTES",
    "Entry",
    "Line",
    "lines_of",
    "listing",
    "check_read_sizes",
    "is_folder",
    "open_stream",
    "plain_reason",
    "split_lines",
    "too_long_reason",
]

DEFAULT_MAX_RECORD_BYTES: Final = 64 * 1024 * 1024
"""The longest record read: one line of a JSON Lines file, or one whole JSON document
(64 MiB; agent outputs of 10 MB fit many times over)."""

CHUNK: Final = 1024 * 1024
"""Bytes read (after decompression) at a time."""

_LINE_END: Final = re.compile(rb"\r\n?|\n")
_GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a file, without its line end."""

    number: int
    """1-based."""
    data: bytes
    """The line's bytes; empty for a line that was too long or damaged."""
    ended: bool
    """Whether a line end followed: only a file's last line can lack one."""
    end: int
    """Bytes of the (decompressed) stream up to the end of this line and its line end."""
    problem: str | None = None
    """Why the line cannot be read (too long, damaged gzip data); then ``data`` is empty."""


def plain_reason(error: OSError) -> str:
    """What went wrong, in words (``permission denied``), without ``[Errno 13]``."""
    return (error.strerror or str(error)).lower()


def too_long_reason(length: int | None, limit: int, *, what: str = "record") -> str:
    """The rejection reason for a record (or ``what``) of ``length`` bytes over ``limit``;
    ``None`` for a length not known, only that it is over."""
    size = f"{length:,} bytes long" if length is not None else f"over {limit:,} bytes"
    return f"{what} is {size}, over the limit of {limit:,} bytes (max_record_bytes)"


def check_read_sizes(batch_size: int, max_record_bytes: int) -> None:
    """Refuses (``ValueError``) a batch size or record limit below one."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if max_record_bytes < 1:
        raise ValueError(f"max_record_bytes must be at least 1, got {max_record_bytes}")


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder (else a file); raises
    :class:`~triage.platforms.SourceError` when it does not exist or cannot be looked at."""
    try:
        folder = path.is_dir()
        exists = folder or path.exists()
    except OSError as error:
        raise SourceError(f"cannot open {path}: {plain_reason(error)}") from error
    if not exists:
        raise SourceError(f"cannot open {path}: no such file or folder")
    return folder


def open_stream(path: Path) -> tuple[BufferedIOBase, BufferedIOBase]:
    """(raw file, stream to read): the stream decompresses gzip. Close the raw file."""
    try:
        raw: BufferedIOBase = open(path, "rb")  # closed by the caller
    except OSError as error:
        raise SourceError(f"cannot open {path}: {plain_reason(error)}") from error
    try:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
    except OSError as error:
        raw.close()
        raise SourceError(f"cannot read {path}: {plain_reason(error)}") from error
    stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
    return raw, stream


def lines_of(path: Path, *, limit: int = DEFAULT_MAX_RECORD_BYTES) -> Iterator[Line]:
    """Every line of the file at ``path`` (blank ones too, so numbers stay true)."""
    raw, stream = open_stream(path)
    with raw:
        try:
            yield from split_lines(stream, limit=limit)
        except OSError as error:
            raise SourceError(f"cannot read {path}: {plain_reason(error)}") from error


def split_lines(
    stream: BufferedIOBase, *, limit: int = DEFAULT_MAX_RECORD_BYTES, chunk: int = CHUNK
) -> Iterator[Line]:
    """The lines of ``stream``, read ``chunk`` bytes at a time (see the module notes)."""
    if limit < 1:
        raise ValueError(f"the record limit must be at least 1 byte, got {limit}")
    number = 0
    pieces: list[bytes] = []  # the start of a line not ended yet, within the limit
    held = 0  # bytes in pieces
    skipped = 0  # > 0: the line being read is over the limit; bytes counted so far
    offset = 0  # bytes of the stream read so far
    after_cr = False  # the last chunk ended with "\r": a "\n" opening the next is its end
    while True:
        try:
            # read1: what one read gives, so the data before damaged gzip is kept.
            data = stream.read1(chunk)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            number += 1
            yield Line(number, b"", False, offset, f"corrupt or truncated gzip data: {error}")
            return
        if not data:
            break
        start = offset
        offset += len(data)
        if after_cr and data[:1] == b"\n":
            data = data[1:]
            start += 1
        after_cr = data[-1:] == b"\r"
        if b"\r" in data:
            parts = _LINE_END.split(data)
            ends = [start + found.end() for found in _LINE_END.finditer(data)]
        else:
            parts = data.split(b"\n")
            ends = list(accumulate([len(part) + 1 for part in parts[:-1]], initial=start))[1:]
        tail = parts.pop()
        for part, end in zip(parts, ends, strict=True):
            number += 1
            if skipped:
                length, skipped = skipped + len(part), 0
                yield Line(number, b"", True, end, too_long_reason(length, limit))
                continue
            if pieces:
                pieces.append(part)
                part = b"".join(pieces)
                pieces.clear()
                held = 0
            if len(part) > limit:
                yield Line(number, b"", True, end, too_long_reason(len(part), limit))
            else:
                yield Line(number, part if number > 1 else part.removeprefix(_BOM), True, end)
        if skipped:
            skipped += len(tail)
        elif held + len(tail) > limit:
            skipped = held + len(tail)
            pieces.clear()
            held = 0
        elif tail:
            pieces.append(tail)
            held += len(tail)
    if skipped:
        yield Line(number + 1, b"", False, offset, too_long_reason(skipped, limit))
    elif pieces:
        last = b"".join(pieces)
        yield Line(number + 1, last if number else last.removeprefix(_BOM), False, offset)


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a folder, as :func:`listing` found it."""

    path: Path
    kind: Literal["file", "folder", "other", "unreadable"]
    """``other``: a FIFO, socket or device; ``unreadable``: see ``problem``."""
    problem: str | None = None
    """Why an unreadable entry cannot be read: ``cannot open P: permission denied``."""
    identity: tuple[int, int] = (0, 0)
    """(device, inode) of a folder, so a walk that follows links never loops."""


def listing(folder: Path) -> tuple[list[Entry], str | None]:
    """The entries of ``folder`` in name order (links followed), or, when the folder
    itself cannot be listed, no entries and the message saying so."""
    try:
        with os.scandir(folder) as found:
            names = sorted(entry.name for entry in found)
    except OSError as error:
        return [], f"cannot open folder {folder}: {plain_reason(error)}"
    entries = []
    for name in names:
        path = folder / name
        try:
            info = os.stat(path)
        except FileNotFoundError:
            why = "a link to a missing file" if path.is_symlink() else "removed while listed"
            entries.append(Entry(path, "unreadable", f"cannot open {path}: {why}"))
            continue
        except OSError as error:
            why = plain_reason(error)
            entries.append(Entry(path, "unreadable", f"cannot open {path}: {why}"))
            continue
        if stat.S_ISDIR(info.st_mode):
            entries.append(Entry(path, "folder", identity=(info.st_dev, info.st_ino)))
        elif stat.S_ISREG(info.st_mode):
            entries.append(Entry(path, "file"))
        else:
            problem = f"cannot read {path}: not a regular file"
            entries.append(Entry(path, "other", problem))
    return entries, None
