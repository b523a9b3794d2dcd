"""Items from Langfuse's public API: root observations (v4 API) or traces (v3 API).

``api = "v2"`` (the default, Langfuse v4 and Langfuse Cloud) reads
``GET {host}/api/public/v2/observations`` with ``isRootObservation=true``: one item per
root observation, newest first, cursor-paged through ``meta.cursor``. ``api = "v3"``
(older self-hosted Langfuse) reads ``GET {host}/api/public/traces`` ordered by
``timestamp.asc``: one item per trace, page-numbered until ``meta.totalPages``. Both
authenticate with HTTP Basic (public key, secret key).

Mapping to an :class:`~triage.core.models.Item`:

- ``id``: the observation id (v2) or trace id (v3); ``created_at``: ``startTime`` /
  ``timestamp``.
- ``input`` / ``output``: v2 sends them as raw strings, v3 as JSON. When the value is
  chat messages (a list of ``{role, content}``, ``{"messages": [...]}`` or one message)
  the input is the last user message and the output the assistant's content, and the
  input messages become the transcript, the assistant's tool calls the tool calls.
  Other v2 text is kept exactly as sent; other v3 JSON becomes compact JSON text.
- ``model``: ``providedModelName`` (``unknown`` when absent); ``agent``: the source's
  ``agent`` setting, else ``traceName`` (v2) or ``name``, else the source name.
- ``task_type``: the value at the source's ``task_type_field`` (a dotted path into the
  record, such as ``metadata.task_type``), else the observation's or trace's ``name``.
- ``meta``: ``langfuse_trace_id``, ``langfuse_observation_id`` (v2), ``level``,
  ``status_message``, ``usage``, ``cost``, ``latency``, ``tags``, ``session_id``,
  ``user_id`` and a few more when Langfuse sends them (absent values are left out), and
  ``platform_outcome``.
- ``platform_outcome``: ``errored`` with the ``statusMessage`` for an observation whose
  ``level`` is ``ERROR``; Langfuse has no success flag, so every other level
  (``DEFAULT``, ``DEBUG``, ``WARNING``) is ``unknown``. A trace has no level: it is
  ``unknown`` unless the trace carries its observations as objects and the root one
  (no ``parentObservationId``) is at ``ERROR``.

Resuming: a batch's ``position`` is the cursor (v2) or the next page number (v3) of the
read it came from, followed by ``@`` and that read's start time when it had one. A read
given a ``position`` starts exactly after that batch and uses the start time inside it
(the ``since`` argument is then ignored), so nothing is read twice or skipped even when
the caller's idea of "since" moved on meanwhile.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from triage.config.schema import SourceConfig
from triage.core.models import Item, Rejection
from triage.platforms import Batch, SourceError
from triage.platforms.adapters.langfuse import DEFAULT_HOST, auth_headers
from triage.platforms.api import ACCEPT, api_base, iso_z, resume_point, resume_position, with_client
from triage.platforms.chat import chat_request, chat_response
from triage.platforms.common import (
    Context,
    Invalid,
    convert_records,
    from_iso,
    make_item,
    maybe_json,
    scalar_text,
    task_type,
)
from triage.platforms.origins import Credential
from triage.platforms.outcomes import OUTCOME_KEY, PlatformStatus, outcome
from triage.platforms.pages import display_url
from triage.platforms.retry import Retrying, fetch_json
from triage.platforms.secrets import Secrets

__all__ = ["DEFAULT_HOST", "read_langfuse"]

V2_FIELDS = "core,basic,io,usage,model,metrics,trace_context"
V3_FIELDS = "core,io,metrics"


def read_langfuse(
    config: SourceConfig,
    *,
    source: str,
    public_key: str,
    secret_key: str,
    since: datetime | None = None,
    position: str | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    page_size: int = 100,
    max_retries: int = 5,
    backoff: float = 0.5,
    timeout: float = 30.0,
) -> Iterator[Batch]:
    """Batches of items from the Langfuse project the keys belong to, one per page.

    ``source`` becomes each item's ``Item.source``; ``since`` keeps only observations
    (traces) that started then or later; ``position`` is a :attr:`Batch.position` of an
    earlier read to continue after. Without a ``client`` one is made and closed at the
    end. The keys go only to the host's origin; redirects follow the source's
    ``follow_redirects`` (:mod:`triage.platforms.origins`). Raises
    :class:`~triage.platforms.SourceError` when Langfuse cannot be read (a refused login
    says so and asks to check the credentials; no message ever holds a key).
    """
    base = api_base(config.url, DEFAULT_HOST)
    keys = Secrets([public_key, secret_key, f"{public_key}:{secret_key}"])
    reader = _Reader(
        source=source,
        ctx=Context(source=source, agent=config.agent, task_type_field=config.task_type_field),
        credential=Credential.to(
            base, auth_headers(public_key, secret_key), config.follow_redirects, keys
        ),
        retrying=Retrying(max_retries=max_retries, backoff=backoff, sleep=sleep),
        page_size=max(1, min(page_size, 1000)),
    )
    marker, start = resume_point(position, since)
    if config.api == "v3":
        pages = reader.traces(base, marker, start)
    else:
        pages = reader.observations(base, marker, start, config.task_type_field)
    return with_client(pages, client, timeout)


@dataclass
class _Reader:
    source: str
    ctx: Context
    credential: Credential
    retrying: Retrying
    page_size: int

    # -- v2: root observations, cursor-paged -------------------------------------------

    def observations(
        self, base: httpx.URL, cursor: str | None, start: datetime | None, field: str | None
    ) -> Callable[[httpx.Client], Iterator[Batch]]:
        fields = V2_FIELDS
        params: dict[str, str] = {
            "isRootObservation": "true",
            "limit": str(self.page_size),
        }
        if field and (field == "metadata" or field.startswith("metadata.")):
            fields += ",metadata"
            key = field.split(".")[1] if "." in field else ""
            if key:
                params["expandMetadata"] = key
        params["fields"] = fields
        if start is not None:
            params["fromStartTime"] = iso_z(start)
        first = base.join("api/public/v2/observations").copy_merge_params(params)

        def pages(client: httpx.Client) -> Iterator[Batch]:
            seen_ids: set[str] = set()
            seen_cursors: set[str] = set()
            done = 0
            current = cursor
            if current is not None:
                seen_cursors.add(current)
            while True:
                url = first if current is None else first.copy_set_param("cursor", current)
                where = display_url(url)
                body, surrogates = self._get(client, url, where, first)
                records = _records(body, "data", where)
                meta = body.get("meta") if isinstance(body, dict) else None
                following = _cursor(meta, where)
                items, rejected = self._parse(records, where, surrogates, seen_ids, _observation)
                done += len(records)
                position = resume_position(following, start) if following else None
                yield Batch(items, rejected, done, None, position)
                if following is None:
                    return
                if following in seen_cursors:
                    raise SourceError(
                        f"paging from {display_url(first)} goes round in a loop: the page "
                        f"{where} gives a cursor that was already followed"
                    )
                seen_cursors.add(following)
                current = following

        return pages

    # -- v3: traces, page-numbered ------------------------------------------------------

    def traces(
        self, base: httpx.URL, page: str | None, start: datetime | None
    ) -> Callable[[httpx.Client], Iterator[Batch]]:
        params = {
            "limit": str(self.page_size),
            "orderBy": "timestamp.asc",
            "fields": V3_FIELDS,
        }
        if start is not None:
            params["fromTimestamp"] = iso_z(start)
        first = base.join("api/public/traces").copy_merge_params(params)
        number = 1
        if page is not None:
            if not page.isascii() or not page.isdigit() or int(page) < 1:
                raise SourceError(f"cannot resume Langfuse traces from position {page!r}")
            number = int(page)

        def pages(client: httpx.Client) -> Iterator[Batch]:
            seen_ids: set[str] = set()
            done = 0
            current = number
            while True:
                url = first.copy_set_param("page", str(current))
                where = display_url(url)
                body, surrogates = self._get(client, url, where, first)
                records = _records(body, "data", where)
                meta = body.get("meta") if isinstance(body, dict) else None
                total_pages, total_items = _page_counts(meta)
                items, rejected = self._parse(records, where, surrogates, seen_ids, _trace)
                done += len(records)
                if total_pages is not None:
                    more = current < total_pages and bool(records)
                else:
                    more = len(records) >= self.page_size
                position = resume_position(str(current + 1), start) if more else None
                yield Batch(items, rejected, done, total_items, position)
                if not more:
                    return
                current += 1

        return pages

    # -- shared --------------------------------------------------------------------------

    def _get(
        self, client: httpx.Client, url: httpx.URL, where: str, first: httpx.URL
    ) -> tuple[Any, bool]:
        try:
            return fetch_json(
                client, url, where=where, retrying=self.retrying, headers=ACCEPT,
                credential=self.credential,
            )  # fmt: skip
        except SourceError as error:
            if str(error).startswith(f"{where} answered HTTP 404") and "/v2/" in first.path:
                raise SourceError(
                    f"{error} (a Langfuse without the v2 observations API, such as an older "
                    'self-hosted one, needs api = "v3")'
                ) from None
            raise

    def _parse(
        self,
        records: list[Any],
        where: str,
        surrogates: bool,
        seen: set[str],
        convert: Callable[[Mapping[str, Any], Context], Item],
    ) -> tuple[list[Item], list[Rejection]]:
        return convert_records(
            records, where=where, surrogates=surrogates, seen=seen, convert=convert, ctx=self.ctx
        )


def _records(body: Any, key: str, where: str) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise SourceError(f"the page from {where} has no '{key}' list")
    records: list[Any] = body[key]
    return records


def _cursor(meta: object, where: str) -> str | None:
    if not isinstance(meta, dict):
        return None
    value = meta.get("cursor")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SourceError(f"'meta.cursor' in the page from {where} is neither text nor null")
    return value


def _page_counts(meta: object) -> tuple[int | None, int | None]:
    if not isinstance(meta, dict):
        return None, None
    pages, items = meta.get("totalPages"), meta.get("totalItems")
    return (
        pages if isinstance(pages, int) and not isinstance(pages, bool) else None,
        items if isinstance(items, int) and not isinstance(items, bool) and items >= 0 else None,
    )


# --- records --------------------------------------------------------------------------


def _observation(record: Mapping[str, Any], ctx: Context) -> Item:
    item_id = _id(record)
    created = from_iso(record.get("startTime"))
    if created is None:
        raise Invalid(_bad_time("startTime", record.get("startTime")))
    name = scalar_text(record.get("name"))
    request = chat_request(*_raw(record.get("input")))
    response = chat_response(*_raw(record.get("output")))
    meta = _compact_meta(
        {
            "langfuse_trace_id": record.get("traceId"),
            "langfuse_observation_id": item_id,
            "observation_type": record.get("type"),
            "level": record.get("level"),
            "status_message": record.get("statusMessage"),
            "usage": record.get("usageDetails"),
            "cost": record.get("totalCost"),
            "cost_details": record.get("costDetails"),
            "latency": record.get("latency"),
            "time_to_first_token": record.get("timeToFirstToken"),
            "tags": record.get("tags"),
            "session_id": record.get("sessionId"),
            "user_id": record.get("userId"),
            "environment": record.get("environment"),
            "release": record.get("release"),
            "version": record.get("version"),
            "prompt_name": record.get("promptName"),
            "metadata": record.get("metadata"),
        }
    )
    meta[OUTCOME_KEY] = _level_outcome(record)
    return make_item(
        ctx=ctx,
        id=item_id,
        created_at=created,
        agent=scalar_text(record.get("traceName")) or name or ctx.source,
        task_type=task_type(ctx, (record,), name or _type_name(record) or "unknown"),
        input=request.text,
        output=response.text,
        model=scalar_text(record.get("providedModelName")) or "",
        tool_calls=response.tool_calls,
        transcript=request.turns,
        meta=meta,
    )


def _trace(record: Mapping[str, Any], ctx: Context) -> Item:
    item_id = _id(record)
    created = from_iso(record.get("timestamp"))
    if created is None:
        raise Invalid(_bad_time("timestamp", record.get("timestamp")))
    name = scalar_text(record.get("name"))
    request = chat_request(*_raw(record.get("input")))
    response = chat_response(*_raw(record.get("output")))
    metadata = record.get("metadata")
    meta = _compact_meta(
        {
            "langfuse_trace_id": item_id,
            "cost": _metric(record.get("totalCost")),
            "latency": _metric(record.get("latency")),
            "tags": record.get("tags"),
            "session_id": record.get("sessionId"),
            "user_id": record.get("userId"),
            "environment": record.get("environment"),
            "release": record.get("release"),
            "version": record.get("version"),
            "html_path": record.get("htmlPath"),
            "metadata": metadata,
        }
    )
    meta[OUTCOME_KEY] = _trace_outcome(record)
    model: str | None = None
    if isinstance(metadata, Mapping):
        model = (
            scalar_text(metadata.get("model")) or scalar_text(metadata.get("ls_model_name")) or ""
        )
    return make_item(
        ctx=ctx,
        id=item_id,
        created_at=created,
        agent=name or ctx.source,
        task_type=task_type(ctx, (record,), name or "unknown"),
        input=request.text,
        output=response.text,
        model=model or "",
        tool_calls=response.tool_calls,
        transcript=request.turns,
        meta=meta,
    )


def _level_outcome(observation: Mapping[str, Any]) -> dict[str, str]:
    """An observation's outcome: only the ``ERROR`` level says anything."""
    if observation.get("level") == "ERROR":
        return outcome(PlatformStatus.ERRORED, observation.get("statusMessage"))
    return outcome(PlatformStatus.UNKNOWN)


def _trace_outcome(trace: Mapping[str, Any]) -> dict[str, str]:
    """A trace's outcome: its root observation's, when the trace carries it (the
    traces list usually sends only observation ids)."""
    observations = trace.get("observations")
    for observation in observations if isinstance(observations, list) else []:
        if isinstance(observation, Mapping) and not observation.get("parentObservationId"):
            return _level_outcome(observation)
    return outcome(PlatformStatus.UNKNOWN)


def _id(record: Mapping[str, Any]) -> str:
    value = record.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise Invalid("missing required field 'id'" if value is None else "'id' is not text")
    return value


def _bad_time(field: str, value: object) -> str:
    if value is None:
        return f"missing required field '{field}'"
    return f"'{field}' is not an ISO 8601 date-time: {str(value)[:60]!r}"


def _type_name(record: Mapping[str, Any]) -> str | None:
    kind = scalar_text(record.get("type"))
    return kind.lower() if kind else None


def _metric(value: object) -> object:
    # Traces read without the "metrics" field group carry -1 for cost and latency.
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return None
    return value


def _compact_meta(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != [] and v != {}}


def _raw(value: object) -> tuple[object, str | None]:
    """A raw v2 string decoded (when it holds JSON) for reading chat messages, and the
    text to keep when it holds none: a JSON string literal unquoted, else the string
    exactly as sent. Values that are not strings (v3) come back as they are."""
    if not isinstance(value, str):
        return value, None
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError):
            return value, value
        if isinstance(decoded, str):
            return decoded, decoded
    return maybe_json(text), value
