"""Reading LangSmith: project lookup, root runs by cursor, retries, resuming, rejections
and the mapping to items."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from servers import Scripted

from triage.config.schema import SourceConfig
from triage.core.models import Item, Rejection, ToolCall, Turn
from triage.platforms import Batch, SourceError
from triage.platforms.langsmith import SELECT, read_langsmith

HOST = "https://smith.test"
SESSIONS = f"{HOST}/api/v1/sessions"
QUERY = f"{HOST}/api/v1/runs/query"
KEY = "lsv2_pt_secret_0123456789"
PROJECT_ID = "6a1f4b6e-8f52-4f0e-9d3c-0b7a2f1c9e11"
SINCE = datetime(2026, 8, 1, tzinfo=UTC)


def ok(body: object, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, json={"detail": "nope"}, headers=headers)


def config(**fields: Any) -> SourceConfig:
    values: dict[str, Any] = {
        "kind": "langsmith",
        "url": HOST,
        "token_env": "LS_KEY",
        "project": "support-prod",
    }
    values.update(fields)
    return SourceConfig(**values)


def sessions(*entries: dict[str, Any]) -> httpx.Response:
    return ok(list(entries))


def found() -> httpx.Response:
    return sessions({"id": PROJECT_ID, "name": "support-prod", "tenant_id": "t-1"})


def runs(records: list[Any], cursor: str | None = None) -> httpx.Response:
    return ok({"runs": records, "cursors": {"next": cursor, "prev": None}})


def run(n: int, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "trace_id": f"00000000-0000-4000-8000-{n:012d}",
        "name": "SupportAgent",
        "run_type": "chain",
        "start_time": f"2026-08-02T10:{n:02d}:00.123456",
        "end_time": f"2026-08-02T10:{n:02d}:02.623456",
        "status": "success",
        "error": None,
        "inputs": {"messages": [{"role": "user", "content": f"Cancel order #W{n}"}]},
        "outputs": {"output": "Done."},
        "extra": {"metadata": {"ls_model_name": "gpt-4.1", "task_type": "cancel_order"}},
        "tags": ["prod"],
        "session_id": PROJECT_ID,
        "parent_run_id": None,
        "prompt_tokens": 2000,
        "completion_tokens": 210,
        "total_tokens": 2210,
        "total_cost": "0.00421",
        "first_token_time": None,
        "feedback_stats": {},
    }
    record.update(fields)
    return record


def read(
    server: Scripted, *, cfg: SourceConfig | None = None, **kwargs: Any
) -> tuple[list[Batch], list[float]]:
    sleeps: list[float] = []
    batches = list(
        read_langsmith(
            cfg or config(),
            source="ls",
            api_key=KEY,
            client=server.client(),
            sleep=sleeps.append,
            **kwargs,
        )
    )
    return batches, sleeps


def ids(batches: list[Batch]) -> list[str]:
    return [item.id for batch in batches for item in batch.items]


def short(batches: list[Batch]) -> list[int]:
    return [int(item.id.rsplit("-", 1)[1]) for batch in batches for item in batch.items]


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("triage.platforms.retry.random.uniform", lambda low, high: high)


def test_project_lookup_and_cursor_paging() -> None:
    server = Scripted(found(), runs([run(1), run(2)], "cur-2"), runs([run(3)], None))
    batches, sleeps = read(server, tenant="tenant-9", since=SINCE, page_size=2)

    lookup = server.requests[0]
    assert (lookup.method, str(lookup.url)) == ("GET", f"{SESSIONS}?name=support-prod&limit=1")
    for request in server.requests:
        assert request.headers["x-api-key"] == KEY
        assert request.headers["x-tenant-id"] == "tenant-9"
    assert [str(r.url) for r in server.requests[1:]] == [QUERY, QUERY]
    assert server.bodies() == [
        {
            "session": [PROJECT_ID],
            "is_root": True,
            "limit": 2,
            "select": list(SELECT),
            "start_time": "2026-08-01T00:00:00+00:00",
        },
        {
            "session": [PROJECT_ID],
            "is_root": True,
            "limit": 2,
            "select": list(SELECT),
            "start_time": "2026-08-01T00:00:00+00:00",
            "cursor": "cur-2",
        },
    ]
    assert short(batches) == [1, 2, 3]
    assert [(b.done, b.position) for b in batches] == [
        (2, "cur-2@2026-08-01T00:00:00+00:00"),
        (3, None),
    ]
    assert sleeps == []


def test_project_id_is_used_as_is() -> None:
    server = Scripted(runs([run(1)]))
    batches, _ = read(server, cfg=config(project=PROJECT_ID.upper()))
    assert [r.method for r in server.requests] == ["POST"]
    assert server.bodies()[0]["session"] == [PROJECT_ID]
    assert "x-tenant-id" not in server.requests[0].headers
    assert short(batches) == [1]


def test_unknown_project() -> None:
    with pytest.raises(SourceError) as caught:
        read(Scripted(sessions()))
    assert str(caught.value).startswith("LangSmith has no project named 'support-prod'")


def test_project_is_required() -> None:
    with pytest.raises(SourceError, match="needs project"):
        read_langsmith(config(project=None), source="ls", api_key=KEY)


def test_run_mapping() -> None:
    record = run(
        1,
        status="error",
        error="ToolException: order not found",
        inputs={
            "messages": [
                {"role": "system", "content": "You are support."},
                {"role": "user", "content": "Cancel order #W42"},
            ]
        },
        outputs={
            "messages": [
                {"role": "user", "content": "Cancel order #W42"},
                {
                    "lc": 1,
                    "type": "constructor",
                    "id": ["langchain", "schema", "messages", "AIMessage"],
                    "kwargs": {
                        "content": "I could not find #W42.",
                        "tool_calls": [{"name": "lookup_order", "args": {"id": "W42"}, "id": "t1"}],
                    },
                },
            ]
        },
        feedback_stats={"correctness": {"n": 1, "avg": 0.0}},
    )
    batches, _ = read(Scripted(found(), runs([record])), cfg=config(task_type_field="task_type"))
    assert batches[0].items == [
        Item(
            id="00000000-0000-4000-8000-000000000001",
            created_at=datetime(2026, 8, 2, 10, 1, 0, 123456, tzinfo=UTC),
            agent="SupportAgent",
            task_type="cancel_order",
            input="Cancel order #W42",
            output="I could not find #W42.",
            model="gpt-4.1",
            source="ls",
            tool_calls=(ToolCall("lookup_order", {"id": "W42"}),),
            transcript=(Turn("system", "You are support."), Turn("user", "Cancel order #W42")),
            meta={
                "langsmith_run_id": "00000000-0000-4000-8000-000000000001",
                "langsmith_trace_id": "00000000-0000-4000-8000-000000000001",
                "run_type": "chain",
                "status": "error",
                "error": "ToolException: order not found",
                "tokens": {"prompt": 2000, "completion": 210, "total": 2210},
                "cost": 0.00421,
                "latency": 2.5,
                "tags": ["prod"],
                "feedback_stats": {"correctness": {"n": 1, "avg": 0.0}},
                "metadata": {"ls_model_name": "gpt-4.1", "task_type": "cancel_order"},
                "platform_outcome": {
                    "status": "errored",
                    "reason": "ToolException: order not found",
                },
            },
        )
    ]


@pytest.mark.parametrize(
    ("inputs", "outputs", "expected"),
    [
        ({"question": "Why?"}, {"text": "Because."}, ("Why?", "Because.")),
        (
            {"a": 1, "b": "x"},
            {"answer": 42, "why": "z"},
            ('{"a":1,"b":"x"}', '{"answer":42,"why":"z"}'),
        ),
        (
            {"messages": [[{"type": "human", "content": "hi"}]]},
            {"generations": [[{"text": "hello", "message": None}]]},
            ("hi", "hello"),
        ),
        ({}, None, ("", "")),
        ({"input": "q"}, {"output": {"role": "assistant", "content": "a"}}, ("q", "a")),
    ],
)
def test_inputs_and_outputs(
    inputs: dict[str, Any], outputs: Any, expected: tuple[str, str]
) -> None:
    batches, _ = read(Scripted(found(), runs([run(1, inputs=inputs, outputs=outputs)])))
    item = batches[0].items[0]
    assert (item.input, item.output) == expected


def test_agent_task_type_and_model_fallbacks() -> None:
    record = run(1, extra={"invocation_params": {"model": "claude-x"}}, name="Router")
    batches, _ = read(
        Scripted(found(), runs([record])), cfg=config(task_type_field="metadata.kind")
    )
    item = batches[0].items[0]
    assert (item.agent, item.task_type, item.model) == ("Router", "Router", "claude-x")

    record = run(2, extra={"metadata": {"kind": "triage"}})
    batches, _ = read(
        Scripted(found(), runs([record])), cfg=config(task_type_field="metadata.kind", agent="bot")
    )
    item = batches[0].items[0]
    assert (item.agent, item.task_type, item.model) == ("bot", "triage", "unknown")


def test_malformed_runs_are_rejected_and_the_rest_arrives() -> None:
    records = [run(1), None, run(3, id=None), run(4, start_time="later"), run(5)]
    batches, _ = read(Scripted(found(), runs(records)))
    assert short(batches) == [1, 5]
    where = f"{QUERY} (page 1)"
    assert batches[0].rejected == [
        Rejection(where, 2, "run is null, expected an object"),
        Rejection(where, 3, "missing required field 'id'"),
        Rejection(where, 4, "'start_time' is not an ISO 8601 date-time: 'later'"),
    ]


@pytest.mark.usefixtures("no_jitter")
def test_retries_and_a_duplicate_page() -> None:
    whole = json.dumps({"runs": [run(5)], "cursors": {"next": None}}).encode()
    server = Scripted(
        status(503),
        found(),
        runs([run(1), run(2)], "c2"),
        status(429, **{"Retry-After": "4"}),
        httpx.ConnectTimeout("timed out"),
        runs([run(3), run(4)], "c3"),
        runs([run(3), run(4)], "c4"),  # served again under a new cursor
        httpx.Response(200, content=whole[:25]),
        httpx.Response(200, content=whole),
    )
    batches, sleeps = read(server)
    assert sleeps == [0.5, 4.0, 1.0, 0.5]  # the timeout is the second retry of that page
    assert short(batches) == [1, 2, 3, 4, 5]
    assert [b.position for b in batches] == ["c2", "c3", "c4", None]
    assert [b.get("cursor") for b in server.bodies()] == [None, "c2", "c2", "c2", "c3", "c4", "c4"]


def test_interrupted_read_resumes_from_the_last_position() -> None:
    pages = {
        None: runs([run(1), run(2)], "c2"),
        "c2": runs([run(3), run(4)], "c3"),
        "c3": runs([run(5)], "c4"),
        "c4": runs([run(6)], None),
    }
    broken = [True]
    asked: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return found()
        body = json.loads(request.content)
        assert body["start_time"] == "2026-08-01T00:00:00+00:00"
        cursor = body.get("cursor")
        if cursor == "c3" and broken[0]:
            raise RuntimeError("connection pulled mid-read")
        asked.append(cursor)
        return pages[cursor]

    client = httpx.Client(transport=httpx.MockTransport(handler))
    got: list[Batch] = []
    with pytest.raises(RuntimeError):
        for batch in read_langsmith(config(), source="ls", api_key=KEY, since=SINCE, client=client):
            got.append(batch)
    assert short(got) == [1, 2, 3, 4]

    broken[0] = False
    resumed = list(
        read_langsmith(
            config(),
            source="ls",
            api_key=KEY,
            since=datetime(2026, 8, 2, 10, 4, tzinfo=UTC),  # moved on; the position wins
            position=got[-1].position,
            client=client,
        )
    )
    assert short(resumed) == [5, 6]
    assert sorted(short(got) + short(resumed)) == [1, 2, 3, 4, 5, 6]
    assert asked == [None, "c2", "c3", "c4"]


def test_repeated_cursor_is_a_loop() -> None:
    server = Scripted(found(), runs([run(1)], "c2"), runs([run(2)], "c2"))
    got: list[Batch] = []
    with pytest.raises(SourceError, match="goes round in a loop"):
        got.extend(read_langsmith(config(), source="ls", api_key=KEY, client=server.client()))
    assert short(got) == [1, 2]


@pytest.mark.parametrize("code", [401, 403])
def test_refused_authentication(code: int) -> None:
    server = Scripted(status(code))
    with pytest.raises(SourceError) as caught:
        read(server)
    message = str(caught.value)
    assert message == (
        f"{SESSIONS}?name=support-prod&limit=1 refused authentication (HTTP {code}); "
        "check the credentials"
    )
    assert KEY not in message


def test_answer_without_runs_is_an_error() -> None:
    with pytest.raises(SourceError, match="has no 'runs' list"):
        read(Scripted(found(), ok({"items": []})))


def test_host_given_with_api_suffix_and_default_host() -> None:
    server = Scripted(runs([]))
    read(server, cfg=config(url=f"{HOST}/api/v1/", project=PROJECT_ID))
    assert str(server.requests[0].url) == QUERY

    server = Scripted(runs([]))
    read(server, cfg=config(url=None, project=PROJECT_ID))
    assert str(server.requests[0].url) == "https://api.smith.langchain.com/api/v1/runs/query"


def test_the_key_stays_at_the_hosts_origin_across_redirects() -> None:
    def moved(location: str, code: int = 307) -> httpx.Response:
        return httpx.Response(code, headers={"Location": location})

    # Same origin: followed with the key, and the POST body kept on a 307.
    server = Scripted(moved(f"{HOST}/v2/runs/query"), runs([run(1)]))
    batches, _ = read(server, cfg=config(project=PROJECT_ID))
    assert short(batches) == [1]
    assert [r.headers.get("x-api-key") for r in server.requests] == [KEY, KEY]
    assert server.requests[1].method == "POST" and json.loads(server.requests[1].content)

    # Another origin: refused before anything is sent there.
    server = Scripted(moved("https://elsewhere.test/api/v1/runs/query"))
    with pytest.raises(SourceError) as caught:
        read(server, cfg=config(project=PROJECT_ID))
    assert str(caught.value).startswith(
        f"{QUERY} redirects to https://elsewhere.test/api/v1/runs/query, on another origin "
        f"than {HOST}: the credential is not sent there."
    )
    assert len(server.requests) == 1

    # Allowed by the source: followed without the key or the workspace.
    server = Scripted(moved("https://elsewhere.test/api/v1/runs/query"), runs([run(2)]))
    cfg = config(project=PROJECT_ID, follow_redirects="any-without-credentials")
    batches, _ = read(server, cfg=cfg, tenant="tenant-9")
    assert short(batches) == [2]
    assert server.requests[0].headers["x-tenant-id"] == "tenant-9"
    assert "x-api-key" not in server.requests[1].headers
    assert "x-tenant-id" not in server.requests[1].headers


def outcome_of(item: Item) -> tuple[str, str | None]:
    stored = item.meta["platform_outcome"]
    return stored["status"], stored.get("reason")


def ai_message(content: str, **response_metadata: Any) -> dict[str, Any]:
    """A LangChain AIMessage as LangSmith stores it in a run's outputs."""
    return {
        "lc": 1,
        "type": "constructor",
        "id": ["langchain", "schema", "messages", "AIMessage"],
        "kwargs": {"content": content, "response_metadata": response_metadata},
    }


def test_platform_outcome_of_each_run_status() -> None:
    traceback = 'Traceback (most recent call last):\n  ...\nValueError("no such order")'
    records = [
        run(1),
        run(2, status="error", error=traceback, outputs=None),
        run(3, status="error"),
        run(4, status="pending", end_time=None, outputs=None),
        # The error field alone says the run broke, whatever the status.
        run(5, status=None, error="CancelledError()"),
        run(6, status="interrupted"),
    ]
    batches, _ = read(Scripted(found(), runs(records)))
    assert [outcome_of(i) for i in batches[0].items] == [
        ("passed", None),
        ("errored", traceback),
        ("errored", "status error"),
        ("unknown", None),
        ("errored", "CancelledError()"),
        ("unknown", None),
    ]


def test_length_finish_reasons_in_the_outputs_are_truncated() -> None:
    generation = {
        "text": "Dear customer, we",
        "generation_info": {"finish_reason": "length"},
        "message": ai_message("Dear customer, we"),
    }
    records = [
        run(1, run_type="llm", outputs={"generations": [[generation]], "llm_output": None}),
        run(2, outputs={"messages": [ai_message("Dear", finish_reason="length")]}),
        run(3, outputs={"output": ai_message("Dear", stop_reason="max_tokens")}),
        run(
            4,
            outputs={"choices": [{"index": 0, "finish_reason": "length", "message": {}}]},
        ),
        run(5, outputs={"content": [], "stop_reason": "max_tokens"}),
        run(6, outputs={"messages": [ai_message("Done.", finish_reason="stop")]}),
        # An error wins over a cut-off answer.
        run(7, status="error", error="boom", outputs={"finish_reason": "length"}),
    ]
    batches, _ = read(Scripted(found(), runs(records)))
    assert [outcome_of(i) for i in batches[0].items] == [
        ("truncated", "finish reason length"),
        ("truncated", "finish reason length"),
        ("truncated", "finish reason max_tokens"),
        ("truncated", "finish reason length"),
        ("truncated", "finish reason max_tokens"),
        ("passed", None),
        ("errored", "boom"),
    ]
