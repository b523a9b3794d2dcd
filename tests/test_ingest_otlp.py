"""OpenTelemetry GenAI spans in OTLP/JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.core.models import Item, Rejection, ToolCall, Turn
from triage.platforms.detect import read_file_source
from triage.platforms.otlp_content import any_value, attributes

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "otlp"
AGENT_TRACE = FIXTURES / "agent_trace.jsonl"
ALIASES = FIXTURES / "chat_aliases.json"
TRACE = "5b8efff798038103d269b633813fc60c"


def read(path: Path, **kwargs: Any) -> tuple[list[Item], list[Rejection]]:
    items: list[Item] = []
    rejected: list[Rejection] = []
    for batch in read_file_source(path, source="otel", format="otlp", **kwargs):
        items.extend(batch.items)
        rejected.extend(batch.rejected)
    return items, rejected


def attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        wrapped: dict[str, Any] = {"boolValue": value}
    elif isinstance(value, int):
        wrapped = {"intValue": str(value)}
    else:
        wrapped = {"stringValue": value}
    return {"key": key, "value": wrapped}


def span(span_id: str, name: str, start: Any, parent: str | None = None, **attrs: Any) -> Any:
    record: dict[str, Any] = {
        "traceId": "ab" * 16,
        "spanId": span_id,
        "name": name,
        "startTimeUnixNano": start,
        "attributes": [attr(k.replace("__", "."), v) for k, v in attrs.items()],
    }
    if parent:
        record["parentSpanId"] = parent
    return record


def export(*spans: Any, service: str = "svc") -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [attr("service.name", service)]},
                "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}],
            }
        ]
    }


def test_agent_span_with_nested_tool_spans_across_lines() -> None:
    items, rejected = read(AGENT_TRACE)
    assert [(r.source, r.line) for r in rejected] == [(str(AGENT_TRACE), 2)]
    assert rejected[0].reason.startswith("invalid JSON: ")
    # The two chat spans below the agent span are part of it, not items of their own.
    assert [i.id for i in items] == [
        f"{TRACE}:a1a1a1a1a1a1a1a1",
        "0af7651916cd43dd8448eb211c80319c:e457b5a2e4d86bd1",
    ]
    agent = items[0]
    assert agent.source == "otel"
    # startTimeUnixNano arrives as a string (int64 in OTLP/JSON).
    assert agent.created_at == datetime(2026, 4, 8, 1, 4, 1, tzinfo=UTC)
    assert agent.agent == "Support Bot"
    assert agent.task_type == "invoke_agent"
    # gen_ai.input.messages is a JSON string; the output comes from the last chat span.
    assert agent.input == "Where is order #W42? And refund the shipping."
    assert agent.output == "Order #W42 shipped yesterday with DHL. I have refunded the shipping."
    assert agent.model == "gpt-4o-2024-08-06"
    # Tool spans below an intermediate span, in start order; the second one failed.
    assert agent.tool_calls == (
        ToolCall(
            "lookup_order", {"order_id": "W42"}, {"status": "shipped", "carrier": "DHL"}, False
        ),
        ToolCall("refund_shipping", {"order_id": "W42", "amount": 4.99}, None, True),
    )
    assert agent.transcript == (
        Turn("user", "Where is order #W42? And refund the shipping."),
        Turn("assistant", "Order #W42 shipped yesterday with DHL. I have refunded the shipping."),
    )
    assert agent.meta == {
        "otel_trace_id": TRACE,
        "otel_span_id": "a1a1a1a1a1a1a1a1",
        "otel_operation": "invoke_agent",
        "status_code": 0,
        "error_type": None,
        "finish_reasons": ["stop"],
        "usage": {"input_tokens": 420, "output_tokens": 58},
        "evaluations": [
            {
                "name": "helpfulness",
                "score_value": 0.4,
                "score_label": "fail",
                "explanation": "the refund was not done",
            }
        ],
        "platform_outcome": {"status": "unknown"},
        "provider": "openai",
        "conversation_id": "conv-42",
        "agent_id": "agt_7",
        "service_name": "support-bot",
    }


def test_pre_1_37_events_and_deprecated_attribute_names() -> None:
    items, _ = read(AGENT_TRACE)
    chat = items[1]
    assert chat.created_at == datetime(2026, 4, 8, 1, 5, 0, tzinfo=UTC)  # an int here
    assert chat.agent == "translator"  # no gen_ai.agent.name: the service
    assert chat.task_type == "chat"
    assert chat.input == "hello"
    assert chat.output == "Bonjour"
    assert chat.model == "gpt-4o-mini"
    assert chat.tool_calls == ()
    assert chat.transcript == (
        Turn("system", "Translate to French."),
        Turn("user", "hello"),
        Turn("assistant", "Bonjour"),
    )
    assert chat.meta == {
        "otel_trace_id": "0af7651916cd43dd8448eb211c80319c",
        "otel_span_id": "e457b5a2e4d86bd1",
        "otel_operation": "chat",
        "status_code": 0,
        "error_type": None,
        "finish_reasons": ["stop"],
        "usage": {"input_tokens": 12, "output_tokens": 3},
        "evaluations": [],
        "platform_outcome": {"status": "unknown"},
        "provider": "openai",
        "service_name": "translator",
    }


def test_openllmetry_flattened_attributes_in_a_pretty_printed_document() -> None:
    items, rejected = read(ALIASES)
    # The span without a spanId is the second of the file.
    assert rejected == [
        Rejection(str(ALIASES), 2, "resourceSpans[0].scopeSpans[0].spans[1]: span has no 'spanId'")
    ]
    [chat] = items  # the HTTP span is not a GenAI span
    assert chat.id == "1f2e3d4c5b6a79880f1e2d3c4b5a6978:0102030405060708"
    assert chat.created_at == datetime(2026, 4, 8, 1, 6, 0, tzinfo=UTC)
    assert chat.agent == "summariser"
    assert chat.task_type == "chat"
    assert chat.input == "Summarise: the Tuesday meeting moved to Friday 10:00."
    assert chat.output == "Meeting moved to Friday 10:00."
    assert chat.model == "gpt-3.5-turbo-0125"
    assert chat.transcript == (
        Turn("system", "You summarise meeting notes in one line."),
        Turn("user", "Summarise: the Tuesday meeting moved to Friday 10:00."),
        Turn("assistant", "Meeting moved to Friday 10:00."),
    )
    assert chat.meta == {
        "otel_trace_id": "1f2e3d4c5b6a79880f1e2d3c4b5a6978",
        "otel_span_id": "0102030405060708",
        "otel_operation": "chat",
        "status_code": 2,
        "error_type": "RateLimitError",
        "finish_reasons": ["stop"],
        "usage": {"input_tokens": 30, "output_tokens": 6},
        "evaluations": [],
        "platform_outcome": {"status": "errored", "reason": "upstream 429 after 2 retries"},
        "status_message": "upstream 429 after 2 retries",
        "provider": "openai",
        "service_name": "summariser",
    }


def test_without_an_agent_span_every_chat_span_is_an_item(tmp_path: Path) -> None:
    messages = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "q"}]}])
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            export(
                span("01" * 8, "request", "1775610000000000000"),
                span(
                    "02" * 8,
                    "chat m",
                    "1775610001000000000",
                    parent="01" * 8,
                    gen_ai__input__messages=messages,
                ),
                span("03" * 8, "generate_content m", "1775610002000000000", parent="01" * 8),
                span("04" * 8, "embeddings m", "1775610003000000000", parent="01" * 8),
            )
        )
    )
    items, _ = read(path)
    assert [(i.id.split(":")[1], i.task_type, i.input) for i in items] == [
        ("02" * 8, "chat", "q"),
        ("03" * 8, "generate_content", ""),
    ]


def test_output_messages_as_an_array_and_kvlist_attributes(tmp_path: Path) -> None:
    output = {
        "arrayValue": {
            "values": [
                {
                    "kvlistValue": {
                        "values": [
                            {"key": "role", "value": {"stringValue": "assistant"}},
                            {
                                "key": "parts",
                                "value": {
                                    "arrayValue": {
                                        "values": [
                                            {
                                                "kvlistValue": {
                                                    "values": [
                                                        attr("type", "text"),
                                                        attr("content", "done"),
                                                    ]
                                                }
                                            }
                                        ]
                                    }
                                },
                            },
                            attr("finish_reason", "stop"),
                        ]
                    }
                }
            ]
        }
    }
    record = span("05" * 8, "chat m", 1775610000000000000, gen_ai__response__model="m-1")
    record["attributes"].append({"key": "gen_ai.output.messages", "value": output})
    path = tmp_path / "t.json"
    path.write_text(json.dumps(export(record)))
    [item], _ = read(path)
    assert (item.output, item.model, item.meta["finish_reasons"]) == ("done", "m-1", ["stop"])


def test_task_type_field_and_agent_override() -> None:
    items, _ = read(AGENT_TRACE, task_type_field="app.task", agent="desk")
    assert [(i.agent, i.task_type) for i in items] == [("desk", "order_status"), ("desk", "chat")]
    items, _ = read(AGENT_TRACE, task_type_field="service.name")
    assert [i.task_type for i in items] == ["support-bot", "translator"]


def test_malformed_spans_are_rejected_with_their_place(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    good = export(span("06" * 8, "chat m", "1775610000000000000"))
    no_start = export(span("07" * 8, "chat m", "0"))
    lines = [
        json.dumps(good),
        json.dumps({"resourceSpans": "nope"}),
        json.dumps({"resourceSpans": [42]}),
        json.dumps(no_start),
        json.dumps(export("not a span")),
        json.dumps([1]),
    ]
    path.write_text("\n".join(lines) + "\n")
    items, rejected = read(path)
    assert [i.id.split(":")[1] for i in items] == ["06" * 8]
    first_span = "resourceSpans[0].scopeSpans[0].spans[0]"
    assert [(r.source, r.line, r.reason) for r in rejected] == [
        (str(path), 2, "line 2: not an OTLP/JSON export (no 'resourceSpans' list)"),
        (str(path), 3, "line 3: resourceSpans[0] is not an object"),
        (str(path), 5, f"line 5: {first_span}: span is not an object"),
        (str(path), 6, "line 6: not an OTLP/JSON export (no 'resourceSpans' list)"),
        (str(path), 4, f"line 4: {first_span}: span has no valid 'startTimeUnixNano'"),
    ]


def test_whole_file_that_is_not_json_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"resourceSpans": [')
    items, rejected = read(path)
    assert items == []
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [(1, "invalid JSON")]


def test_any_value_decoding() -> None:
    assert any_value({"intValue": "9007199254740993"}) == 9007199254740993
    assert any_value({"intValue": 7}) == 7
    assert any_value({"doubleValue": 0.5}) == 0.5
    assert any_value({"boolValue": False}) is False
    assert any_value({"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}) == [
        "a",
        1,
    ]
    assert any_value({"kvlistValue": {"values": [attr("k", "v")]}}) == {"k": "v"}
    assert any_value({}) is None
    assert attributes([attr("a", "b"), {"key": 1}, "junk", {"key": "c"}]) == {"a": "b", "c": None}


def test_broken_first_line_and_a_span_exported_twice(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    once = export(span("08" * 8, "chat m", "1775610000000000000", gen_ai__request__model="a"))
    again = export(span("08" * 8, "chat m", "1775610000000000000", gen_ai__request__model="b"))
    path.write_text('{"resourceSpans": [\n' + json.dumps(once) + "\n" + json.dumps(again) + "\n")
    items, rejected = read(path)
    assert [(i.id.split(":")[1], i.model) for i in items] == [("08" * 8, "b")]
    assert [r.line for r in rejected] == [1]


def test_nan_in_a_span_rejects_its_item_and_in_a_line_rejects_the_line(tmp_path: Path) -> None:
    def chat(span_id: str, tokens: Any) -> Any:
        found = span(span_id, "chat m", "1775610001000000000")
        found["attributes"].append(
            {"key": "gen_ai.usage.input_tokens", "value": {"doubleValue": tokens}}
        )
        return found

    document = tmp_path / "t.json"
    document.write_text(json.dumps(export(chat("01" * 8, 12.0), chat("02" * 8, float("nan")))))
    items, rejected = read(document)
    assert [i.id.split(":")[1] for i in items] == ["01" * 8]
    assert [r.reason.split(": ", 1)[-1] for r in rejected] == [
        "'meta.usage.input_tokens' is NaN, which is not a number JSON can carry"
    ]

    lines = tmp_path / "t.jsonl"
    lines.write_text(
        json.dumps(export(chat("03" * 8, 1.0)))
        + "\n"
        + json.dumps(export(chat("04" * 8, float("-inf"))))
        + "\n"
    )
    items, rejected = read(lines)
    assert [i.id.split(":")[1] for i in items] == ["03" * 8]
    assert [(r.line, r.reason.split("' is ")[1]) for r in rejected] == [
        (2, "-Infinity, which is not a number JSON can carry")
    ]


def test_tool_arguments_whose_json_holds_nan_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    agent = span("01" * 8, "invoke_agent a", "1775610000000000000")
    tool = span(
        "02" * 8,
        "execute_tool lookup",
        "1775610001000000000",
        parent="01" * 8,
        gen_ai__tool__name="lookup",
        gen_ai__tool__call__arguments='{"amount": NaN}',
    )
    path.write_text(json.dumps(export(agent, tool)))
    items, rejected = read(path)
    assert rejected == []
    assert [call.arguments for call in items[0].tool_calls] == ['{"amount": NaN}']


def outcome_of(item: Item) -> tuple[str, str | None]:
    stored = item.meta["platform_outcome"]
    return stored["status"], stored.get("reason")


def finished(record: Any, *reasons: str) -> Any:
    values = [{"stringValue": reason} for reason in reasons]
    key = "gen_ai.response.finish_reasons"
    record["attributes"].append({"key": key, "value": {"arrayValue": {"values": values}}})
    return record


def test_platform_outcome_of_each_span_status(tmp_path: Path) -> None:
    ok = span("01" * 8, "chat m", "1775610001000000000")
    ok["status"] = {"code": "STATUS_CODE_OK"}
    finished(ok, "stop")
    failed = span("02" * 8, "chat m", "1775610002000000000")
    failed["status"] = {"code": 2, "message": "Connection error."}
    typed = span("03" * 8, "chat m", "1775610003000000000", error__type="openai.APITimeoutError")
    # An error wins over a length stop; the type stands in for a missing message.
    finished(typed, "length")
    cut = finished(span("04" * 8, "chat m", "1775610004000000000"), "stop", "length")
    capped = span("05" * 8, "chat m", "1775610005000000000")
    capped["status"] = {"code": 1}
    finished(capped, "max_tokens")
    unset = finished(span("06" * 8, "chat m", "1775610006000000000"), "stop")
    path = tmp_path / "t.json"
    path.write_text(json.dumps(export(ok, failed, typed, cut, capped, unset)))
    items, _ = read(path)
    assert [outcome_of(i) for i in items] == [
        ("passed", None),
        ("errored", "Connection error."),
        ("errored", "openai.APITimeoutError"),
        ("truncated", "finish reason length"),
        ("truncated", "finish reason max_tokens"),
        ("unknown", None),
    ]


def test_agent_span_takes_the_length_stop_of_its_last_chat(tmp_path: Path) -> None:
    agent = span("01" * 8, "invoke_agent a", "1775610000000000000")
    agent["status"] = {"code": 1}
    first = finished(span("02" * 8, "chat m", "1775610001000000000", parent="01" * 8), "stop")
    last = finished(span("03" * 8, "chat m", "1775610002000000000", parent="01" * 8), "length")
    path = tmp_path / "t.json"
    path.write_text(json.dumps(export(agent, first, last)))
    [item] = read(path)[0]
    assert outcome_of(item) == ("truncated", "finish reason length")


def test_flattened_completion_finish_reason_length_is_truncated(tmp_path: Path) -> None:
    record = span(
        "01" * 8,
        "openai.chat",
        "1775610001000000000",
        gen_ai__prompt__0__role="user",
        gen_ai__prompt__0__content="write a long poem",
        gen_ai__completion__0__role="assistant",
        gen_ai__completion__0__content="Roses are",
        gen_ai__completion__0__finish_reason="length",
    )
    record["status"] = {"code": 1}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(export(record)))
    [item] = read(path)[0]
    assert item.output == "Roses are"
    assert outcome_of(item) == ("truncated", "finish reason length")


def test_fixture_spans_outcomes() -> None:
    items, _ = read(AGENT_TRACE)
    # The agent span's status is unset: a failed tool below it is a tool error, not the
    # span's own outcome.
    assert [outcome_of(i) for i in items] == [("unknown", None), ("unknown", None)]
    [chat] = read(ALIASES)[0]
    assert outcome_of(chat) == ("errored", "upstream 429 after 2 retries")
