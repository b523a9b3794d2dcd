"""OpenClaw trajectory exports → items, one per agent run.

``openclaw sessions export-trajectory`` writes a folder holding ``events.jsonl`` (every
line carries ``"traceSchema":"openclaw-trajectory","schemaVersion":1``), ``artifacts.json``
(the final status, errors, usage, assistant texts and tool metadata of the latest run),
``metadata.json`` and ``manifest.json``. A runtime sidecar ``<session>.trajectory.jsonl``
holds the same runtime events and is read the same way, without the extra files.

Runtime events are grouped by ``runId``; each run with a ``prompt.submitted``,
``model.completed`` or ``trace.artifacts`` event becomes one item:

- ``id``: ``<sessionId>:<runId>`` (``<sessionId>`` for events without a run id)
- ``input``: the run's first submitted prompt; ``created_at``: that event's ``ts``
- ``output``: the run's ``assistantTexts`` (from ``trace.artifacts``, else
  ``model.completed``, else ``artifacts.json`` for the latest run) joined by blank lines;
  the texts sent with the messaging tool when there are none
- ``tool_calls``: ``toolMetas`` (name, and the summary as result); the tool named in
  ``lastToolError`` is marked as an error, with the error as its result
- ``model``: ``provider/modelId`` of the run's events, else ``metadata.json``'s model
- ``agent``: ``agentId`` of ``session.started``, else the session key's agent, else
  ``openclaw``; ``task_type``: ``conversation``, or ``task_type_field`` looked up in
  ``metadata.json``, then the ``session.started`` data, then the item's ``meta``
- ``meta``: ``openclaw_session_id``, ``openclaw_session_key``, ``openclaw_run_id``,
  ``final_status``, ``aborted``, ``timed_out``, ``prompt_error``, ``terminal_error``,
  ``last_tool_error``, ``tool_errors``, ``usage``, ``compaction_count``,
  ``platform_outcome``, ``channel``
- ``platform_outcome``: ``errored`` for an aborted or timed-out run, or one with a
  ``promptError`` or ``terminalError`` or a final status other than ``ok`` (the reason:
  the error, else what ended it); ``passed`` for ``finalStatus`` ``ok`` (a failed tool
  is a tool error, not the run's outcome); ``unknown`` when the run has no final status

An export without runtime events (capture was off) still holds the transcript events of
the active branch; those are read like a session transcript, one item per user turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.core.models import ToolCall, Turn
from triage.platforms.adapters.openclaw import TRAJECTORY_MARKER as MARKER
from triage.platforms.common import (
    Context,
    Emitted,
    Invalid,
    json_lines,
    load_document,
    make_item,
    read_bytes,
    reject,
    task_type,
)
from triage.platforms.openclaw import Entry, Session, turn_items
from triage.platforms.openclaw_store import agent_from_key
from triage.platforms.outcomes import OUTCOME_KEY, PlatformStatus, joined, outcome
from triage.platforms.values import (
    from_iso,
    text_of,
)

__all__ = ["MARKER", "read_trajectory"]

_RUN_EVENTS = frozenset({"prompt.submitted", "model.completed", "trace.artifacts"})


def read_trajectory(path: Path, ctx: Context) -> Iterator[Emitted]:
    """Items (and rejections) for an export folder, or a trajectory events file."""
    folder = path if path.is_dir() else path.parent
    events_path = path / "events.jsonl" if path.is_dir() else path
    bundle = path.is_dir() or path.name == "events.jsonl"
    docs: dict[str, dict[str, Any]] = {}
    for name in ("artifacts", "metadata", "manifest"):
        doc_path = folder / f"{name}.json"
        if not bundle or not doc_path.is_file():
            continue
        try:
            doc = load_document(read_bytes(doc_path, ctx.max_record_bytes))
            if not isinstance(doc, dict):
                raise Invalid(f"{name}.json is not an object")
            docs[name] = doc
        except Invalid as error:
            yield reject(doc_path, 1, error.reason)
    runs: dict[str, list[dict[str, Any]]] = {}
    first: list[dict[str, Any]] = []
    lines: dict[int, int] = {}
    transcript: list[Entry] = []
    for line in json_lines(events_path, ctx.max_record_bytes):
        if line.reason is not None:
            yield reject(events_path, line.number, line.reason)
            continue
        event = line.value
        if (
            not isinstance(event, dict)
            or event.get("traceSchema") != MARKER
            or not isinstance(event.get("type"), str)
        ):
            yield reject(events_path, line.number, "not an openclaw-trajectory event")
            continue
        if not first:
            first.append(event)
        if event.get("source", "runtime") == "runtime":
            run_id = event.get("runId")
            runs.setdefault(run_id if isinstance(run_id, str) else "", []).append(event)
            lines[id(event)] = line.number
        elif event.get("source") == "transcript":
            entry = _as_entry(line.number, event)
            if entry is not None:
                transcript.append(entry)
    ids = _session_ids(runs, first, docs, folder)
    with_items = [run for run, events in runs.items() if _is_run(events)]
    for run_id in with_items:
        latest = run_id == with_items[-1]
        events = runs[run_id]
        where = (events_path, lines[id(events[0])])
        yield from _run_item(run_id, events, ids, docs, latest, where, ctx)
    if not with_items and transcript:
        session = Session(
            path=events_path,
            session_id=ids[0],
            agent=agent_from_key(ids[1]) or "openclaw",
            store_key=ids[1],
        )
        yield from turn_items(transcript, session, ctx, tree=True)


def _is_run(events: list[dict[str, Any]]) -> bool:
    return any(event["type"] in _RUN_EVENTS for event in events)


def _as_entry(line: int, event: dict[str, Any]) -> Entry | None:
    """A transcript message event as the session entry it was made from."""
    data = event.get("data")
    message = data.get("message") if isinstance(data, dict) else None
    entry_id = event.get("entryId")
    if not isinstance(message, dict) or not isinstance(entry_id, str):
        return None
    obj = {
        "type": "message",
        "id": entry_id,
        "parentId": event.get("parentEntryId"),
        "timestamp": event.get("ts"),
        "message": message,
    }
    return Entry(line, obj)


def _session_ids(
    runs: dict[str, list[dict[str, Any]]],
    first: list[dict[str, Any]],
    docs: dict[str, dict[str, Any]],
    folder: Path,
) -> tuple[str, str | None]:
    """The session id and key: from the runtime events, else the first event, else the
    manifest or artifacts; the folder name when none says."""
    session_id: str | None = None
    session_key: str | None = None
    candidates = [event for events in runs.values() for event in events]
    for record in (*candidates, *first, docs.get("manifest", {}), docs.get("artifacts", {})):
        if session_id is None and isinstance(record.get("sessionId"), str):
            session_id = record["sessionId"]
        if session_key is None and isinstance(record.get("sessionKey"), str):
            session_key = record["sessionKey"]
    return session_id or folder.name, session_key


def _last(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    for event in reversed(events):
        if event["type"] == kind and isinstance(event.get("data"), dict):
            data: dict[str, Any] = event["data"]
            return data
    return {}


def _run_item(
    run_id: str,
    events: list[dict[str, Any]],
    ids: tuple[str, str | None],
    docs: dict[str, dict[str, Any]],
    latest: bool,
    where: tuple[Path, int],
    ctx: Context,
) -> Iterator[Emitted]:
    session_id, session_key = ids
    prompt_event = next((e for e in events if e["type"] == "prompt.submitted"), events[0])
    prompt_data = prompt_event.get("data")
    prompt = prompt_data.get("prompt") if isinstance(prompt_data, dict) else None
    started: dict[str, Any] = next(
        (e["data"] for e in events if e["type"] == "session.started" and _has_data(e)), {}
    )
    # The run's own record first; artifacts.json holds the latest run's.
    sources = [
        _last(events, "trace.artifacts"),
        _last(events, "model.completed"),
        _last(events, "session.ended"),
    ]
    if latest:
        sources.append(docs.get("artifacts", {}))

    def pick(*keys: str) -> Any:
        for record in sources:
            for key in keys:
                if record.get(key) is not None:
                    return record[key]
        return None

    texts = _texts(pick("assistantTexts")) or _texts(pick("messagingToolSentTexts"))
    output = "\n\n".join(texts)
    calls = _tool_calls(pick("toolMetas"), pick("lastToolError"))
    created_at = from_iso(prompt_event.get("ts")) or from_iso(events[0].get("ts"))
    if created_at is None:
        yield reject(*where, "run has no valid 'ts' timestamp")
        return
    input_text = prompt if isinstance(prompt, str) else ""
    meta: dict[str, Any] = {
        "openclaw_session_id": session_id,
        "openclaw_session_key": session_key,
        "openclaw_run_id": run_id or None,
        "final_status": pick("finalStatus", "status"),
        "aborted": pick("aborted"),
        "timed_out": pick("timedOut"),
        "prompt_error": pick("promptError"),
        "terminal_error": pick("terminalError"),
        "last_tool_error": pick("lastToolError"),
        "tool_errors": sum(1 for call in calls if call.is_error),
        "usage": pick("usage") or {},
        "compaction_count": pick("compactionCount"),
    }
    meta[OUTCOME_KEY] = _outcome(meta)
    if isinstance(started.get("messageChannel"), str):
        meta["channel"] = started["messageChannel"]
    agent = started.get("agentId")
    try:
        yield make_item(
            ctx=ctx,
            id=f"{session_id}:{run_id}" if run_id else session_id,
            created_at=created_at,
            agent=agent if isinstance(agent, str) and agent else _agent(session_key),
            task_type=task_type(ctx, (docs.get("metadata"), started, meta), "conversation"),
            input=input_text,
            output=output,
            model=_model(events, docs.get("metadata", {})),
            tool_calls=calls,
            transcript=(Turn("user", input_text), *(Turn("assistant", t) for t in texts)),
            meta=meta,
            check_values=True,  # artifacts.json and metadata.json are not checked by line
        )
    except Invalid as error:
        yield reject(*where, error.reason)


def _outcome(meta: dict[str, Any]) -> dict[str, str]:
    """The run's outcome from its final status, abort and time-out flags and errors."""
    status = meta["final_status"]
    errors = joined((meta["prompt_error"], meta["terminal_error"]))
    if meta["aborted"] is True:
        return outcome(PlatformStatus.ERRORED, f"aborted: {errors}" if errors else "aborted")
    if meta["timed_out"] is True or status == "timeout":
        return outcome(PlatformStatus.ERRORED, errors or "timed out")
    if errors is not None or (isinstance(status, str) and status not in ("ok", "")):
        return outcome(PlatformStatus.ERRORED, errors or f"final status {status}")
    if status == "ok":
        return outcome(PlatformStatus.PASSED)
    return outcome(PlatformStatus.UNKNOWN)


def _has_data(event: dict[str, Any]) -> bool:
    return isinstance(event.get("data"), dict)


def _agent(session_key: str | None) -> str:
    return agent_from_key(session_key) or "openclaw"


def _texts(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [text for text in (_text(part) for part in value) if text.strip()]


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return text_of(value.get("text", value.get("content")))
    return ""


def _tool_calls(metas: object, last_error: object) -> tuple[ToolCall, ...]:
    calls: list[list[Any]] = []
    for meta in metas if isinstance(metas, list) else []:
        if isinstance(meta, dict):
            name = meta.get("toolName") or meta.get("name")
            calls.append([name if isinstance(name, str) and name else "unknown", meta.get("meta")])
    errors: list[int] = []
    if isinstance(last_error, dict):
        name = last_error.get("toolName")
        error = last_error.get("error")
        match = [
            i
            for i, (tool, summary) in enumerate(calls)
            if tool == name and last_error.get("meta") in (None, summary)
        ]
        if match:
            calls[match[-1]][1] = error if error is not None else calls[match[-1]][1]
            errors.append(match[-1])
        else:
            calls.append([name if isinstance(name, str) and name else "unknown", error])
            errors.append(len(calls) - 1)
    return tuple(
        ToolCall(name, None, result, index in errors) for index, (name, result) in enumerate(calls)
    )


def _model(events: list[dict[str, Any]], metadata: dict[str, Any]) -> str:
    for event in reversed(events):
        model = event.get("modelId")
        if isinstance(model, str) and model:
            provider = event.get("provider")
            return f"{provider}/{model}" if isinstance(provider, str) and provider else model
    described = metadata.get("model")
    if isinstance(described, dict):
        name = described.get("name") or described.get("id")
        provider = described.get("provider")
        if isinstance(name, str) and name:
            return f"{provider}/{name}" if isinstance(provider, str) and provider else name
    return ""
