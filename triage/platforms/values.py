"""Plain-value helpers for the platform adapters: timestamps, dotted paths, message text.

Everything here takes untrusted decoded JSON and never raises on a wrong type: it
returns ``None``, an empty value, or the value unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from triage.core import jsonio

__all__ = [
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

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_ms(value: object) -> datetime | None:
    """Epoch milliseconds (a number) as a UTC datetime; ``None`` if not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return _EPOCH + timedelta(milliseconds=value)
    except (OverflowError, ValueError):
        return None


def from_unix_nano(value: object) -> datetime | None:
    """OTLP ``*TimeUnixNano`` (an int64, which JSON may carry as a string) as UTC;
    ``None`` when absent, zero or not a number."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    try:
        return _EPOCH + timedelta(microseconds=value // 1000)
    except OverflowError:
        return None


def from_iso(value: object) -> datetime | None:
    """An ISO 8601 string as a UTC datetime (no offset means UTC); else ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def dotted(record: object, path: str) -> object:
    """The value at the dotted ``path`` in ``record`` (``metadata.task_type``, ``tags.0``);
    a key that itself contains dots (``gen_ai.agent.name``) is matched whole first.
    ``None`` when the path leads nowhere."""
    if not path:
        return None
    if isinstance(record, Mapping) and path in record:
        return record[path]
    head, _, rest = path.partition(".")
    if isinstance(record, Mapping):
        if head not in record:
            return None
        child = record[head]
    elif isinstance(record, list) and head.isdigit() and int(head) < len(record):
        child = record[int(head)]
    else:
        return None
    return child if not rest else dotted(child, rest)


def mapping(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def listing(value: object) -> list[Any]:
    """``value`` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def scalar_text(value: object) -> str | None:
    """A non-empty string for a string, number or boolean value; else ``None``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return str(value)
    return None


def text_of(content: object) -> str:
    """Message content as text: a string as is; a list of parts as their texts, one per
    line (``text``/``content`` of text parts; an image as ``[image]``); else ``""``."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, Mapping):
            kind = part.get("type")
            if kind in ("text", "input_text", "output_text", None):
                text = part.get("text", part.get("content"))
                if isinstance(text, str):
                    texts.append(text)
            elif kind in ("image", "image_url", "input_image"):
                texts.append("[image]")
    return "\n".join(texts)


def as_json_text(value: object) -> str:
    """A string as is, anything else as indented JSON text (``""`` for ``None``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def maybe_json(value: object) -> object:
    """A string holding a JSON object or array, decoded; anything else unchanged. A
    string whose JSON holds ``NaN`` or an infinite number stays a string: decoded, the
    number would be stored as ``null``."""
    if isinstance(value, str) and value[:1] in ("{", "[") and value[-1:] in ("}", "]"):
        try:
            return jsonio.parse(value.encode("utf-8", "surrogatepass"))
        except (ValueError, RecursionError):
            return value
    return value


def number(value: object) -> int | float | None:
    """A JSON number (not a boolean), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value
