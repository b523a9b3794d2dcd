"""One record in triage's native shape → :class:`~triage.core.models.Item` (DESIGN §2).

A native record is a JSON object::

    {"id": "r-1", "created_at": "2024-05-01T10:11:12Z", "agent": "support-bot",
     "task_type": "support_reply", "input": "...", "output": "...", "model": "gpt-4o",
     "tool_calls": [{"name": "lookup", "arguments": {...}, "result": ..., "is_error": false}],
     "transcript": [{"role": "user", "content": "..."}],
     "meta": {"customer_facing": true}}

Choices made here:

- ``id`` is text, or an integer (many APIs number their records), stored as its decimal
  text: ``7`` and ``"7"`` are the same item. Any other kind (a fraction, a boolean,
  ``null``) is rejected, and so is an id that is empty or only whitespace. An id is
  otherwise kept exactly as given (never trimmed: ``" a"`` and ``"a"`` are two ids).
- ``created_at`` is ISO 8601; a time without offset is taken as UTC, and every time is
  stored as an aware UTC datetime. Unix timestamps are not accepted.
- ``agent``, ``task_type`` and ``model`` must be text that is not empty or only
  whitespace. ``input`` and ``output``
  must be present but may be empty; when they arrive as JSON objects or arrays they are
  stored as indented JSON text.
- ``tool_calls``, ``transcript`` and ``meta`` may be absent or ``null``.
- A transcript turn's ``content`` may be text, ``null`` (stored as empty) or a list of
  parts; the text parts (plain strings, or objects with a ``text`` string) are joined with
  newlines, other parts (images, …) are left out. Extra keys inside a tool call or a
  turn are ignored.
- Every unknown top-level key goes into ``meta``. When ``meta`` already has that key, the
  top-level value is stored under ``"_" + key`` (more underscores while that is taken),
  so neither value is lost.
- ``meta.platform_outcome`` (the producer's own verdict, in the shape the other readers
  store: ``{"status": …, "reason": …}``) is kept exactly as given, like the rest of
  ``meta``; the ``platform`` check reads a value it does not know as ``unknown``.
- Content is never shortened.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from triage.core.models import Item, ToolCall, Turn
from triage.errors import InvalidInput

__all__ = ["RecordError", "parse_record"]


class RecordError(InvalidInput):
    """A record is not a valid native item; ``reason`` says which field and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        """A short sentence naming the field, e.g. ``missing required field 'created_at'``."""


_MISSING: Final = object()
_KNOWN: Final = frozenset(
    {
        "id",
        "created_at",
        "agent",
        "task_type",
        "input",
        "output",
        "model",
        "tool_calls",
        "transcript",
        "meta",
    }
)
_ZERO = timedelta(0)
# Python's own ISO parser is the fast path; pydantic's accepts a few more ISO 8601
# spellings (lower-case "t"/"z", for one) and is only asked when the first one refuses.
_DATETIME: Final = TypeAdapter(datetime)


def parse_record(obj: object, *, source: str) -> Item:
    """The :class:`~triage.core.models.Item` for the decoded JSON record ``obj``.

    ``source`` names where the record came from and becomes ``Item.source``.
    Raises :class:`RecordError` (and nothing else) when the record is not a valid item.
    """
    if not isinstance(obj, dict):
        raise RecordError(f"record is {_json_kind(obj, json_word=True)}, expected an object")
    # The common case (every field well-formed) is checked inline; the helpers only run
    # to convert a value or to say what is wrong with it.
    get = obj.get
    item_id = get("id", _MISSING)
    if type(item_id) is not str or not item_id or item_id.isspace():
        item_id = _id(item_id)
    created_at = _created_at(get("created_at", _MISSING))
    agent = get("agent", _MISSING)
    if type(agent) is not str or not agent or agent.isspace():
        agent = _name(agent, "agent")
    task_type = get("task_type", _MISSING)
    if type(task_type) is not str or not task_type or task_type.isspace():
        task_type = _name(task_type, "task_type")
    input_text = get("input", _MISSING)
    if type(input_text) is not str:
        input_text = _body(input_text, "input")
    output_text = get("output", _MISSING)
    if type(output_text) is not str:
        output_text = _body(output_text, "output")
    model = get("model", _MISSING)
    if type(model) is not str or not model or model.isspace():
        model = _name(model, "model")
    if "\x00" in item_id or "\x00" in agent or "\x00" in task_type or "\x00" in model:
        raise RecordError(_nul_field(item_id, agent, task_type, model))
    tool_calls = get("tool_calls")
    tool_calls = () if tool_calls is None else _tool_calls(tool_calls)
    transcript = get("transcript")
    transcript = () if transcript is None else _transcript(transcript)
    meta = _meta(obj)
    # Positional: noticeably faster than keywords for a frozen dataclass, and the
    # field-by-field tests catch any change in Item's field order.
    return Item(
        item_id,
        created_at,
        agent,
        task_type,
        input_text,
        output_text,
        model,
        source,
        tool_calls,
        transcript,
        meta,
    )


def _nul_field(item_id: str, agent: str, task_type: str, model: str) -> str:
    for name, value in (("id", item_id), ("agent", agent), ("task_type", task_type)):
        if "\x00" in value:
            return f"'{name}' contains a NUL character"
    return "'model' contains a NUL character"


def _missing(field: str) -> RecordError:
    return RecordError(f"missing required field '{field}'")


def _json_kind(value: object, *, json_word: bool = False) -> str:
    """``a string``, ``an array``, ``null``…; with ``json_word``: ``a JSON array``…"""
    if value is None:
        return "JSON null" if json_word else "null"
    if isinstance(value, bool):
        kind = "boolean"
    elif isinstance(value, int | float):
        kind = "number"
    elif isinstance(value, str):
        kind = "string"
    elif isinstance(value, list | tuple):
        kind = "array"
    elif isinstance(value, dict):
        kind = "object"
    else:
        return f"a Python {type(value).__name__}"
    word = "JSON " + kind if json_word else kind
    return ("an " if word[0] in "aeiou" else "a ") + word


def _excerpt(value: object, limit: int = 60) -> str:
    if isinstance(value, str):
        text = repr(value[:limit])
        return text[:-1] + "…" + text[-1] if len(value) > limit else text
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= limit else text[:limit] + "…"


def _id(value: object) -> str:
    if isinstance(value, str):
        if not value:
            raise RecordError("'id' must not be empty")
        if value.isspace():
            raise RecordError("'id' is blank (only whitespace)")
        return str(value)
    if value is _MISSING:
        raise _missing("id")
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # more digits than Python will print
            raise RecordError("'id' is an integer too large to use as an id") from None
    raise RecordError(f"'id' must be a string or an integer, got {_json_kind(value)}")


def _created_at(value: object) -> datetime:
    if not isinstance(value, str):
        if value is _MISSING:
            raise _missing("created_at")
        raise RecordError(f"'created_at' is not an ISO 8601 date-time: {_excerpt(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = _lenient_datetime(value)
    offset = moment.utcoffset()
    if offset is None:
        return moment.replace(tzinfo=UTC)
    if offset == _ZERO:
        return moment if moment.tzinfo is UTC else moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise RecordError(
            f"'created_at' is out of the supported range: {_excerpt(value)}"
        ) from None


def _lenient_datetime(value: str) -> datetime:
    # Only strings that start like a calendar date: pydantic would otherwise read a
    # string of digits as a Unix timestamp, which is not ISO 8601.
    if value[:4].isdigit() and value[4:5] == "-":
        try:
            return _DATETIME.validate_python(value)
        except ValidationError:
            pass
    raise RecordError(f"'created_at' is not an ISO 8601 date-time: {_excerpt(value)}")


def _name(value: object, field: str) -> str:
    if isinstance(value, str):
        if not value:
            raise RecordError(f"'{field}' must not be empty")
        if value.isspace():
            raise RecordError(f"'{field}' is blank (only whitespace)")
        return str(value)
    if value is _MISSING:
        raise _missing(field)
    raise RecordError(f"'{field}' must be a string, got {_json_kind(value)}")


def _body(value: object, field: str) -> str:
    if isinstance(value, str):
        return str(value)
    if value is _MISSING:
        raise _missing(field)
    if isinstance(value, dict | list):
        try:
            return json.dumps(value, indent=2, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            raise RecordError(f"'{field}' cannot be written as JSON text") from None
    raise RecordError(
        f"'{field}' must be a string (or an object or array), got {_json_kind(value)}"
    )


def _tool_calls(value: object) -> tuple[ToolCall, ...]:
    if not isinstance(value, list):
        raise RecordError("'tool_calls' must be a list of objects")
    calls = []
    for index, call in enumerate(value):
        if not isinstance(call, dict):
            raise RecordError(f"'tool_calls[{index}]' must be an object, got {_json_kind(call)}")
        name = call.get("name", _MISSING)
        if type(name) is not str or not name:
            if name is _MISSING:
                raise _missing(f"tool_calls[{index}].name")
            raise RecordError(
                f"'tool_calls[{index}].name' must be a non-empty string, got {_excerpt(name)}"
            )
        is_error = call.get("is_error", False)
        if is_error is not False and is_error is not True:
            if is_error is not None:
                raise RecordError(
                    f"'tool_calls[{index}].is_error' must be true or false, "
                    f"got {_excerpt(is_error)}"
                )
            is_error = False
        calls.append(ToolCall(name, call.get("arguments"), call.get("result"), is_error))
    return tuple(calls)


def _transcript(value: object) -> tuple[Turn, ...]:
    if not isinstance(value, list):
        raise RecordError("'transcript' must be a list of objects")
    turns = []
    for index, turn in enumerate(value):
        if not isinstance(turn, dict):
            raise RecordError(f"'transcript[{index}]' must be an object, got {_json_kind(turn)}")
        role = turn.get("role", _MISSING)
        if type(role) is not str:
            if role is _MISSING:
                raise _missing(f"transcript[{index}].role")
            raise RecordError(
                f"'transcript[{index}].role' must be a string, got {_json_kind(role)}"
            )
        content = turn.get("content")
        if type(content) is not str:
            content = _content(content, index)
        turns.append(Turn(role, content))
    return tuple(turns)


def _content(value: object, index: int) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        texts = []
        for part in value:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                text = part.get("text")
                if isinstance(text, str):
                    texts.append(text)
        return "\n".join(texts)
    raise RecordError(
        f"'transcript[{index}].content' must be a string or a list of parts, "
        f"got {_json_kind(value)}"
    )


def _meta(record: dict[Any, Any]) -> dict[str, Any]:
    value = record.get("meta")
    if value is None:
        meta: dict[str, Any] = {}
    elif isinstance(value, dict):
        meta = dict(value)
    else:
        raise RecordError(f"'meta' must be an object, got {_json_kind(value)}")
    if record.keys() - _KNOWN:
        # Record order, not set order, so the underscore names are the same on every run.
        for key, extra in record.items():
            if key in _KNOWN:
                continue
            name = key if isinstance(key, str) else str(key)
            while name in meta:
                name = "_" + name
            meta[name] = extra
    return meta
