"""What the platform adapters (OpenClaw, OTLP/JSON, promptfoo) share.

Each adapter turns one *unit* (a file, or an OpenClaw trajectory export folder) into a
stream of :class:`~triage.core.models.Item` and :class:`~triage.core.models.Rejection` values;
:mod:`triage.platforms.detect` finds the units, batches the stream and counts progress.

The helpers here read untrusted files (gzip is recognised by its magic bytes), stream
JSON Lines with the same rejection reasons as :mod:`triage.platforms.jsonl` (line ends,
record limit: :mod:`triage.platforms.lines`), read whole JSON documents within the record
limit, and check a finished item the way :func:`~triage.platforms.native.parse_record`
checks a native record (non-blank id and names, no NUL characters, no unpaired
surrogates, no ``NaN`` or infinite numbers). Plain-value helpers (timestamps, dotted
paths, message text) are in :mod:`triage.platforms.values`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from triage.core import jsonio
from triage.core.models import Item, Rejection, ToolCall, Turn
from triage.errors import InvalidInput
from triage.platforms import SourceError
from triage.platforms.lines import (
    CHUNK,
    DEFAULT_MAX_RECORD_BYTES,
    lines_of,
    open_stream,
    plain_reason,
    too_long_reason,
)
from triage.platforms.surrogates import (
    SURROGATE_ESCAPE,
    UNPAIRED_SURROGATE_REASON,
    unpaired_surrogate,
)
from triage.platforms.values import (
    as_json_text,
    dotted,
    from_iso,
    from_ms,
    from_unix_nano,
    listing,
    mapping,
    maybe_json,
    number,
    scalar_text,
    text_of,
)

__all__ = [
    "Context",
    "Emitted",
    "Invalid",
    "JsonLine",
    "json_lines",
    "load_document",
    "make_item",
    "needs_check",
    "read_bytes",
    "reject",
    "task_type",
    "unstorable",
    # re-exported from triage.platforms.values
    "as_json_text",
    "dotted",
    "from_iso",
    "from_ms",
    "from_unix_nano",
    "listing",
    "mapping",
    "maybe_json",
    "number",
    "scalar_text",
    "text_of",
]

Emitted = Item | Rejection
"""What an adapter yields for each record of a unit."""

_BOM = b"\xef\xbb\xbf"


class Invalid(InvalidInput):
    """A record cannot become an item; ``reason`` says why (it becomes a rejection)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Context:
    """The settings of one read, shared by every unit of it."""

    source: str
    """Becomes each item's ``Item.source``."""
    agent: str | None = None
    """Overrides the agent name the adapter would choose."""
    task_type_field: str | None = None
    """Dotted path into the source's own record or metadata giving the task type."""
    cache: dict[Any, Any] = field(default_factory=dict)
    """Per-read memo for adapters (e.g. a parsed ``sessions.json`` per folder)."""
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    """The longest line, or whole JSON document, read (after decompression)."""


# --- bytes and JSON -----------------------------------------------------------------


def read_bytes(path: Path, limit: int = DEFAULT_MAX_RECORD_BYTES) -> bytes:
    """The file's bytes, decompressed when it is gzip; :class:`SourceError` if unreadable.

    Damaged gzip data, or more than ``limit`` bytes (counted while decompressing, so a
    gzip bomb is never inflated whole), raise :class:`Invalid` (the unit is then one
    rejection).
    """
    raw, stream = open_stream(path)
    with raw:
        try:
            if stream is raw:
                size = os.fstat(raw.fileno()).st_size
                if size > limit:
                    raise Invalid(too_long_reason(size, limit, what="document"))
                data = raw.read()
            else:
                data = _inflate(stream, limit)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise Invalid(f"corrupt or truncated gzip data: {error}") from None
        except OSError as error:
            raise SourceError(f"cannot read {path}: {plain_reason(error)}") from error
    if len(data) > limit:  # the file grew while it was read
        raise Invalid(too_long_reason(len(data), limit, what="document"))
    return data.removeprefix(_BOM)


def _inflate(stream: Any, limit: int) -> bytes:
    """All of a gzip stream, a chunk at a time, stopping once it passes ``limit``: only
    "over" is then known, since inflating the rest to count it is what a bomb wants."""
    pieces: list[bytes] = []
    held = 0
    while piece := stream.read1(CHUNK):
        held += len(piece)
        if held > limit:
            raise Invalid(too_long_reason(None, limit, what="document"))
        pieces.append(piece)
    return b"".join(pieces)


@dataclass(frozen=True, slots=True)
class JsonLine:
    """One non-blank line of a JSON Lines file: its 1-based number and what it held."""

    number: int
    value: Any = None
    reason: str | None = None
    """Why the line is not valid JSON (then ``value`` is ``None``)."""


def json_lines(
    path: Path, limit: int = DEFAULT_MAX_RECORD_BYTES
) -> Generator[JsonLine, None, None]:
    """Each non-blank line of the file at ``path`` decoded as JSON, or with the reason it
    is not, read as a stream (no line over ``limit`` bytes is held whole).

    The reasons are those of :mod:`triage.platforms.jsonl`: a line holding a string with an
    unpaired UTF-16 surrogate escape or a number JSON cannot carry (``NaN``) is rejected
    too, since it cannot be stored. Raises :class:`SourceError` when the file cannot be
    opened or read.
    """
    for line in lines_of(path, limit=limit):
        if line.problem is not None:
            yield JsonLine(line.number, None, line.problem)
        elif line.data.strip():
            value, reason = _parse(line.data, truncated=not line.ended)
            yield JsonLine(line.number, value, reason)


def _parse(line: bytes, *, truncated: bool) -> tuple[Any, str | None]:
    try:
        value = jsonio.parse(line)
    except jsonio.NonFiniteNumber as error:
        return None, str(error)
    except ValueError as error:
        if truncated:
            return None, "truncated record at end of file"
        return None, _json_reason(error)
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    if SURROGATE_ESCAPE.search(line) is not None and unpaired_surrogate(value):
        return None, UNPAIRED_SURROGATE_REASON
    return value, None


def _json_reason(error: ValueError) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"invalid UTF-8 at byte {error.start + 1}"
    if isinstance(error, json.JSONDecodeError):
        if error.lineno > 1:
            return f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        return f"invalid JSON: {error.msg} at column {error.colno}"
    return f"invalid JSON: {error}"


def load_document(data: bytes) -> Any:
    """``data`` as one JSON document; :class:`Invalid` with the place when it is not.

    ``NaN`` and infinite numbers are kept (as floats): a document holds many records,
    and :func:`make_item` rejects the ones whose items would carry such a number (when
    :func:`needs_check` says the document may hold one)."""
    try:
        return jsonio.parse(data, allow_non_finite=True)
    except ValueError as error:
        raise Invalid(_json_reason(error)) from None
    except RecursionError:
        raise Invalid("invalid JSON: nested too deeply") from None


def task_type(ctx: Context, records: tuple[object, ...], default: str) -> str:
    """The task type: ``ctx.task_type_field`` looked up in each of ``records`` in turn
    (the first scalar found wins), else ``default``."""
    if ctx.task_type_field:
        for record in records:
            found = scalar_text(dotted(record, ctx.task_type_field))
            if found is not None:
                return found
    return default


def make_item(
    *,
    ctx: Context,
    id: str,
    created_at: datetime,
    agent: str,
    task_type: str,
    input: str,
    output: str,
    model: str,
    tool_calls: tuple[ToolCall, ...] = (),
    transcript: tuple[Turn, ...] = (),
    meta: dict[str, Any] | None = None,
    check_values: bool = False,
) -> Item:
    """The item, checked like a native record; :class:`Invalid` when it cannot be stored.

    ``ctx.agent`` replaces ``agent``; an empty model becomes ``"unknown"``. An id of
    only whitespace counts as none. ``check_values`` also looks for strings with
    unpaired surrogates and for ``NaN`` or infinite numbers (see :func:`needs_check`).
    """
    agent = ctx.agent or agent
    model = model or "unknown"
    if not id or id.isspace():
        raise Invalid("record has no id" if not id else "record's id is blank")
    if not agent or not task_type:
        raise Invalid("record has no agent name" if not agent else "record has no task type")
    for name, value in (("id", id), ("agent", agent), ("task_type", task_type), ("model", model)):
        if "\x00" in value:
            raise Invalid(f"'{name}' contains a NUL character")
    item = Item(
        id=id,
        created_at=created_at,
        agent=agent,
        task_type=task_type,
        input=input,
        output=output,
        model=model,
        source=ctx.source,
        tool_calls=tool_calls,
        transcript=transcript,
        meta=meta if meta is not None else {},
    )
    if check_values:
        problem = unstorable(item)
        if problem is not None:
            raise Invalid(problem)
    return item


def unstorable(item: Item) -> str | None:
    """Why ``item`` cannot be stored as it is (an unpaired surrogate, a ``NaN`` or
    infinite number, named by its place: ``'meta.cost' is NaN, …``), or ``None``."""
    plain = [
        item.id,
        item.agent,
        item.task_type,
        item.input,
        item.output,
        item.model,
        [[call.name, call.arguments, call.result] for call in item.tool_calls],
        [[turn.role, turn.content] for turn in item.transcript],
        item.meta,
    ]
    if unpaired_surrogate(plain):
        return UNPAIRED_SURROGATE_REASON
    shaped = {
        "meta": item.meta,
        "tool_calls": [
            {"arguments": call.arguments, "result": call.result} for call in item.tool_calls
        ],
    }
    found = jsonio.non_finite(shaped)
    return None if found is None else str(found)


def reject(path: Path, line: int, reason: str) -> Rejection:
    """A rejection naming the file (as a string) and the line or record index."""
    return Rejection(str(path), line, reason)


_NON_FINITE = re.compile(rb"NaN|Infinity|[0-9][eE]\+?[0-9]{3}")


def needs_check(data: bytes) -> bool:
    """Whether raw JSON ``data`` may hold values that decode but cannot be stored: a
    ``\\uD8xx``-style escape (maybe an unpaired surrogate), ``NaN``, ``Infinity`` or a
    number beyond double range. Items made from it then need ``check_values``."""
    return SURROGATE_ESCAPE.search(data) is not None or _NON_FINITE.search(data) is not None


def convert_records(
    records: list[Any],
    *,
    where: str,
    surrogates: bool,
    seen: set[str],
    convert: Callable[[Mapping[str, Any], Context], Item],
    ctx: Context,
    noun: str = "record",
) -> tuple[list[Item], list[Rejection]]:
    """One API page's records as items, each bad one a rejection at its position.
    ``seen`` holds the ids already read in this pull: a page served twice (a retry
    after a lost response, a cursor that repeats) adds nothing. A record holding
    ``NaN`` or an infinite number (a page parsed with ``allow_non_finite``) is
    rejected naming the field, never stored with it turned into ``null``. Both
    searches run only when ``surrogates`` says the page may hold either (the flag
    :func:`triage.platforms.retry.fetch_json` returns)."""
    items: list[Item] = []
    rejected: list[Rejection] = []
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            kind = {type(None): "null", str: "a string", list: "an array", bool: "a boolean"}
            shape = kind.get(type(record), "a number")
            rejected.append(Rejection(where, index, f"{noun} is {shape}, expected an object"))
            continue
        if surrogates and unpaired_surrogate(record):
            rejected.append(Rejection(where, index, UNPAIRED_SURROGATE_REASON))
            continue
        unfit = jsonio.non_finite(record) if surrogates else None
        if unfit is not None:
            rejected.append(Rejection(where, index, str(unfit)))
            continue
        try:
            item = convert(record, ctx)
        except Invalid as error:
            rejected.append(Rejection(where, index, error.reason))
            continue
        if item.id not in seen:
            seen.add(item.id)
            items.append(item)
    return items, rejected
