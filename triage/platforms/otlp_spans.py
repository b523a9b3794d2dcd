"""The spans of an OTLP/JSON file: decoded, with their place in the file.

A file holds one ``{"resourceSpans":[…]}`` export (pretty-printed or not), a list of
them, or one export per line. A span that cannot be read is a rejection naming its JSON
path (``resourceSpans[0].scopeSpans[0].spans[3]``) and its place: the line of a JSON
Lines file, or for a single document the span's 1-based position in the file.

A JSON Lines file is read as a stream, one line at a time; a single document is read
whole, within the record limit (``max_record_bytes``, after decompression).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice
from pathlib import Path
from typing import Any

from triage.platforms.common import (
    Emitted,
    Invalid,
    JsonLine,
    json_lines,
    load_document,
    needs_check,
    read_bytes,
    reject,
)
from triage.platforms.otlp_content import attributes
from triage.platforms.values import from_unix_nano, listing, mapping

__all__ = ["AGENT", "INFERENCE", "TOOL", "Span", "read_spans"]

AGENT = "invoke_agent"
TOOL = "execute_tool"
INFERENCE = frozenset({"chat", "generate_content", "text_completion"})
_OPERATIONS = INFERENCE | {
    AGENT,
    TOOL,
    "create_agent",
    "embeddings",
    "retrieval",
    "invoke_workflow",
}
_STATUS = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}


@dataclass(slots=True)
class Span:
    """One span, decoded; ``children`` is filled in once the whole file is read."""

    trace_id: str
    span_id: str
    parent_id: str
    name: str
    start: datetime | None
    attrs: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    status_code: int
    status_message: str | None
    resource: dict[str, Any]
    where: int
    path: str
    order: int
    operation: str | None = None
    children: list[Span] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.trace_id, self.span_id)

    @property
    def failed(self) -> bool:
        return self.status_code == 2 or self.attrs.get("error.type") is not None


def read_spans(path: Path, limit: int, spans: list[Span]) -> Iterator[Emitted | bool]:
    """Append every readable span of the file at ``path`` to ``spans``; yield a rejection
    for the rest. First yields whether the items made from these spans need
    ``check_values`` (a whole document may hold values its lines were not screened for).

    Raises :class:`~triage.platforms.SourceError` when the file cannot be read."""
    lines = json_lines(path, limit)
    head = list(islice(lines, 3))
    if _is_json_lines(head):
        yield False  # every line was screened as it was parsed
        for line in chain(head, lines):
            if line.reason is not None:
                yield reject(path, line.number, line.reason)
            else:
                yield from _collect(path, line.value, line.number, f"line {line.number}: ", spans)
        return
    lines.close()
    try:
        data = read_bytes(path, limit)
        document = load_document(data)
    except Invalid as error:
        yield True
        yield reject(path, 1, error.reason)
        return
    yield needs_check(data)
    yield from _collect(path, document, 0, "", spans)


def _is_json_lines(head: list[JsonLine]) -> bool:
    """Whether the first (non-blank) lines of a file make it JSON Lines: two lines or
    more, the first an object or one of them an export."""
    if len(head) < 2:
        return False
    if any(isinstance(line.value, dict) and "resourceSpans" in line.value for line in head):
        return True
    return isinstance(head[0].value, dict)


def _collect(
    path: Path, document: Any, where: int, prefix: str, spans: list[Span]
) -> Iterator[Emitted]:
    """Append the spans of one export object to ``spans``; reject what is malformed."""

    def place() -> int:
        return where or len(spans) + 1

    if isinstance(document, list):  # a bare list of exports
        for export in document:
            yield from _collect(path, export, where, prefix, spans)
        return
    if not isinstance(document, dict) or not isinstance(document.get("resourceSpans"), list):
        yield reject(path, place(), f"{prefix}not an OTLP/JSON export (no 'resourceSpans' list)")
        return
    for r, resource_spans in enumerate(document["resourceSpans"]):
        here = f"resourceSpans[{r}]"
        if not isinstance(resource_spans, dict):
            yield reject(path, place(), f"{prefix}{here} is not an object")
            continue
        resource = resource_spans.get("resource")
        resource_attrs = attributes(resource.get("attributes") if isinstance(resource, dict) else 0)
        scopes = resource_spans.get("scopeSpans", resource_spans.get("instrumentationLibrarySpans"))
        for s, scope in enumerate(scopes if isinstance(scopes, list) else []):
            span_list = scope.get("spans") if isinstance(scope, dict) else None
            for k, raw in enumerate(span_list if isinstance(span_list, list) else []):
                span_path = f"{prefix}{here}.scopeSpans[{s}].spans[{k}]"
                try:
                    spans.append(_span(raw, resource_attrs, place(), span_path, len(spans)))
                except Invalid as error:
                    yield reject(path, place(), f"{span_path}: {error.reason}")


def _span(raw: object, resource: dict[str, Any], where: int, path: str, order: int) -> Span:
    if not isinstance(raw, dict):
        raise Invalid("span is not an object")
    trace_id = raw.get("traceId")
    span_id = raw.get("spanId")
    if not isinstance(trace_id, str) or not trace_id:
        raise Invalid("span has no 'traceId'")
    if not isinstance(span_id, str) or not span_id:
        raise Invalid("span has no 'spanId'")
    parent = raw.get("parentSpanId")
    status = mapping(raw.get("status"))
    code = status.get("code", 0)
    code = _STATUS.get(code, 0) if isinstance(code, str) else code
    message = status.get("message")
    events = []
    for event in listing(raw.get("events")):
        if isinstance(event, dict) and isinstance(event.get("name"), str):
            events.append((event["name"], attributes(event.get("attributes"))))
    name = raw.get("name")
    name = name if isinstance(name, str) else ""
    attrs = attributes(raw.get("attributes"))
    span = Span(
        trace_id=trace_id.lower(),
        span_id=span_id.lower(),
        parent_id=parent.lower() if isinstance(parent, str) else "",
        name=name,
        start=from_unix_nano(raw.get("startTimeUnixNano")),
        attrs=attrs,
        events=events,
        status_code=code if isinstance(code, int) and not isinstance(code, bool) else 0,
        status_message=message if isinstance(message, str) and message else None,
        resource=resource,
        where=where,
        path=path,
        order=order,
    )
    span.operation = _operation(span)
    return span


def _operation(span: Span) -> str | None:
    named = span.attrs.get("gen_ai.operation.name")
    if isinstance(named, str) and named:
        return named
    first = span.name.split(" ", 1)[0]
    if first in _OPERATIONS:
        return first
    if any(key.startswith(("gen_ai.prompt.", "gen_ai.completion.")) for key in span.attrs):
        return "chat"
    return None
