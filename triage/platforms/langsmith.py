"""Items from LangSmith: the root runs of one project, through ``POST /api/v1/runs/query``.

The project (``project`` in the source's settings) is a name or an id. An id (a UUID)
is used as it is; a name is looked up with ``GET /api/v1/sessions?name=…``. Runs are
then queried with ``{session: [id], is_root: true, start_time, limit, cursor}``,
following ``cursors.next``. Requests carry the API key in ``x-api-key`` (and the
workspace in ``X-Tenant-Id`` for keys that span several workspaces).

Mapping to an :class:`~triage.core.models.Item`:

- ``id``: the run id; ``created_at``: ``start_time`` (LangSmith's times have no offset:
  they are UTC).
- ``input``: from ``inputs``: the last user message when it holds chat messages (all of
  them become the transcript), the text when it holds one text field, else compact JSON.
- ``output``: from ``outputs``: the assistant's content from ``messages``, ``output``
  (text or a message), ``text`` or ``generations``, with the assistant's tool calls;
  else compact JSON.
- ``agent``: the source's ``agent`` setting, else the run's ``name``.
- ``task_type``: the value at ``task_type_field``, looked up in ``extra.metadata`` (then
  in the run itself), else the run's ``name``.
- ``model``: ``ls_model_name`` from the metadata, else the invocation parameters'
  model, else ``unknown``.
- ``meta``: ``langsmith_run_id``, ``langsmith_trace_id``, ``run_type``, ``status``,
  ``error``, ``tokens``, ``cost``, ``latency``, ``tags``, ``feedback_stats``,
  ``metadata`` (absent values are left out), ``platform_outcome``.
- ``platform_outcome``: ``errored`` with the error text when ``status`` is ``error`` or
  the run has an ``error``; else ``truncated`` when the outputs carry a length finish
  reason (``finish_reason`` or ``stop_reason`` of an OpenAI choice, a generation or the
  answer's ``response_metadata``); else ``passed`` for ``success``; ``unknown`` for
  ``pending`` and anything else.

Resuming works as for Langfuse (:mod:`triage.platforms.api`): a batch's ``position`` is
the next cursor, with ``@`` and the read's start time when it had one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from triage.config.schema import SourceConfig
from triage.core.models import Item, Rejection
from triage.platforms import Batch, SourceError
from triage.platforms.adapters.langsmith import DEFAULT_HOST, auth_headers
from triage.platforms.api import ACCEPT, api_base, resume_point, resume_position, with_client
from triage.platforms.chat import Chat, chat_request, chat_response, compact_json
from triage.platforms.common import (
    Context,
    Invalid,
    convert_records,
    from_iso,
    make_item,
    scalar_text,
    task_type,
)
from triage.platforms.origins import Credential
from triage.platforms.outcomes import OUTCOME_KEY, PlatformStatus, outcome, truncated_by
from triage.platforms.pages import display_url
from triage.platforms.retry import Retrying, fetch_json

__all__ = ["DEFAULT_HOST", "SELECT", "read_langsmith"]


SELECT = (
    "id",
    "name",
    "run_type",
    "start_time",
    "end_time",
    "status",
    "error",
    "inputs",
    "outputs",
    "extra",
    "tags",
    "trace_id",
    "session_id",
    "parent_run_id",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "total_cost",
    "first_token_time",
    "feedback_stats",
)
"""The run fields asked for."""


def read_langsmith(
    config: SourceConfig,
    *,
    source: str,
    api_key: str,
    tenant: str | None = None,
    since: datetime | None = None,
    position: str | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    page_size: int = 100,
    max_retries: int = 5,
    backoff: float = 0.5,
    timeout: float = 30.0,
) -> Iterator[Batch]:
    """Batches of items from the root runs of ``config.project``, one per page.

    ``source`` becomes each item's ``Item.source``; ``since`` keeps only runs that
    started then or later; ``position`` is a :attr:`Batch.position` of an earlier read
    to continue after. Without a ``client`` one is made and closed at the end. Raises
    :class:`~triage.platforms.SourceError` when the runs cannot be read (a refused key says
    so and asks to check the credentials; no message ever holds a key). The key goes
    only to the host's origin; redirects follow the source's ``follow_redirects``
    (:mod:`triage.platforms.origins`).
    """
    project = (config.project or "").strip()
    if not project:
        raise SourceError("a LangSmith source needs project: the project's name or id")
    headers = auth_headers(api_key, tenant)
    base = api_base(config.url, DEFAULT_HOST)
    reader = _Reader(
        base=base,
        project=project,
        ctx=Context(source=source, agent=config.agent, task_type_field=config.task_type_field),
        credential=Credential.to(base, headers, config.follow_redirects),
        retrying=Retrying(max_retries=max_retries, backoff=backoff, sleep=sleep),
        page_size=max(1, min(page_size, 100)),
    )
    cursor, start = resume_point(position, since)
    return with_client(lambda own: reader.runs(own, cursor, start), client, timeout)


@dataclass
class _Reader:
    base: httpx.URL
    project: str
    ctx: Context
    credential: Credential
    retrying: Retrying
    page_size: int

    def project_id(self, client: httpx.Client) -> str:
        """The project's id: the setting itself when it is one, else looked up by name."""
        try:
            return str(uuid.UUID(self.project))
        except ValueError:
            pass
        url = self.base.join("api/v1/sessions").copy_merge_params(
            {"name": self.project, "limit": "1"}
        )
        where = display_url(url)
        body, _ = fetch_json(
            client, url, where=where, retrying=self.retrying, headers=ACCEPT,
            credential=self.credential,
        )  # fmt: skip
        found = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
        for entry in found:
            if isinstance(entry, dict) and entry.get("id") and entry.get("name") == self.project:
                return str(entry["id"])
        for entry in found:
            if isinstance(entry, dict) and entry.get("id"):
                return str(entry["id"])
        raise SourceError(
            f"LangSmith has no project named {self.project!r} (asked {where}); check project "
            "in the source's settings, or give the project's id"
        )

    def runs(
        self, client: httpx.Client, cursor: str | None, start: datetime | None
    ) -> Iterator[Batch]:
        session = self.project_id(client)
        url = self.base.join("api/v1/runs/query")
        query: dict[str, Any] = {
            "session": [session],
            "is_root": True,
            "limit": self.page_size,
            "select": list(SELECT),
        }
        if start is not None:
            query["start_time"] = start.isoformat()
        seen_ids: set[str] = set()
        seen_cursors: set[str] = set()
        if cursor is not None:
            seen_cursors.add(cursor)
        done = 0
        page = 0
        while True:
            page += 1
            body_query = dict(query)
            if cursor is not None:
                body_query["cursor"] = cursor
            where = f"{display_url(url)} (page {page})"
            body, surrogates = fetch_json(
                client,
                url,
                method="POST",
                where=where,
                retrying=self.retrying,
                headers=ACCEPT,
                credential=self.credential,
                json_body=body_query,
            )
            if not isinstance(body, dict) or not isinstance(body.get("runs"), list):
                raise SourceError(f"the answer from {where} has no 'runs' list")
            records: list[Any] = body["runs"]
            following = _next_cursor(body.get("cursors"), where)
            items, rejected = self._parse(records, where, surrogates, seen_ids)
            done += len(records)
            position = resume_position(following, start) if following else None
            yield Batch(items, rejected, done, None, position)
            if following is None or not records:
                return
            if following in seen_cursors:
                raise SourceError(
                    f"paging through {display_url(url)} goes round in a loop: {where} gives "
                    "a cursor that was already followed"
                )
            seen_cursors.add(following)
            cursor = following

    def _parse(
        self, records: list[Any], where: str, surrogates: bool, seen: set[str]
    ) -> tuple[list[Item], list[Rejection]]:
        return convert_records(
            records, where=where, surrogates=surrogates, seen=seen, convert=_run, ctx=self.ctx,
            noun="run",
        )  # fmt: skip


def _next_cursor(cursors: object, where: str) -> str | None:
    if not isinstance(cursors, dict):
        return None
    value = cursors.get("next")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SourceError(f"'cursors.next' in the answer from {where} is neither text nor null")
    return value


# --- runs -----------------------------------------------------------------------------


def _run(run: Mapping[str, Any], ctx: Context) -> Item:
    run_id = run.get("id")
    if not isinstance(run_id, str) or not run_id:
        raise Invalid("missing required field 'id'" if run_id is None else "'id' is not text")
    created = from_iso(run.get("start_time"))
    if created is None:
        value = run.get("start_time")
        raise Invalid(
            "missing required field 'start_time'"
            if value is None
            else f"'start_time' is not an ISO 8601 date-time: {str(value)[:60]!r}"
        )
    extra = _mapping(run.get("extra"))
    # The v2 run shape has the metadata at the top.
    metadata = _mapping(extra.get("metadata")) or _mapping(run.get("metadata"))
    name = scalar_text(run.get("name"))
    request = _inputs(run.get("inputs"))
    response = _outputs(run.get("outputs"))
    tokens = {
        key: run.get(f"{key}_tokens")
        for key in ("prompt", "completion", "total")
        if isinstance(run.get(f"{key}_tokens"), int)
    }
    meta = {
        "langsmith_run_id": run_id,
        "langsmith_trace_id": run.get("trace_id"),
        "run_type": run.get("run_type"),
        "status": run.get("status"),
        "error": run.get("error"),
        "tokens": tokens,
        "cost": _number(run.get("total_cost")),
        "latency": _latency(created, run.get("end_time")),
        "tags": run.get("tags"),
        "feedback_stats": run.get("feedback_stats"),
        "metadata": dict(metadata),
    }
    meta = {k: v for k, v in meta.items() if v is not None and v != [] and v != {}}
    meta[OUTCOME_KEY] = _outcome(run)
    return make_item(
        ctx=ctx,
        id=run_id,
        created_at=created,
        agent=name or ctx.source,
        task_type=_task_type(ctx, run, metadata, name or "unknown"),
        input=request.text,
        output=response.text,
        model=_model(metadata, extra) or "",
        tool_calls=response.tool_calls,
        transcript=request.turns,
        meta=meta,
    )


def _outcome(run: Mapping[str, Any]) -> dict[str, str]:
    error = run.get("error")
    if run.get("status") == "error" or (error is not None and error != ""):
        return outcome(PlatformStatus.ERRORED, error if error else "status error")
    cut = truncated_by(_finish_reasons(run.get("outputs")))
    if cut is not None:
        return outcome(PlatformStatus.TRUNCATED, f"finish reason {cut}")
    if run.get("status") == "success":
        return outcome(PlatformStatus.PASSED)
    return outcome(PlatformStatus.UNKNOWN)


_FINISH_KEYS = ("finish_reason", "stop_reason")


def _finish_reasons(outputs: object) -> list[object]:
    """The finish reasons the usual output shapes carry: a raw OpenAI or Anthropic
    response, LangChain generations, or the answer message's ``response_metadata``."""
    if not isinstance(outputs, Mapping):
        return []
    found: list[object] = [outputs.get(key) for key in _FINISH_KEYS]
    for choice in outputs.get("choices") or []:
        if isinstance(choice, Mapping):
            found.append(choice.get("finish_reason"))
    first = _first_generation(outputs.get("generations"))
    answers: list[object] = []
    if first is not None:
        info = _mapping(first.get("generation_info"))
        found.extend(info.get(key) for key in _FINISH_KEYS)
        answers.append(first.get("message"))
    messages = outputs.get("messages")
    answers.append(messages[-1] if isinstance(messages, list) and messages else None)
    answers.append(outputs.get("output"))
    for message in answers:
        if not isinstance(message, Mapping):
            continue
        # A serialised LangChain message keeps its fields under ``kwargs``.
        fields = _mapping(message.get("kwargs")) or message
        metadata = _mapping(fields.get("response_metadata"))
        found.extend(metadata.get(key) for key in _FINISH_KEYS)
    return found


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _task_type(
    ctx: Context, run: Mapping[str, Any], metadata: Mapping[str, Any], default: str
) -> str:
    # ``task_type`` and ``metadata.task_type`` both mean the metadata's key.
    return task_type(ctx, (metadata, run, {"metadata": metadata}), default)


def _model(metadata: Mapping[str, Any], extra: Mapping[str, Any]) -> str | None:
    found = scalar_text(metadata.get("ls_model_name"))
    if found:
        return found
    params = extra.get("invocation_params")
    if isinstance(params, Mapping):
        for key in ("model", "model_name", "model_id"):
            found = scalar_text(params.get(key))
            if found:
                return found
    return None


def _inputs(inputs: object) -> Chat:
    chat = chat_request(inputs)
    if chat.from_messages or not isinstance(inputs, Mapping):
        return chat
    return _single_text(inputs) or Chat(compact_json(dict(inputs)) if inputs else "")


def _outputs(outputs: object) -> Chat:
    if isinstance(outputs, Mapping):
        for key in ("messages", "output", "text", "answer", "content"):
            value = outputs.get(key)
            if isinstance(value, str):
                return Chat(value)
            if value is not None:
                chat = chat_response(value)
                if chat.from_messages:
                    return chat
        first = _first_generation(outputs.get("generations"))
        if first is not None:
            chat = chat_response(first.get("message"))
            if chat.from_messages and (chat.text or chat.tool_calls):
                return chat
            if isinstance(first.get("text"), str):
                return Chat(first["text"])
        single = _single_text(outputs)
        if single is not None:
            return single
    return chat_response(outputs)


def _single_text(values: Mapping[str, Any]) -> Chat | None:
    """The text of a mapping holding nothing but one text field."""
    if len(values) == 1:
        (only,) = values.values()
        if isinstance(only, str):
            return Chat(only)
    return None


def _first_generation(generations: object) -> Mapping[str, Any] | None:
    while isinstance(generations, list) and generations:
        generations = generations[0]
    return generations if isinstance(generations, Mapping) else None


def _number(value: object) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(Decimal(value))
        except (InvalidOperation, ValueError):
            return None
    return None


def _latency(start: datetime, end: object) -> float | None:
    finished = from_iso(end)
    if finished is None:
        return None
    return round((finished - start).total_seconds(), 3)
