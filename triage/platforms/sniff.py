"""Telling the format of a file from its first bytes.

The platforms say what they recognise (:meth:`~triage.platforms.base.Adapter.sniff`,
:meth:`~triage.platforms.base.Adapter.sniff_document`); this module finds what to show
them. The first JSON object of the file decides (up to 20 lines in, so a broken first line is
passed over); a pretty-printed document, or a first line longer than the 64 KiB looked
at, is told by its first key. Gzip-compressed files are looked into. Lines may end in
``\n``, ``\r\n`` or a lone ``\r``.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path
from typing import Final

from triage.core import jsonio
from triage.platforms import registry

__all__ = ["sniff"]

_HEAD: Final = 64 * 1024
_FIRST_KEY: Final = re.compile(rb'\A\s*\{\s*"((?:[^"\\]|\\.)*)"\s*:\s*(?:"((?:[^"\\]|\\.)*)")?')


def _head(path: Path) -> bytes:
    with open(path, "rb") as raw:
        head = raw.read(_HEAD)
        if head.startswith(b"\x1f\x8b"):
            raw.seek(0)
            pieces: list[bytes] = []
            size = 0
            try:
                with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                    while size < _HEAD and (piece := unzipped.read1(_HEAD - size)):
                        pieces.append(piece)
                        size += len(piece)
            except (EOFError, zlib.error, gzip.BadGzipFile) as error:
                if not pieces:
                    raise OSError(f"corrupt or truncated gzip data: {error}") from None
                # What came before the damage decides; the reader reports the damage.
            head = b"".join(pieces)
    return head.removeprefix(b"\xef\xbb\xbf")


def sniff(path: Path) -> str | None:
    """The format name of the file at ``path``, or ``None`` when it is none of them.

    Raises :class:`OSError` when the file cannot be opened or read, or is gzip data
    damaged before anything could be decompressed (later damage is reported by the
    reader, with what came before it read)."""
    head = _head(path)
    if not head.strip():
        return None
    if b"\r" in head:
        head = head.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = head.split(b"\n")
    if len(head) == _HEAD and len(lines) > 1:
        lines.pop()  # cut off mid-line
    seen = 0
    for line in lines:
        line = line.strip()
        if not line:
            continue
        seen += 1
        if seen > 20:
            break
        try:
            value = jsonio.parse(line)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            return _kind(value)
        if seen == 1 and value is None:
            document = _document_kind(head)
            if document is not None:
                return document
    return None


def _kind(obj: dict[str, object]) -> str | None:
    return registry.sniff(obj)


def _document_kind(head: bytes) -> str | None:
    """The format of a pretty-printed JSON document, or of a first line too long to be
    read whole, from its first key (and that key's value, when it is a string)."""
    match = _FIRST_KEY.match(head)
    if match is None:
        return None
    key = match[1].decode(errors="replace")
    value = match[2].decode(errors="replace") if match[2] is not None else None
    return registry.sniff_document(key, value, head)
