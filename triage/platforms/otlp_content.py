"""The conversation carried by an OpenTelemetry GenAI span, whichever convention wrote it.

Accepted, in this order (the first that gives messages wins, separately for the input
and the output side):

1. ``gen_ai.input.messages`` / ``gen_ai.output.messages`` / ``gen_ai.system_instructions``
   (semantic conventions 1.37+), as arrays or as JSON strings, on the span or on its
   ``gen_ai.client.inference.operation.details`` event;
2. OpenLLMetry's flattened ``gen_ai.prompt.N.role`` / ``gen_ai.prompt.N.content`` and
   ``gen_ai.completion.N.content`` (``.role``, ``.finish_reason``);
3. the pre-1.37 events ``gen_ai.system.message``, ``gen_ai.user.message``,
   ``gen_ai.assistant.message``, ``gen_ai.tool.message`` and ``gen_ai.choice``, whose body
   may be in a ``gen_ai.event.content`` JSON string or in ``content`` / ``message``
   attributes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from triage.core.models import Turn
from triage.platforms.values import (
    maybe_json,
    text_of,
)

__all__ = ["Message", "SpanContent", "any_value", "attributes", "content_of"]

_DETAILS_EVENT = "gen_ai.client.inference.operation.details"
_ROLE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_FLAT = re.compile(r"^gen_ai\.(prompt|completion)\.(\d+)\.(role|content|finish_reason)$")


@dataclass(slots=True)
class Message:
    """One message reduced to what a reviewer reads."""

    role: str
    text: str
    finish_reason: str | None = None


@dataclass(slots=True)
class SpanContent:
    system: list[Message] = field(default_factory=list)
    inputs: list[Message] = field(default_factory=list)
    outputs: list[Message] = field(default_factory=list)

    @property
    def input_text(self) -> str:
        """The text of the last user message (the request being answered)."""
        for message in reversed(self.inputs):
            if message.role == "user":
                return message.text
        return ""

    @property
    def output_text(self) -> str:
        return "\n".join(message.text for message in self.outputs if message.text)

    @property
    def finish_reasons(self) -> list[str]:
        return [m.finish_reason for m in self.outputs if m.finish_reason is not None]

    def input_turns(self) -> list[Turn]:
        """The system instructions and input messages, as transcript turns."""
        return [Turn(m.role, m.text) for m in (*self.system, *self.inputs)]

    def output_turns(self) -> list[Turn]:
        return [Turn(m.role, m.text) for m in self.outputs]


# --- OTLP attribute values ----------------------------------------------------------


def any_value(value: object) -> Any:
    """An OTLP/JSON ``AnyValue`` as a plain value (int64 strings become ints)."""
    if not isinstance(value, Mapping):
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "intValue" in value:
        raw = value["intValue"]
        if isinstance(raw, str):
            try:
                return int(raw)
            except ValueError:
                return raw
        return raw
    if "doubleValue" in value:
        return value["doubleValue"]
    if "arrayValue" in value:
        array = value["arrayValue"]
        items = array.get("values") if isinstance(array, Mapping) else None
        return [any_value(item) for item in items] if isinstance(items, list) else []
    if "kvlistValue" in value:
        kvlist = value["kvlistValue"]
        pairs = kvlist.get("values") if isinstance(kvlist, Mapping) else None
        return attributes(pairs)
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(pairs: object) -> dict[str, Any]:
    """A list of OTLP ``KeyValue`` as a dict; malformed pairs are left out."""
    result: dict[str, Any] = {}
    if isinstance(pairs, list):
        for pair in pairs:
            if isinstance(pair, Mapping) and isinstance(pair.get("key"), str):
                result[pair["key"]] = any_value(pair.get("value"))
    return result


# --- messages -----------------------------------------------------------------------


def content_of(
    attrs: Mapping[str, Any], events: Iterable[tuple[str, dict[str, Any]]]
) -> SpanContent:
    """The system instructions, input and output messages of one span."""
    events = list(events)
    sources = [attrs, *(event_attrs for name, event_attrs in events if name == _DETAILS_EVENT)]
    content = SpanContent()
    for source in sources:
        if not content.system and "gen_ai.system_instructions" in source:
            content.system = _messages(source["gen_ai.system_instructions"], "system")
        if not content.inputs and "gen_ai.input.messages" in source:
            content.inputs = _messages(source["gen_ai.input.messages"], "user")
        if not content.outputs and "gen_ai.output.messages" in source:
            content.outputs = _messages(source["gen_ai.output.messages"], "assistant")
    if not content.inputs or not content.outputs:
        prompts, completions = _flattened(attrs)
        content.inputs = content.inputs or prompts
        content.outputs = content.outputs or completions
    if not content.inputs or not content.outputs:
        legacy_in, legacy_out = _legacy_events(events)
        content.inputs = content.inputs or legacy_in
        content.outputs = content.outputs or legacy_out
    return content


def _messages(value: object, default_role: str) -> list[Message]:
    value = maybe_json(value)
    if isinstance(value, str):
        return [Message(default_role, value)] if value else []
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        return []
    messages = []
    for item in value:
        if isinstance(item, str):
            messages.append(Message(default_role, item))
        elif isinstance(item, Mapping):
            if default_role == "system" and "role" not in item and "parts" not in item:
                item = {"role": "system", "parts": [item]}
            messages.append(_message(item, default_role))
    return messages


def _message(item: Mapping[str, Any], default_role: str) -> Message:
    role = item.get("role")
    role = role if isinstance(role, str) and role else default_role
    finish = item.get("finish_reason")
    parts = item.get("parts")
    if isinstance(parts, list):
        text = "\n".join(filter(None, (_part_text(part) for part in parts)))
    else:
        text = text_of(item.get("content"))
    return Message(role, text, finish if isinstance(finish, str) else None)


def _part_text(part: object) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, Mapping):
        return ""
    kind = part.get("type")
    if kind == "text":
        content = part.get("content", part.get("text"))
        return content if isinstance(content, str) else ""
    if kind == "tool_call":
        return f"→ {part.get('name') or 'tool'} {_compact(part.get('arguments'))}"
    if kind == "tool_call_response":
        result = part.get("result", part.get("response"))
        return result if isinstance(result, str) else _compact(result)
    return ""


def _compact(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return str(value)


def _flattened(attrs: Mapping[str, Any]) -> tuple[list[Message], list[Message]]:
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for key, value in attrs.items():
        match = _FLAT.match(key)
        if match:
            found.setdefault((match[1], int(match[2])), {})[match[3]] = value
    sides: dict[str, list[Message]] = {"prompt": [], "completion": []}
    for (side, _), fields in sorted(found.items()):
        default = "user" if side == "prompt" else "assistant"
        role = fields.get("role")
        finish = fields.get("finish_reason")
        sides[side].append(
            Message(
                role if isinstance(role, str) and role else default,
                _content_text(fields.get("content")),
                finish if isinstance(finish, str) else None,
            )
        )
    return sides["prompt"], sides["completion"]


def _legacy_events(
    events: list[tuple[str, dict[str, Any]]],
) -> tuple[list[Message], list[Message]]:
    inputs: list[Message] = []
    outputs: list[Message] = []
    for name, attrs in events:
        body = maybe_json(attrs.get("gen_ai.event.content"))
        if not isinstance(body, Mapping):
            body = attrs
        if name in _ROLE_EVENTS:
            inputs.append(Message(_ROLE_EVENTS[name], _body_text(body)))
        elif name == "gen_ai.choice":
            message = maybe_json(body.get("message"))
            text = _body_text(message) if isinstance(message, Mapping) else _body_text(body)
            finish = body.get("finish_reason")
            outputs.append(Message("assistant", text, finish if isinstance(finish, str) else None))
    return inputs, outputs


def _body_text(body: Mapping[str, Any]) -> str:
    return _content_text(body.get("content"))


def _content_text(value: object) -> str:
    """Text content; a string that holds a JSON list of parts gives the parts' text."""
    if isinstance(value, str):
        decoded = maybe_json(value)
        if isinstance(decoded, list):
            return text_of(decoded) or value
        return value
    return text_of(value)
