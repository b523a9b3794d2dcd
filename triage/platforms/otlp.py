"""OpenTelemetry GenAI spans in OTLP/JSON → items.

A file holds one ``{"resourceSpans":[…]}`` export (pretty-printed or not), or one such
object per line (what the collector's file exporter writes). Spans of one trace may be
spread over several lines of a file; they are joined by ``traceId``/``parentSpanId``.

What becomes an item: every ``invoke_agent`` span with no ``invoke_agent`` above it, and
every inference span (``chat``, ``generate_content``, ``text_completion``) with neither
above it. The operation is ``gen_ai.operation.name``, else the first word of the span
name, else ``chat`` for spans with OpenLLMetry ``gen_ai.prompt.*`` attributes.

- ``id``: ``<traceId>:<spanId>`` (lower-case hex); ``created_at``: ``startTimeUnixNano``
- ``input``: the text of the last user message; ``output``: the text parts of the output
  messages (see :mod:`triage.platforms.otlp_content` for the accepted conventions). An agent
  span without messages of its own takes them from its first and last inference spans.
- ``tool_calls``: the ``execute_tool`` spans below, in start order: ``gen_ai.tool.name``,
  ``gen_ai.tool.call.arguments`` / ``.result`` (JSON strings decoded), an error when
  ``status.code`` is 2 or ``error.type`` is set
- ``model``: ``gen_ai.response.model``, else ``gen_ai.request.model`` (an agent span
  without one takes its last inference span's)
- ``agent``: ``gen_ai.agent.name``, else the resource's ``service.name``, else ``otel``
- ``task_type``: the operation (``invoke_agent`` or ``chat``…), or ``task_type_field``
  looked up in the span's attributes, then the resource's, then the item's ``meta``
- ``meta``: ``otel_trace_id``, ``otel_span_id``, ``otel_operation``, ``status_code``,
  ``error_type``, ``finish_reasons``, ``usage`` (``input_tokens``, ``output_tokens`` and
  the cache and reasoning counts; summed over the inference spans below when the span has
  none), ``evaluations`` (each ``gen_ai.evaluation.result`` event on the span or below:
  ``name``, ``score_value``, ``score_label``, ``explanation``), ``platform_outcome``, and
  when set ``status_message``, ``provider``, ``conversation_id``, ``agent_id``,
  ``response_id``, ``service_name``
- ``platform_outcome``: ``errored`` when the span's ``status.code`` is 2 (ERROR) or
  ``error.type`` is set (the reason: the status message, else the error type); else
  ``truncated`` when a finish reason says the length limit was hit (``length``,
  ``max_tokens``); else ``passed`` for status OK (1) and ``unknown`` for an unset status

Rejections: see :mod:`triage.platforms.otlp_spans`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from triage.core.models import Item, ToolCall
from triage.platforms.common import (
    Context,
    Emitted,
    Invalid,
    make_item,
    reject,
    task_type,
)
from triage.platforms.otlp_content import content_of
from triage.platforms.otlp_spans import AGENT, INFERENCE, TOOL, Span, read_spans
from triage.platforms.outcomes import OUTCOME_KEY, PlatformStatus, outcome, truncated_by
from triage.platforms.values import maybe_json, number

__all__ = ["read_otlp"]

_USAGE = (
    ("input_tokens", ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")),
    ("output_tokens", ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")),
    ("cache_read_input_tokens", ("gen_ai.usage.cache_read.input_tokens",)),
    ("cache_creation_input_tokens", ("gen_ai.usage.cache_creation.input_tokens",)),
    ("reasoning_output_tokens", ("gen_ai.usage.reasoning.output_tokens",)),
)


def read_otlp(path: Path, ctx: Context) -> Iterator[Emitted]:
    """Items (and rejections) for the OTLP/JSON file at ``path``."""
    spans: list[Span] = []
    check = True
    for found in read_spans(path, ctx.max_record_bytes, spans):
        if isinstance(found, bool):
            check = found
        else:
            yield found
    by_key = {span.key: span for span in spans}
    # A span exported twice is read once (its last copy).
    spans = [span for span in spans if by_key[span.key] is span]
    for span in spans:
        parent = by_key.get((span.trace_id, span.parent_id)) if span.parent_id else None
        if parent is not None and parent is not span:
            parent.children.append(span)
    roots = [span for span in spans if _is_root(span, by_key)]
    roots.sort(key=lambda span: (span.start is None, span.start or datetime.min, span.order))
    for span in roots:
        try:
            yield _item(span, ctx, check)
        except Invalid as error:
            yield reject(path, span.where, f"{span.path}: {error.reason}")


def _ancestors(span: Span, by_key: dict[tuple[str, str], Span]) -> Iterator[Span]:
    seen = {span.key}
    current = span
    while current.parent_id:
        parent = by_key.get((current.trace_id, current.parent_id))
        if parent is None or parent.key in seen:
            return
        seen.add(parent.key)
        yield parent
        current = parent


def _is_root(span: Span, by_key: dict[tuple[str, str], Span]) -> bool:
    if span.operation == AGENT:
        return not any(a.operation == AGENT for a in _ancestors(span, by_key))
    if span.operation in INFERENCE:
        above = (a.operation for a in _ancestors(span, by_key))
        return not any(op == AGENT or op in INFERENCE for op in above)
    return False


def _below(span: Span) -> list[Span]:
    found: list[Span] = []
    stack = list(span.children)
    seen = {span.key}
    while stack:
        child = stack.pop()
        if child.key in seen:
            continue
        seen.add(child.key)
        found.append(child)
        stack.extend(child.children)
    found.sort(key=lambda s: (s.start is None, s.start or datetime.min, s.order))
    return found


def _item(span: Span, ctx: Context, check: bool) -> Item:
    if span.start is None:
        raise Invalid("span has no valid 'startTimeUnixNano'")
    below = _below(span)
    chats = [s for s in below if s.operation in INFERENCE]
    content = content_of(span.attrs, span.events)
    inputs = content
    outputs = content
    if chats and not content.inputs:
        inputs = content_of(chats[0].attrs, chats[0].events)
    if chats and not content.outputs:
        said = [content_of(chat.attrs, chat.events) for chat in chats]
        outputs = next((c for c in reversed(said) if c.output_text), said[-1])
    transcript = (*inputs.input_turns(), *outputs.output_turns())
    model = _model(span.attrs)
    for chat in reversed(chats):
        model = model or _model(chat.attrs)
    usage = _usage([span]) or _usage(chats)
    finish = span.attrs.get("gen_ai.response.finish_reasons")
    if not isinstance(finish, list):
        finish = outputs.finish_reasons
        if not finish and chats:
            last = chats[-1].attrs.get("gen_ai.response.finish_reasons")
            finish = last if isinstance(last, list) else []
    error_type = span.attrs.get("error.type")
    meta: dict[str, Any] = {
        "otel_trace_id": span.trace_id,
        "otel_span_id": span.span_id,
        "otel_operation": span.operation,
        "status_code": span.status_code,
        "error_type": error_type if error_type is None else str(error_type),
        "finish_reasons": finish,
        "usage": usage,
        "evaluations": _evaluations([span, *below]),
        OUTCOME_KEY: _outcome(span, finish),
    }
    if span.status_message:
        meta["status_message"] = span.status_message
    for name, keys in (
        ("provider", ("gen_ai.provider.name", "gen_ai.system")),
        ("conversation_id", ("gen_ai.conversation.id",)),
        ("agent_id", ("gen_ai.agent.id",)),
        ("response_id", ("gen_ai.response.id",)),
    ):
        value = next((span.attrs[k] for k in keys if span.attrs.get(k) is not None), None)
        if value is not None:
            meta[name] = value
    service = span.resource.get("service.name")
    if service is not None:
        meta["service_name"] = service
    agent = span.attrs.get("gen_ai.agent.name") or service or "otel"
    return make_item(
        ctx=ctx,
        id=f"{span.trace_id}:{span.span_id}",
        created_at=span.start,
        agent=str(agent),
        task_type=task_type(ctx, (span.attrs, span.resource, meta), span.operation or "chat"),
        input=inputs.input_text,
        output=outputs.output_text,
        model=model,
        tool_calls=tuple(_tool_call(s) for s in below if s.operation == TOOL),
        transcript=transcript,
        meta=meta,
        check_values=check,
    )


def _outcome(span: Span, finish: list[Any]) -> dict[str, str]:
    if span.failed:
        error_type = span.attrs.get("error.type")
        reason = span.status_message or (None if error_type is None else str(error_type))
        return outcome(PlatformStatus.ERRORED, reason)
    cut = truncated_by(finish)
    if cut is not None:
        return outcome(PlatformStatus.TRUNCATED, f"finish reason {cut}")
    if span.status_code == 1:
        return outcome(PlatformStatus.PASSED)
    return outcome(PlatformStatus.UNKNOWN)


def _model(attrs: dict[str, Any]) -> str:
    for key in ("gen_ai.response.model", "gen_ai.request.model"):
        value = attrs.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _usage(spans: list[Span]) -> dict[str, int | float]:
    totals: dict[str, int | float] = {}
    for span in spans:
        for name, keys in _USAGE:
            value = next((number(span.attrs.get(k)) for k in keys if k in span.attrs), None)
            if value is not None:
                totals[name] = totals.get(name, 0) + value
    return totals


def _evaluations(spans: list[Span]) -> list[dict[str, Any]]:
    found = []
    for span in spans:
        for name, attrs in span.events:
            if name == "gen_ai.evaluation.result":
                found.append(
                    {
                        "name": attrs.get("gen_ai.evaluation.name"),
                        "score_value": attrs.get("gen_ai.evaluation.score.value"),
                        "score_label": attrs.get("gen_ai.evaluation.score.label"),
                        "explanation": attrs.get("gen_ai.evaluation.explanation"),
                    }
                )
    return found


def _tool_call(span: Span) -> ToolCall:
    name = span.attrs.get("gen_ai.tool.name")
    if not isinstance(name, str) or not name:
        name = span.name.removeprefix(TOOL).strip() or "unknown"
    return ToolCall(
        name,
        maybe_json(span.attrs.get("gen_ai.tool.call.arguments")),
        maybe_json(span.attrs.get("gen_ai.tool.call.result")),
        span.failed,
    )
