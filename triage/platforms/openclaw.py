"""OpenClaw session transcripts (Pi session JSONL) → items, one per user turn.

A transcript starts with a header line ``{"type":"session","version":3,"id":…}``; every
later line is an entry with ``type``, ``id``, ``parentId`` and ``timestamp``, so the
entries form a tree. The conversation is the path from the last entry back to the root;
entries off that path are abandoned branches and are not read. A file without a
``version`` (v1) has no ids and is read top to bottom. A ``parentId`` that names no entry
(its line could not be read) is bridged to the entry just before in the file.

Along that path, each user message starts a turn that runs to the next user message or
``reset`` entry (a reset opens a fresh history window); ``compaction`` entries only
shorten the model's context and never split or drop a turn. One item per turn:

- ``id``: ``<session id>:<entry id of the user message>`` (v1: ``<session id>:<line>``)
- ``input``: the user message's text; ``output``: the text of the turn's last assistant
  message that has text; ``created_at``: the user message's ``timestamp``
- ``tool_calls``: the assistant's ``toolCall`` parts, each with its ``toolResult``
  (``isError``); ``transcript``: the turn's messages (tool results with role ``tool``)
- ``model``: ``provider/model`` of the turn's last assistant message
- ``agent``: ``<agentId>`` when the file is under ``agents/<agentId>/sessions/``, else
  the session key's agent, else ``openclaw``
- ``task_type``: ``conversation``, or ``task_type_field`` looked up in the session's
  ``sessions.json`` entry, then in the item's ``meta``
- ``meta``: ``openclaw_session_id``, ``openclaw_entry_id``, ``openclaw_line``,
  ``stop_reason`` (the last assistant ``stopReason``), ``tool_errors``, ``usage``
  (token totals), ``cost`` (USD total or ``None``), ``platform_outcome``;
  ``error_message`` when the model reported one; ``no_reply`` when the turn has no
  assistant message; and from a ``sessions.json`` next to the file:
  ``openclaw_session_key``, ``session_status``, ``channel`` (``lastChannel``),
  ``chat_type``, ``session_label``
- ``platform_outcome``, from the last assistant ``stopReason``: ``error`` is
  ``errored`` (the reason: ``errorMessage``), ``aborted`` is ``errored`` (``aborted``
  and the message), ``length`` is ``truncated``, ``stop``, ``toolUse`` and
  ``end_turn`` are ``passed``; anything else, or no reply, is ``unknown``

Turns whose reply is exactly ``HEARTBEAT_OK`` are scheduler noise and are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.core.models import ToolCall, Turn
from triage.platforms.common import (
    Context,
    Emitted,
    Invalid,
    json_lines,
    make_item,
    reject,
    task_type,
)
from triage.platforms.openclaw_store import agent_name, store_entry, store_meta
from triage.platforms.outcomes import OUTCOME_KEY, PlatformStatus, outcome, stopped_at_length
from triage.platforms.values import (
    from_iso,
    from_ms,
    number,
    text_of,
)

__all__ = ["Entry", "Session", "read_session", "turn_items"]

HEARTBEAT = "HEARTBEAT_OK"
_USAGE_KEYS = ("input", "output", "cacheRead", "cacheWrite", "totalTokens")
_FINISHED = frozenset({"stop", "toolUse", "end_turn"})


@dataclass(slots=True)
class Entry:
    """One transcript entry and the line it was on."""

    line: int
    obj: dict[str, Any]

    @property
    def id(self) -> str | None:
        value = self.obj.get("id")
        return value if isinstance(value, str) and value else None


@dataclass(slots=True)
class _Turn:
    user: Entry
    entries: list[Entry] = field(default_factory=list)
    model_hint: str = ""


@dataclass(slots=True)
class Session:
    """What the turn builder needs to know about the session around the entries."""

    path: Path
    session_id: str
    agent: str
    fallback_time: str | None = None
    store: dict[str, Any] | None = None
    """The session's entry in ``sessions.json``, when there is one."""
    store_key: str | None = None
    check_values: bool = False
    """Whether values from outside the transcript's lines may hold unpaired surrogates."""


def read_session(path: Path, ctx: Context) -> Iterator[Emitted]:
    """Items (and rejections) for the OpenClaw transcript at ``path``."""
    header: dict[str, Any] | None = None
    entries: list[Entry] = []
    for line in json_lines(path, ctx.max_record_bytes):
        if line.reason is not None:
            yield reject(path, line.number, line.reason)
            continue
        obj = line.value
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
            yield reject(path, line.number, "not a transcript entry (no 'type')")
            continue
        if obj["type"] == "session" and header is None and not entries:
            header = obj
            continue
        entries.append(Entry(line.number, obj))
    tree = _is_tree(header, entries)
    if tree:
        kept = []
        for entry in entries:
            if entry.id is None:
                yield reject(path, entry.line, "entry has no 'id'")
            else:
                kept.append(entry)
        entries = kept
    base = path.name.partition(".")[0].partition("-topic-")[0]
    header_id = header.get("id") if header else None
    session_id = header_id if isinstance(header_id, str) and header_id else base
    store_key, store, problem, suspect = store_entry(path, ctx, session_id, base)
    if problem is not None:
        yield problem
    session = Session(
        path=path,
        session_id=session_id,
        agent=agent_name(path, store_key),
        fallback_time=header.get("timestamp") if header else None,
        store=store,
        store_key=store_key,
        check_values=suspect,
    )
    branch = _branch(entries) if tree else entries
    yield from turn_items(branch, session, ctx, tree=tree)


def _is_tree(header: Mapping[str, Any] | None, entries: list[Entry]) -> bool:
    version = header.get("version") if header else None
    if isinstance(version, int) and not isinstance(version, bool):
        return version >= 2
    # No header version: v1, unless the entries carry tree links anyway.
    return any("parentId" in entry.obj for entry in entries[:5])


def _branch(entries: list[Entry]) -> list[Entry]:
    """The path from the last entry back to the root, in order."""
    if not entries:
        return []
    by_id: dict[str, Entry] = {}
    position: dict[int, int] = {}
    for index, entry in enumerate(entries):
        assert entry.id is not None
        by_id[entry.id] = entry
        position[id(entry)] = index
    path: list[Entry] = []
    seen: set[str] = set()
    current: Entry | None = entries[-1]
    while current is not None and current.id not in seen:
        assert current.id is not None
        seen.add(current.id)
        path.append(current)
        parent = current.obj.get("parentId")
        if not isinstance(parent, str) or not parent:
            break
        following = by_id.get(parent)
        if following is None:
            at = position[id(current)]
            following = entries[at - 1] if at > 0 else None
        current = following
    path.reverse()
    return path


def turn_items(
    branch: list[Entry], session: Session, ctx: Context, *, tree: bool
) -> Iterator[Emitted]:
    """One item per user turn along ``branch`` (entries in conversation order)."""
    turn: _Turn | None = None
    model_hint = ""
    for entry in branch:
        kind = entry.obj.get("type")
        if kind == "reset":
            if turn is not None:
                yield from _item(turn, session, ctx, tree)
            turn = None
        elif kind == "model_change":
            model_hint = _model(entry.obj.get("provider"), entry.obj.get("modelId")) or model_hint
        elif kind == "message":
            message = entry.obj.get("message")
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                yield reject(session.path, entry.line, "message entry has no message with a role")
                continue
            if message["role"] == "user":
                if turn is not None:
                    yield from _item(turn, session, ctx, tree)
                turn = _Turn(entry, model_hint=model_hint)
            elif turn is not None:
                turn.entries.append(entry)
        elif kind == "custom_message" and turn is not None:
            turn.entries.append(entry)
    if turn is not None:
        yield from _item(turn, session, ctx, tree)


def _item(turn: _Turn, session: Session, ctx: Context, tree: bool) -> Iterator[Emitted]:
    user = turn.user.obj["message"]
    assistants = [
        entry.obj["message"]
        for entry in turn.entries
        if entry.obj.get("type") == "message" and entry.obj["message"].get("role") == "assistant"
    ]
    output = ""
    for message in reversed(assistants):
        text = text_of(message.get("content"))
        if text.strip():
            output = text
            break
    if output.strip() == HEARTBEAT:
        return
    created_at = (
        from_ms(user.get("timestamp"))
        or from_iso(turn.user.obj.get("timestamp"))
        or from_iso(session.fallback_time)
    )
    if created_at is None:
        yield reject(session.path, turn.user.line, "user message has no timestamp")
        return
    input_text = text_of(user.get("content"))
    calls = _tool_calls(turn.entries)
    last = assistants[-1] if assistants else {}
    model = turn.model_hint
    for message in reversed(assistants):
        found = _model(message.get("provider"), message.get("model"))
        if found:
            model = found
            break
    entry_id = turn.user.id if tree else None
    meta: dict[str, Any] = {
        "openclaw_session_id": session.session_id,
        "openclaw_entry_id": entry_id,
        "openclaw_line": turn.user.line,
        "stop_reason": last.get("stopReason") if isinstance(last.get("stopReason"), str) else None,
        "tool_errors": sum(1 for call in calls if call.is_error),
    }
    meta.update(_usage(assistants))
    error_message = last.get("errorMessage")
    if isinstance(error_message, str) and error_message:
        meta["error_message"] = error_message
    if not assistants:
        meta["no_reply"] = True
    meta[OUTCOME_KEY] = _stop_outcome(meta["stop_reason"], meta.get("error_message"))
    meta.update(store_meta(session.store, session.store_key))
    try:
        yield make_item(
            ctx=ctx,
            id=f"{session.session_id}:{entry_id or turn.user.line}",
            created_at=created_at,
            agent=session.agent,
            task_type=task_type(ctx, (session.store, meta), "conversation"),
            input=input_text,
            output=output,
            model=model,
            tool_calls=calls,
            transcript=_transcript(input_text, turn.entries),
            meta=meta,
            check_values=session.check_values,
        )
    except Invalid as error:
        yield reject(session.path, turn.user.line, error.reason)


def _stop_outcome(stop_reason: str | None, error_message: str | None) -> dict[str, str]:
    """The ``platform_outcome`` of a turn whose last assistant message stopped for
    ``stop_reason`` (Pi's ``stopReason``), with the model's ``errorMessage``."""
    if stop_reason == "error":
        return outcome(PlatformStatus.ERRORED, error_message)
    if stop_reason == "aborted":
        said = f"aborted: {error_message}" if error_message else "aborted"
        return outcome(PlatformStatus.ERRORED, said)
    if stopped_at_length(stop_reason):
        return outcome(PlatformStatus.TRUNCATED, f"stop reason {stop_reason}")
    if stop_reason in _FINISHED:
        return outcome(PlatformStatus.PASSED)
    return outcome(PlatformStatus.UNKNOWN)


def _model(provider: object, model: object) -> str:
    parts = [part for part in (provider, model) if isinstance(part, str) and part]
    return "/".join(parts)


def _tool_calls(entries: list[Entry]) -> tuple[ToolCall, ...]:
    calls: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for entry in entries:
        message = entry.obj.get("message")
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role == "assistant" and isinstance(message.get("content"), list):
            for part in message["content"]:
                if isinstance(part, dict) and part.get("type") == "toolCall":
                    call = {
                        "name": _name(part.get("name")),
                        "arguments": part.get("arguments"),
                        "result": None,
                        "is_error": False,
                    }
                    calls.append(call)
                    if isinstance(part.get("id"), str):
                        by_id[part["id"]] = call
        elif role == "toolResult":
            call_id = message.get("toolCallId")
            matched = by_id.pop(call_id, None) if isinstance(call_id, str) else None
            if matched is None:
                matched = {"name": _name(message.get("toolName")), "arguments": None}
                calls.append(matched)
            matched["result"] = text_of(message.get("content"))
            matched["is_error"] = message.get("isError") is True
    return tuple(
        ToolCall(call["name"], call["arguments"], call["result"], call["is_error"])
        for call in calls
    )


def _name(value: object) -> str:
    return value if isinstance(value, str) and value else "unknown"


def _transcript(input_text: str, entries: list[Entry]) -> tuple[Turn, ...]:
    turns = [Turn("user", input_text)]
    for entry in entries:
        if entry.obj.get("type") == "custom_message":
            turns.append(Turn("custom", text_of(entry.obj.get("content"))))
            continue
        message = entry.obj["message"]
        role = message["role"]
        if role == "assistant":
            lines = [text_of(message.get("content"))] if text_of(message.get("content")) else []
            for part in message.get("content") or []:
                if isinstance(part, dict) and part.get("type") == "toolCall":
                    lines.append(f"→ {_name(part.get('name'))} {_compact(part.get('arguments'))}")
            turns.append(Turn("assistant", "\n".join(lines)))
        elif role == "toolResult":
            turns.append(Turn("tool", text_of(message.get("content"))))
        else:
            # custom / hookMessage / bashExecution and other extension messages
            turns.append(Turn(role, text_of(message.get("content"))))
    return tuple(turns)


def _compact(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return str(value)


def _usage(assistants: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, int | float] = {}
    cost: float | None = None
    for message in assistants:
        usage = message.get("usage")
        if not isinstance(usage, dict):
            continue
        for key in _USAGE_KEYS:
            value = number(usage.get(key))
            if value is not None:
                totals[key] = totals.get(key, 0) + value
        spent = usage.get("cost")
        total = number(spent.get("total")) if isinstance(spent, dict) else None
        if total is not None:
            cost = (cost or 0.0) + total
    return {"usage": totals, "cost": None if cost is None else round(cost, 10)}
