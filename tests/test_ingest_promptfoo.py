"""promptfoo ``results.json`` files, versions 3 and 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.core.models import Item, Rejection
from triage.platforms.detect import read_file_source

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "promptfoo"
V3 = FIXTURES / "results_v3.json"
V2 = FIXTURES / "results_v2.json"
EVAL = "eval-7Xk-2026-04-08T09:00:00"


def read(path: Path, **kwargs: Any) -> tuple[list[Item], list[Rejection]]:
    items: list[Item] = []
    rejected: list[Rejection] = []
    for batch in read_file_source(path, source="evals", **kwargs):
        items.extend(batch.items)
        rejected.extend(batch.rejected)
    return items, rejected


def test_version_3_results() -> None:
    items, rejected = read(V3)
    assert rejected == [Rejection(str(V3), 4, "result is not an object")]
    assert [i.id for i in items] == [f"{EVAL}:0:0", f"{EVAL}:1:0", f"{EVAL}:2:0"]

    failed = items[0]
    assert failed.source == "evals"
    assert failed.created_at == datetime(2026, 4, 8, 9, 0, tzinfo=UTC)
    assert failed.agent == "support-mini"
    assert failed.task_type == "reply"
    assert failed.input == "Reply to the customer: Can I return a used kettle?"
    assert failed.output == "Yes, any time!"
    assert failed.model == "openai:gpt-4.1-mini"
    assert failed.tool_calls == ()
    assert failed.transcript == ()
    assert failed.meta == {
        "success": False,
        "score": 0,
        "failure_reason": 1,
        "grading_reason": "policy allows unused items only",
        "named_scores": {"policy": 0},
        "latency_ms": 812,
        "cost": 0.0004,
        "error": None,
        "failed_assertions": [
            {
                "type": "llm-rubric",
                "value": "follows the return policy (unused items only, 30 days)",
                "reason": "policy allows unused items only",
            }
        ],
        "promptfoo_eval_id": EVAL,
        "promptfoo_result_id": "6f1c2a90-res-1",
        "test_index": 0,
        "prompt_index": 0,
        "vars": {"email": "Can I return a used kettle?"},
        "platform_outcome": {"status": "failed", "reason": "policy allows unused items only"},
        "description": "used kettle return",
        "token_usage": {"total": 88, "prompt": 60, "completion": 28, "cached": 0},
        "finish_reason": "stop",
        "test_metadata": {"task": "returns", "team": "support"},
    }


def test_object_output_unlabelled_provider_and_unrendered_prompt() -> None:
    items, _ = read(V3)
    passed = items[1]
    assert passed.agent == "promptfoo"
    # A template left in prompt.raw is filled from the vars.
    assert passed.input == "Reply to the customer: Where is my parcel?"
    assert passed.output == '{\n  "reply": "It ships today.",\n  "confidence": 0.8\n}'
    assert (passed.meta["success"], passed.meta["score"], passed.meta["failure_reason"]) == (
        True,
        1,
        0,
    )
    assert passed.meta["cost"] is None


def test_provider_error_result() -> None:
    items, _ = read(V3)
    errored = items[2]
    assert errored.output == ""
    assert errored.meta["error"] == "API error: 500 Internal Server Error"
    assert errored.meta["failure_reason"] == 2
    assert errored.meta["latency_ms"] == 30000
    assert errored.meta["grading_reason"] is None


def test_version_2_table() -> None:
    items, rejected = read(V2)
    assert rejected == [Rejection(str(V2), 2, "table row has no 'outputs' list")]
    # evalId is null in this file: the file name stands in.
    assert [i.id for i in items] == ["results_v2:0:0", "results_v2:0:1"]
    first, second = items
    assert first.created_at == datetime(2024, 3, 14, 16, 20, tzinfo=UTC)
    assert (first.agent, first.task_type, second.task_type) == (
        "promptfoo",
        "summary",
        "summary-terse",
    )
    assert first.input == "Summarise: The shop opens at 9 on weekdays and 10 on Saturdays."
    assert first.output == "Open 9:00 weekdays, 10:00 Saturdays."
    # The second output names no provider: the head's prompt does.
    assert first.model == second.model == "anthropic:messages:claude-3-haiku-20240307"
    assert second.meta == {
        "success": False,
        "score": 0,
        "failure_reason": 1,
        "grading_reason": 'Expected output to contain "9"',
        "named_scores": {},
        "latency_ms": 254,
        "cost": 0.0001,
        "error": None,
        "failed_assertions": [
            {"type": "contains", "value": "9", "reason": 'Expected output to contain "9"'}
        ],
        "promptfoo_eval_id": "results_v2",
        "promptfoo_result_id": "v2-0-1",
        "test_index": 0,
        "prompt_index": 1,
        "vars": {"text": "The shop opens at 9 on weekdays and 10 on Saturdays."},
        "platform_outcome": {"status": "failed", "reason": 'Expected output to contain "9"'},
        "description": "opening hours",
    }


def test_task_type_field_looks_in_test_metadata_then_vars() -> None:
    items, _ = read(V3, task_type_field="team")
    assert [i.task_type for i in items] == ["support", "reply", "reply"]
    items, _ = read(V3, task_type_field="email")
    assert [i.task_type for i in items] == [
        "Can I return a used kettle?",
        "Where is my parcel?",
        "Cancel my order",
    ]


def test_timestamp_fallback_and_missing_prompt(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    record = {"promptIdx": 1, "testIdx": 4, "provider": "echo", "vars": {"q": "hi"}}
    path.write_text(
        json.dumps(
            {
                "evalId": "e-1",
                "results": {"version": 3, "results": [record]},
                "metadata": {"evaluationCreatedAt": "2026-01-02T03:04:05Z"},
            }
        )
    )
    [item], _ = read(path)
    assert item.id == "e-1:4:1"
    assert item.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert item.input == '{\n  "q": "hi"\n}'
    assert (item.model, item.task_type, item.output) == ("echo", "eval", "")
    assert item.tool_calls == item.transcript == ()


def test_not_a_results_file_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text(json.dumps({"evalId": "e-1", "results": []}))
    items, rejected = read(path)
    assert items == []
    assert rejected == [
        Rejection(str(path), 1, "not a promptfoo results file (no 'results' object)")
    ]
    path.write_text('{"evalId": "e-1", "results": {"version": 3, "results": [')
    items, rejected = read(path, format="promptfoo")
    assert items == []
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [(1, "invalid JSON")]


def test_unpaired_surrogate_rejects_only_that_result(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    good = {"promptIdx": 0, "testIdx": 0, "response": {"output": "fine"}}
    bad = {"promptIdx": 0, "testIdx": 1, "response": {"output": "\ud800"}}
    summary = {"version": 3, "results": [good, bad]}
    path.write_text(json.dumps({"evalId": "e-2", "results": summary}))
    items, rejected = read(path)
    assert [i.id for i in items] == ["e-2:0:0"]
    assert [(r.line, r.reason.split(" (")[0]) for r in rejected] == [
        (2, "contains an unpaired UTF-16 surrogate escape")
    ]


def test_nan_in_one_result_rejects_that_result_only(tmp_path: Path) -> None:
    document = json.loads(V3.read_text())
    document["results"]["results"][1]["score"] = float("nan")
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document))  # Python writes NaN unless told not to
    items, rejected = read(path)
    assert [i.id for i in items] == [f"{EVAL}:0:0", f"{EVAL}:2:0"]
    assert (
        Rejection(str(path), 2, "'meta.score' is NaN, which is not a number JSON can carry")
        in rejected
    )


def outcome_of(item: Item) -> tuple[str, str | None]:
    stored = item.meta["platform_outcome"]
    return stored["status"], stored.get("reason")


def test_platform_outcome_of_each_result() -> None:
    items, _ = read(V3)
    assert [outcome_of(i) for i in items] == [
        ("failed", "policy allows unused items only"),
        ("passed", "All assertions passed"),
        ("errored", "API error: 500 Internal Server Error"),
    ]
    items, _ = read(V2)
    assert [outcome_of(i) for i in items] == [
        ("passed", "All assertions passed"),
        ("failed", 'Expected output to contain "9"'),
    ]


def results_file(tmp_path: Path, *records: dict[str, Any], version: int = 3) -> Path:
    path = tmp_path / "results.json"
    summary = {"version": version, "timestamp": "2026-04-08T09:00:00Z", "results": list(records)}
    path.write_text(json.dumps({"evalId": "e-3", "results": summary}))
    return path


def test_assertion_failure_is_failed_even_with_the_reason_in_error(tmp_path: Path) -> None:
    # promptfoo copies a failed assertion's reason into ``error``: failureReason 1 still
    # means the output failed, not that the run broke.
    components = [
        {"pass": False, "reason": "Expected JSON", "assertion": {"type": "is-json"}},
        {"pass": True, "reason": "Assertion passed", "assertion": {"type": "contains"}},
        {"pass": False, "reason": "Latency 4000ms > 2000ms", "assertion": {"type": "latency"}},
    ]
    record = {
        "success": False,
        "score": 0.33,
        "failureReason": 1,
        "error": "Expected JSON",
        "gradingResult": {"pass": False, "reason": "Expected JSON", "componentResults": components},
        "response": {"output": "not json"},
    }
    [item], _ = read(results_file(tmp_path, record))
    assert outcome_of(item) == ("failed", "Expected JSON; Latency 4000ms > 2000ms")


def test_failed_without_assertions_takes_the_grading_reason(tmp_path: Path) -> None:
    record = {"success": False, "score": 0, "gradingResult": {"pass": False, "reason": "off"}}
    [item], _ = read(results_file(tmp_path, record))
    assert outcome_of(item) == ("failed", "off")


def test_error_without_a_failure_reason_is_errored(tmp_path: Path) -> None:
    # Older files carry only the error (on the record or on the response).
    records = [
        {"score": 0, "error": "Request timed out after 300000 ms"},
        {"score": 0, "response": {"error": "rate limited (429)"}},
        {"success": False, "failureReason": 2, "response": {"error": "API error: 401"}},
    ]
    items, _ = read(results_file(tmp_path, *records))
    assert [outcome_of(i) for i in items] == [
        ("errored", "Request timed out after 300000 ms"),
        ("errored", "rate limited (429)"),
        ("errored", "API error: 401"),
    ]


def test_a_score_alone_is_unknown(tmp_path: Path) -> None:
    records = [
        {"score": 0.5},
        {"score": 1, "failureReason": 0},
        {"score": 0, "failureReason": True},
    ]
    items, _ = read(results_file(tmp_path, *records))
    assert [outcome_of(i) for i in items] == [("unknown", None)] * 3


def test_version_2_error_output_is_errored(tmp_path: Path) -> None:
    output = {"pass": False, "score": 0, "failureReason": 2, "error": "connect ECONNREFUSED"}
    table = {"head": {"prompts": [{"raw": "hi", "label": "p"}]}, "body": [{"outputs": [output]}]}
    path = tmp_path / "results.json"
    summary = {"version": 2, "timestamp": "2024-03-14T16:20:00Z", "table": table}
    path.write_text(json.dumps({"evalId": "e-4", "results": summary}))
    [item], _ = read(path)
    assert outcome_of(item) == ("errored", "connect ECONNREFUSED")
