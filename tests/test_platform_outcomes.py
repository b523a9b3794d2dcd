"""The platform's own outcome as every reader stores it: the shared finish-reason
mapping, native records that carry it themselves, and one outcome on every item."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import Scripted

from triage.core.checks.platform import OUTCOME_KEY, PlatformStatus, check_platform
from triage.core.models import Item
from triage.platforms.detect import read_file_source
from triage.platforms.http import read_http
from triage.platforms.outcomes import joined, outcome, stopped_at_length, truncated_by

SOURCES = Path(__file__).parent / "fixtures" / "sources"


def read(path: Path, **kwargs: Any) -> list[Item]:
    return [item for batch in read_file_source(path, source="s", **kwargs) for item in batch.items]


def outcome_of(item: Item) -> tuple[str, str | None]:
    stored = item.meta[OUTCOME_KEY]
    return stored["status"], stored.get("reason")


# --- the shared mapping ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "cut"),
    [
        ("length", True),
        ("max_tokens", True),
        ("MAX_TOKENS", True),  # Gemini
        (" length ", True),
        ("max_output_tokens", True),
        ("stop", False),
        ("end_turn", False),
        ("tool_calls", False),
        ("content_filter", False),
        ("", False),
        (None, False),
        (3, False),
    ],
)
def test_which_finish_reasons_mean_the_length_limit(reason: object, cut: bool) -> None:
    assert stopped_at_length(reason) is cut


def test_truncated_by_finds_the_first_length_reason_in_one_or_many() -> None:
    assert truncated_by(["stop", "length", "max_tokens"]) == "length"
    assert truncated_by(("tool_calls",)) is None
    assert truncated_by("max_tokens") == "max_tokens"
    assert truncated_by(None) is None
    assert truncated_by([None, {"reason": "length"}]) is None


def test_joined_keeps_distinct_texts_in_order() -> None:
    assert joined(["b", None, "a", " b ", "", {"message": "c"}, 3]) == "b; a; c"
    assert joined([None, "  "]) is None


def test_outcome_reads_an_error_object_as_its_message() -> None:
    assert outcome(PlatformStatus.ERRORED, {"type": "rate_limit", "message": "slow down"}) == {
        "status": "errored",
        "reason": "slow down",
    }
    assert outcome(PlatformStatus.ERRORED, {"type": "overloaded_error"}) == {
        "status": "errored",
        "reason": "overloaded_error",
    }
    assert outcome(PlatformStatus.PASSED, "  ") == {"status": "passed"}
    assert outcome(PlatformStatus.UNKNOWN, 42) == {"status": "unknown"}


# --- native records carry their own ---------------------------------------------------


def native(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"n-{n}",
        "created_at": "2026-04-08T10:00:00Z",
        "agent": "bot",
        "task_type": "reply",
        "input": "q",
        "output": "a",
        "model": "m",
        **fields,
    }


GIVEN = [
    {"status": "errored", "reason": "upstream 503"},
    {"status": "passed"},
    {"status": "maybe", "reason": "a producer's own word"},
    "failed",
]
"""Outcomes as producers write them: two well formed, two not (kept as given)."""


def test_native_jsonl_keeps_the_outcome_it_was_given(tmp_path: Path) -> None:
    records = [native(n, meta={OUTCOME_KEY: given}) for n, given in enumerate(GIVEN)]
    records.append(native(9, meta={"other": 1}))
    # A top-level platform_outcome goes into meta like any unknown key.
    records.append(native(10, platform_outcome={"status": "truncated"}))
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    items = read(path)
    assert [i.meta.get(OUTCOME_KEY) for i in items] == [*GIVEN, None, {"status": "truncated"}]
    # The check reads them leniently: what it does not know is unknown, never an error.
    assert [check_platform(i.meta).status for i in items] == [
        "errored",
        "passed",
        "unknown",
        "unknown",
        "unknown",
        "truncated",
    ]


def test_native_fixture_has_no_outcome_of_its_own() -> None:
    items = read(SOURCES / "native" / "items.jsonl")
    assert items
    assert all(OUTCOME_KEY not in i.meta for i in items)


def test_http_native_records_keep_the_outcome_they_were_given() -> None:
    records = [native(n, meta={OUTCOME_KEY: given}) for n, given in enumerate(GIVEN)]
    server = Scripted(httpx.Response(200, json={"items": records, "next": None}))
    batches = list(read_http("http://api.test/v1/items", source="api", client=server.client()))
    items = [item for batch in batches for item in batch.items]
    assert [i.meta[OUTCOME_KEY] for i in items] == GIVEN


# --- every file platform gives every item an outcome ---------------------------------


def test_every_item_of_the_platform_fixtures_has_an_outcome(tmp_path: Path) -> None:
    # The session fixtures are copied so no deleted transcript is picked up by name.
    sessions = tmp_path / "agents" / "main" / "sessions"
    shutil.copytree(SOURCES / "openclaw" / "agents" / "main" / "sessions", sessions)
    export = next((SOURCES / "openclaw" / "trajectory-exports").iterdir())
    found: dict[str, list[tuple[str, str | None]]] = {}
    for name, path, fmt in [
        ("promptfoo v3", SOURCES / "promptfoo" / "results_v3.json", None),
        ("promptfoo v2", SOURCES / "promptfoo" / "results_v2.json", None),
        ("otlp agent", SOURCES / "otlp" / "agent_trace.jsonl", "otlp"),
        ("otlp aliases", SOURCES / "otlp" / "chat_aliases.json", "otlp"),
        ("openclaw", sessions, None),
        ("trajectory", export, None),
    ]:
        items = read(path, format=fmt) if fmt else read(path)
        assert items, name
        for item in items:
            status, _ = outcome_of(item)
            PlatformStatus(status)  # every stored status is one of the vocabulary
        found[name] = sorted({outcome_of(i) for i in items}, key=str)
    assert found == {
        "promptfoo v3": [
            ("errored", "API error: 500 Internal Server Error"),
            ("failed", "policy allows unused items only"),
            ("passed", "All assertions passed"),
        ],
        "promptfoo v2": [
            ("failed", 'Expected output to contain "9"'),
            ("passed", "All assertions passed"),
        ],
        "otlp agent": [("unknown", None)],
        "otlp aliases": [("errored", "upstream 429 after 2 retries")],
        "openclaw": [("passed", None), ("truncated", "stop reason length")],
        "trajectory": [("errored", "run timed out after 600s"), ("passed", None)],
    }


def test_the_platform_check_reads_what_the_readers_store() -> None:
    items = read(SOURCES / "promptfoo" / "results_v3.json")
    results = [check_platform(i.meta) for i in items]
    assert [r.status for r in results] == ["failed", "passed", "errored"]
    assert results[0].evidence == "the platform failed it: policy allows unused items only"
    assert results[2].evidence == (
        "the run ended in an error: API error: 500 Internal Server Error"
    )
