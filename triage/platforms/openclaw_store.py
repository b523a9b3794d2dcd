"""OpenClaw's ``sessions.json``: the session store next to the transcripts.

It maps each session key (``agent:<agentId>:<channel>:…``, ``cron:<job>``, ``hook:<uuid>``)
to a ``SessionEntry`` whose ``sessionId`` names the transcript file. The entry gives the
session's outcome (``status``: done, failed, killed, timeout, interrupted), channel and
labels, which the session reader copies into each item's ``meta``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from triage.platforms.common import (
    Context,
    Emitted,
    Invalid,
    load_document,
    needs_check,
    read_bytes,
    reject,
)

__all__ = ["agent_from_key", "agent_name", "store_entry", "store_meta"]


def store_entry(
    path: Path, ctx: Context, session_id: str, base: str
) -> tuple[str | None, dict[str, Any] | None, Emitted | None, bool]:
    """The ``sessions.json`` key and entry for this session, a rejection the first time
    a folder's ``sessions.json`` cannot be read, and whether that file holds escapes
    that may be unpaired surrogates."""
    folder = path.parent
    cache_key = ("openclaw-sessions.json", folder)
    problem: Emitted | None = None
    if cache_key not in ctx.cache:
        store_path = folder / "sessions.json"
        index: dict[str, tuple[str, dict[str, Any]]] = {}
        suspect = False
        if store_path.is_file():
            try:
                data = read_bytes(store_path, ctx.max_record_bytes)
                suspect = needs_check(data)
                store = load_document(data)
                if not isinstance(store, dict):
                    raise Invalid("sessions.json is not an object of session entries")
            except Invalid as error:
                problem = reject(store_path, 1, error.reason)
                store = {}
            for key, entry in store.items():
                if isinstance(entry, dict) and isinstance(entry.get("sessionId"), str):
                    index.setdefault(entry["sessionId"], (str(key), entry))
        ctx.cache[cache_key] = (index, suspect)
    index, suspect = ctx.cache[cache_key]
    found = index.get(session_id) or index.get(base)
    if found is None:
        return None, None, problem, False
    return found[0], found[1], problem, suspect


def store_meta(store: dict[str, Any] | None, key: str | None) -> dict[str, Any]:
    """The item meta taken from a session's ``sessions.json`` entry."""
    if store is None:
        return {}
    meta: dict[str, Any] = {"openclaw_session_key": key}
    for name, key in (
        ("session_status", "status"),
        ("channel", "lastChannel"),
        ("chat_type", "chatType"),
    ):
        if store.get(key) is not None:
            meta[name] = store[key]
    label = store.get("label") or store.get("displayName")
    if isinstance(label, str) and label:
        meta["session_label"] = label
    return meta


def agent_name(path: Path, store_key: str | None) -> str:
    """``<agentId>`` for a file under ``agents/<agentId>/sessions/``, else the session
    key's agent, else ``openclaw``."""
    parts = path.parts
    for index in range(len(parts) - 3, -1, -1):
        if parts[index] == "agents" and parts[index + 2] == "sessions":
            return parts[index + 1]
    return agent_from_key(store_key) or "openclaw"


def agent_from_key(key: object) -> str | None:
    """``main`` for a session key ``agent:main:…``; ``None`` for other keys."""
    if isinstance(key, str) and key.startswith("agent:"):
        agent = key.split(":")[1]
        return agent or None
    return None
