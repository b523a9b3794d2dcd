"""Native record → Item: every field, every rejection reason, and fuzzing."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.core.models import Item, ToolCall, Turn
from triage.platforms.native import RecordError, parse_record
from triage.platforms.surrogates import unpaired_surrogate


def record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "r-1",
        "created_at": "2024-05-01T10:11:12Z",
        "agent": "support-bot",
        "task_type": "support_reply",
        "input": "Where is my order?",
        "output": "It ships today.",
        "model": "gpt-4o-2024-05-13",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not _DROP}


_DROP = object()


def reason_for(obj: object) -> str:
    with pytest.raises(RecordError) as caught:
        parse_record(obj, source="files")
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


def test_every_field_is_mapped() -> None:
    item = parse_record(
        {
            "id": "r-1",
            "created_at": "2024-05-01T12:11:12.5+02:00",
            "agent": "support-bot",
            "task_type": "refund",
            "input": "Refund order 7",
            "output": "Refunded 12.50 EUR",
            "model": "claude-3-5-sonnet",
            "tool_calls": [
                {
                    "name": "refund",
                    "arguments": {"order": 7, "amount": 12.5},
                    "result": {"ok": True},
                    "is_error": False,
                },
                {"name": "notify", "is_error": True, "result": "smtp down"},
                {"name": "lookup", "is_error": None, "id": "call_1"},
            ],
            "transcript": [
                {"role": "user", "content": "Refund order 7"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Checking."},
                        {"type": "image_url", "image_url": {"url": "http://x/y.png"}},
                        "Done.",
                    ],
                },
                {"role": "tool", "content": None},
            ],
            "meta": {"customer_facing": True, "amount": 12.5, "currency": "EUR"},
            "channel": "email",
            "recipients": ["a@example.com"],
        },
        source="prod-api",
    )
    assert item == Item(
        id="r-1",
        created_at=datetime(2024, 5, 1, 10, 11, 12, 500000, tzinfo=UTC),
        agent="support-bot",
        task_type="refund",
        input="Refund order 7",
        output="Refunded 12.50 EUR",
        model="claude-3-5-sonnet",
        source="prod-api",
        tool_calls=(
            ToolCall("refund", {"order": 7, "amount": 12.5}, {"ok": True}, False),
            ToolCall("notify", None, "smtp down", True),
            ToolCall("lookup", None, None, False),
        ),
        transcript=(
            Turn("user", "Refund order 7"),
            Turn("assistant", "Checking.\nDone."),
            Turn("tool", ""),
        ),
        meta={
            "customer_facing": True,
            "amount": 12.5,
            "currency": "EUR",
            "channel": "email",
            "recipients": ["a@example.com"],
        },
    )
    assert item.created_at.tzinfo is UTC


def test_item_field_order_is_the_one_parse_record_builds() -> None:
    # parse_record builds Item positionally for speed.
    assert [f.name for f in dataclasses.fields(Item)] == [
        "id",
        "created_at",
        "agent",
        "task_type",
        "input",
        "output",
        "model",
        "source",
        "tool_calls",
        "transcript",
        "meta",
    ]


def test_minimal_record_has_empty_optionals() -> None:
    item = parse_record(record(), source="files")
    assert item.tool_calls == ()
    assert item.transcript == ()
    assert item.meta == {}
    assert item.source == "files"
    assert item.key == ("files", "r-1")


def test_null_optionals_are_absent() -> None:
    item = parse_record(record(tool_calls=None, transcript=None, meta=None), source="s")
    assert (item.tool_calls, item.transcript, item.meta) == ((), (), {})


def test_integer_id_becomes_text() -> None:
    assert parse_record(record(id=42), source="s").id == "42"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:11:12", datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)),
        ("2024-05-01 10:11:12", datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)),
        ("2024-05-01T10:11:12Z", datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)),
        ("2024-05-01T10:11:12+00:00", datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)),
        ("2024-05-01T05:11:12-05:00", datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)),
        ("2024-05-01t10:11:12z", datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)),
        ("2024-05-01T10:11:12.123456789Z", datetime(2024, 5, 1, 10, 11, 12, 123456, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
    ],
)
def test_created_at_is_stored_as_aware_utc(text: str, expected: datetime) -> None:
    created = parse_record(record(created_at=text), source="s").created_at
    assert created == expected
    assert created.tzinfo is UTC


def test_structured_input_and_output_become_pretty_json() -> None:
    item = parse_record(
        record(input={"question": "Où est ma commande?"}, output=["a", 1]), source="s"
    )
    assert item.input == '{\n  "question": "Où est ma commande?"\n}'
    assert item.output == '[\n  "a",\n  1\n]'


def test_empty_input_and_output_are_kept() -> None:
    item = parse_record(record(input="", output=""), source="s")
    assert (item.input, item.output) == ("", "")


def test_unknown_key_colliding_with_meta_keeps_both() -> None:
    item = parse_record(
        record(meta={"channel": "chat", "_channel": "old"}, channel="email", region="eu"),
        source="s",
    )
    assert item.meta == {
        "channel": "chat",
        "_channel": "old",
        "__channel": "email",
        "region": "eu",
    }


def test_unknown_key_collision_uses_one_underscore() -> None:
    item = parse_record(record(meta={"amount": 1}, amount=2), source="s")
    assert item.meta == {"amount": 1, "_amount": 2}


def test_source_key_in_record_goes_to_meta() -> None:
    item = parse_record(record(source="elsewhere"), source="files")
    assert item.source == "files"
    assert item.meta == {"source": "elsewhere"}


def test_the_input_record_is_not_changed() -> None:
    meta = {"a": 1}
    rec = record(meta=meta, extra=True)
    parse_record(rec, source="s")
    assert meta == {"a": 1}
    assert rec["extra"] is True


def test_large_output_is_stored_whole() -> None:
    big = "x" * 10_000_000
    line = json.dumps(record(output=big))
    assert parse_record(json.loads(line), source="s").output == big


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ([], "record is a JSON array, expected an object"),
        ("x", "record is a JSON string, expected an object"),
        (3, "record is a JSON number, expected an object"),
        (True, "record is a JSON boolean, expected an object"),
        (None, "record is JSON null, expected an object"),
        (record(id=_DROP), "missing required field 'id'"),
        (record(id=""), "'id' must not be empty"),
        (record(id=1.5), "'id' must be a string or an integer, got a number"),
        (record(id=True), "'id' must be a string or an integer, got a boolean"),
        (record(created_at=_DROP), "missing required field 'created_at'"),
        (
            record(created_at="yesterday"),
            "'created_at' is not an ISO 8601 date-time: 'yesterday'",
        ),
        (
            record(created_at="1714558272"),
            "'created_at' is not an ISO 8601 date-time: '1714558272'",
        ),
        (
            record(created_at=1714558272),
            "'created_at' is not an ISO 8601 date-time: 1714558272",
        ),
        (
            record(created_at="2024-13-01T00:00:00Z"),
            "'created_at' is not an ISO 8601 date-time: '2024-13-01T00:00:00Z'",
        ),
        (
            record(created_at="0001-01-01T00:00:00+01:00"),
            "'created_at' is out of the supported range: '0001-01-01T00:00:00+01:00'",
        ),
        (record(agent=_DROP), "missing required field 'agent'"),
        (record(agent=""), "'agent' must not be empty"),
        (record(agent=None), "'agent' must be a string, got null"),
        (record(task_type=_DROP), "missing required field 'task_type'"),
        (record(task_type=["a"]), "'task_type' must be a string, got an array"),
        (record(model=_DROP), "missing required field 'model'"),
        (record(model={"name": "m"}), "'model' must be a string, got an object"),
        (record(input=_DROP), "missing required field 'input'"),
        (record(output=_DROP), "missing required field 'output'"),
        (
            record(output=None),
            "'output' must be a string (or an object or array), got null",
        ),
        (record(input=3), "'input' must be a string (or an object or array), got a number"),
        (record(tool_calls={"name": "x"}), "'tool_calls' must be a list of objects"),
        (record(tool_calls="lookup"), "'tool_calls' must be a list of objects"),
        (
            record(tool_calls=[{"name": "a"}, "b"]),
            "'tool_calls[1]' must be an object, got a string",
        ),
        (record(tool_calls=[{"arguments": {}}]), "missing required field 'tool_calls[0].name'"),
        (
            record(tool_calls=[{"name": ""}]),
            "'tool_calls[0].name' must be a non-empty string, got ''",
        ),
        (
            record(tool_calls=[{"name": "a", "is_error": "no"}]),
            "'tool_calls[0].is_error' must be true or false, got 'no'",
        ),
        (record(transcript={"role": "user"}), "'transcript' must be a list of objects"),
        (record(transcript=[3]), "'transcript[0]' must be an object, got a number"),
        (record(transcript=[{"content": "hi"}]), "missing required field 'transcript[0].role'"),
        (
            record(transcript=[{"role": 1, "content": "hi"}]),
            "'transcript[0].role' must be a string, got a number",
        ),
        (
            record(transcript=[{"role": "user", "content": "a"}, {"role": "user", "content": 5}]),
            "'transcript[1].content' must be a string or a list of parts, got a number",
        ),
        (record(meta=[1]), "'meta' must be an object, got an array"),
        (record(meta="x"), "'meta' must be an object, got a string"),
    ],
)
def test_rejection_reasons(obj: object, reason: str) -> None:
    assert reason_for(obj) == reason


def test_long_values_are_cut_in_reasons_only() -> None:
    reason = reason_for(record(created_at="not a date " * 100))
    assert (
        reason == "'created_at' is not an ISO 8601 date-time: '" + ("not a date " * 6)[:60] + "…'"
    )


def test_record_error_is_a_value_error() -> None:
    assert issubclass(RecordError, ValueError)


def test_unpaired_surrogate_is_detected() -> None:
    assert unpaired_surrogate(json.loads('{"a": "\\ud800"}'))
    assert not unpaired_surrogate(json.loads('{"a": "\\ud83d\\ude00"}'))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(_json)
def test_arbitrary_json_only_ever_raises_record_error(value: object) -> None:
    try:
        parse_record(value, source="s")
    except RecordError:
        pass


_field_values = st.one_of(
    _json,
    st.text(),
    st.sampled_from(["", "2024-05-01T10:11:12Z", "2024-05-01", "0001-01-01T00:00+01:00"]),
    st.lists(
        st.dictionaries(
            st.sampled_from(["name", "arguments", "result", "is_error", "role", "content"]),
            _json,
        ),
        max_size=3,
    ),
)


@settings(max_examples=500)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "created_at",
                "agent",
                "task_type",
                "input",
                "output",
                "model",
                "tool_calls",
                "transcript",
                "meta",
                "extra",
            ]
        ),
        _field_values,
    ),
    st.booleans(),
)
def test_near_valid_records_only_ever_raise_record_error(
    fields: dict[str, object], fill: bool
) -> None:
    rec = {**record(), **fields} if fill else fields
    try:
        item = parse_record(rec, source="s")
    except RecordError:
        return
    assert item.created_at.tzinfo is UTC
    assert isinstance(item.input, str)
    assert isinstance(item.output, str)


def test_nul_in_an_identifier_is_rejected() -> None:
    import pytest

    from triage.platforms.native import RecordError, parse_record

    record = {
        "id": "a\x00b", "created_at": "2026-11-20T10:00:00Z", "agent": "bot",
        "task_type": "t", "input": "in\x00put", "output": "o", "model": "m",
    }  # fmt: skip
    with pytest.raises(RecordError, match="'id' contains a NUL character"):
        parse_record(record, source="s")
    record["id"] = "ab"
    assert parse_record(record, source="s").input == "in\x00put"


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        (record(id=" "), "'id' is blank (only whitespace)"),
        (record(id="\t\n "), "'id' is blank (only whitespace)"),
        (record(id=False), "'id' must be a string or an integer, got a boolean"),
        (record(id=None), "'id' must be a string or an integer, got null"),
        (record(id=7.0), "'id' must be a string or an integer, got a number"),
        (record(agent="  "), "'agent' is blank (only whitespace)"),
        (record(task_type="\t"), "'task_type' is blank (only whitespace)"),
        (record(model=" "), "'model' is blank (only whitespace)"),
    ],
)
def test_blank_ids_and_names_and_non_integer_numbers_are_rejected(obj: object, reason: str) -> None:
    assert reason_for(obj) == reason


def test_integer_ids_are_their_decimal_text_and_other_ids_are_kept_exactly() -> None:
    assert parse_record(record(id=-7), source="s").id == "-7"
    assert parse_record(record(id=2**70), source="s").id == str(2**70)
    assert parse_record(record(id=" a "), source="s").id == " a "  # never trimmed
