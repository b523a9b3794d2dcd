"""Chat messages in the shapes platforms log them, read the way triage shows them.

Langfuse, LangSmith (and any platform that logs chat-model calls) send a request or a
response as chat messages in one of the usual shapes: ``{role, content}`` (OpenAI,
Anthropic), ``{type: "human", content}`` (LangChain), a serialised LangChain message
(``{"lc": 1, "id": [..., "HumanMessage"], "kwargs": {...}}``), a ``{"messages": [...]}``
wrapper, LangChain's ``[[messages]]`` or an OpenAI ``choices`` list. :func:`chat_request`
and :func:`chat_response` turn one into a :class:`Chat`: the text a reviewer reads (the
last user message; the assistant's answer), the transcript and the tool calls. A value
that holds no chat messages is kept as text (compact JSON when it is not a string).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from triage.core import jsonio
from triage.core.models import ToolCall, Turn
from triage.platforms.values import maybe_json, text_of

__all__ = ["Chat", "chat_request", "chat_response", "compact_json"]


@dataclass(frozen=True, slots=True)
class Chat:
    """What a request or response says, as triage shows it."""

    text: str
    turns: tuple[Turn, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    from_messages: bool = False
    """Whether the value held chat messages (else ``text`` is the value as text)."""


_ROLES = {
    "user": "user",
    "human": "user",
    "humanmessage": "user",
    "humanmessagechunk": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "model": "assistant",
    "aimessage": "assistant",
    "aimessagechunk": "assistant",
    "system": "system",
    "developer": "system",
    "systemmessage": "system",
    "tool": "tool",
    "function": "tool",
    "toolmessage": "tool",
    "functionmessage": "tool",
}


@dataclass(frozen=True, slots=True)
class _Message:
    role: str
    text: str
    tool_calls: tuple[ToolCall, ...]


def _message(value: object) -> _Message | None:
    """A chat message in any of the usual shapes: ``{role, content}`` (OpenAI,
    Anthropic), ``{type: "human", content}`` (LangChain) or a serialised LangChain
    message (``{"lc": 1, "id": [..., "HumanMessage"], "kwargs": {...}}``)."""
    if not isinstance(value, Mapping):
        return None
    body: Mapping[str, Any] = value
    role_name: object
    if value.get("lc") is not None and isinstance(value.get("kwargs"), Mapping):
        body = value["kwargs"]
        ident = value.get("id")
        role_name = ident[-1] if isinstance(ident, list) and ident else body.get("type")
        if role_name == "ChatMessage":
            role_name = body.get("role")
    else:
        role_name = value.get("role") or value.get("type")
    if not isinstance(role_name, str) or not (
        "content" in body or "tool_calls" in body or "parts" in body
    ):
        return None
    role = _ROLES.get(role_name.lower())
    if role is None:
        return None
    content = body.get("content", body.get("parts"))
    return _Message(role, _content_text(content), _tool_calls(body, content))


def _content_text(content: object) -> str:
    if isinstance(content, list):
        return text_of(
            [
                {"type": "text", "text": part["content"]}
                if isinstance(part, Mapping)
                and part.get("type") == "text"
                and "text" not in part
                and isinstance(part.get("content"), str)
                else part
                for part in content
            ]
        )
    if isinstance(content, Mapping) and isinstance(content.get("text"), str):
        return str(content["text"])
    return text_of(content)


def _tool_calls(body: Mapping[str, Any], content: object) -> tuple[ToolCall, ...]:
    calls: list[ToolCall] = []
    raw = body.get("tool_calls")
    if isinstance(raw, list):
        for call in raw:
            if not isinstance(call, Mapping):
                continue
            function = call.get("function")
            if isinstance(function, Mapping) and isinstance(function.get("name"), str):
                calls.append(ToolCall(function["name"], maybe_json(function.get("arguments"))))
            elif isinstance(call.get("name"), str):
                arguments = call.get("args", call.get("arguments"))
                calls.append(ToolCall(call["name"], maybe_json(arguments)))
    if isinstance(content, list):
        for part in content:
            if (
                isinstance(part, Mapping)
                and part.get("type") in ("tool_use", "toolCall", "tool_call")
                and isinstance(part.get("name"), str)
            ):
                arguments = part.get("input", part.get("arguments"))
                calls.append(ToolCall(part["name"], maybe_json(arguments)))
    return tuple(calls)


def _messages(value: object) -> list[_Message] | None:
    """The chat messages ``value`` holds, or ``None`` when it is not chat."""
    if isinstance(value, Mapping):
        if "messages" in value:
            return _messages(value["messages"])
        one = _message(value)
        return [one] if one is not None else None
    if isinstance(value, list) and value:
        if len(value) == 1 and isinstance(value[0], list):
            return _messages(value[0])  # LangChain chat model inputs: [[messages]]
        found = [_message(entry) for entry in value]
        if all(message is not None for message in found):
            return [message for message in found if message is not None]
    return None


def chat_request(value: object, raw: str | None = None) -> Chat:
    """A request: the last user message of chat messages (with all of them as the
    transcript); else ``raw`` when it is text (kept exactly), a string as is, or
    compact JSON."""
    messages = _messages(value)
    if messages:
        users = [m for m in messages if m.role == "user"]
        text = (users or messages)[-1].text
        turns = tuple(Turn(m.role, m.text) for m in messages)
        return Chat(text, turns, (), True)
    return Chat(_plain(value, raw))


def chat_response(value: object, raw: str | None = None) -> Chat:
    """A response: the assistant's content and tool calls when ``value`` is chat
    messages (or an OpenAI-style ``choices`` list); else like :func:`chat_request`."""
    if isinstance(value, Mapping) and isinstance(value.get("choices"), list):
        choices = value["choices"]
        first = choices[0] if choices else None
        if isinstance(first, Mapping) and isinstance(first.get("message"), Mapping):
            value = first["message"]
    messages = _messages(value)
    if messages:
        answers = [m for m in messages if m.role == "assistant"]
        last = (answers or messages)[-1]
        return Chat(last.text, (), last.tool_calls, True)
    return Chat(_plain(value, raw))


def _plain(value: object, raw: str | None) -> str:
    if isinstance(raw, str):
        return raw
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return compact_json(value)


def compact_json(value: object) -> str:
    """``value`` as compact JSON text (keys in their order, non-ASCII kept)."""
    return jsonio.dumps(value)
