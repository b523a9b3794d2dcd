"""Reading Langfuse: v2 root observations (cursor paging), v3 traces (page numbers),
retries, resuming, rejections and the mapping to items."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from servers import Received, Reply, Scripted, serving

from triage.config.schema import SourceConfig
from triage.core.models import Item, Rejection, ToolCall, Turn
from triage.platforms import Batch, SourceError
from triage.platforms.langfuse import read_langfuse

HOST = "https://langfuse.test"
OBS = f"{HOST}/api/public/v2/observations"
TRACES = f"{HOST}/api/public/traces"
PK, SK = "pk-lf-public-1234", "sk-lf-secret-5678"
SINCE = datetime(2026, 8, 1, 0, 0, tzinfo=UTC)


def ok(body: object, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, json={"message": "nope"}, headers=headers)


def config(**fields: Any) -> SourceConfig:
    values: dict[str, Any] = {
        "kind": "langfuse",
        "url": HOST,
        "public_key_env": "LF_PK",
        "secret_key_env": "LF_SK",
    }
    values.update(fields)
    return SourceConfig(**values)


def read(
    server: Scripted, *, cfg: SourceConfig | None = None, **kwargs: Any
) -> tuple[list[Batch], list[float]]:
    sleeps: list[float] = []
    batches = list(
        read_langfuse(
            cfg or config(),
            source="lf",
            public_key=PK,
            secret_key=SK,
            client=server.client(),
            sleep=sleeps.append,
            **kwargs,
        )
    )
    return batches, sleeps


def ids(batches: list[Batch]) -> list[str]:
    return [item.id for batch in batches for item in batch.items]


def obs(n: int, **fields: Any) -> dict[str, Any]:
    """A root observation as the v2 API returns it (input/output are raw strings)."""
    record: dict[str, Any] = {
        "id": f"obs-{n}",
        "traceId": f"tr-{n}",
        "type": "AGENT",
        "name": "support-reply",
        "isRootObservation": True,
        "parentObservationId": None,
        "startTime": f"2026-08-02T10:{n:02d}:00.000Z",
        "endTime": f"2026-08-02T10:{n:02d}:03.250Z",
        "projectId": "proj-1",
        "level": "DEFAULT",
        "statusMessage": None,
        "input": json.dumps([{"role": "user", "content": f"Where is order {n}?"}]),
        "output": json.dumps({"role": "assistant", "content": "It ships today."}),
        "providedModelName": "gpt-4o-mini",
        "usageDetails": {"input": 120, "output": 18, "total": 138},
        "costDetails": {"input": 0.0001, "output": 0.0002},
        "totalCost": 0.0003,
        "latency": 3.25,
        "timeToFirstToken": None,
        "traceName": "support-bot",
        "tags": ["prod"],
        "userId": "u-7",
        "sessionId": "s-42",
        "environment": "production",
    }
    record.update(fields)
    return record


def page(records: list[Any], cursor: str | None = None) -> httpx.Response:
    return ok({"data": records, "meta": {"cursor": cursor}})


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full jitter draws its upper bound, so backoff waits can be asserted exactly."""
    monkeypatch.setattr("triage.platforms.retry.random.uniform", lambda low, high: high)


# --- v2: mapping ------------------------------------------------------------------------


def test_v2_request_and_mapping() -> None:
    record = obs(
        1,
        input=json.dumps(
            [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Where is my order?"},
                {"role": "assistant", "content": "Which one?"},
                {"role": "user", "content": [{"type": "text", "text": "Order #W42"}]},
            ]
        ),
        output=json.dumps(
            {
                "role": "assistant",
                "content": "Cancelled #W42.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "cancel_order", "arguments": '{"order": "W42"}'},
                    }
                ],
            }
        ),
        level="WARNING",
        statusMessage="slow tool",
    )
    server = Scripted(page([record]))
    batches, sleeps = read(server, since=SINCE, page_size=50)

    request = server.requests[0]
    assert request.method == "GET"
    assert str(request.url).startswith(OBS + "?")
    assert server.params(0) == {
        "isRootObservation": "true",
        "limit": "50",
        "fields": "core,basic,io,usage,model,metrics,trace_context",
        "fromStartTime": "2026-08-01T00:00:00.000Z",
    }
    expected_auth = "Basic " + base64.b64encode(f"{PK}:{SK}".encode()).decode()
    assert request.headers["authorization"] == expected_auth
    assert sleeps == []
    assert len(batches) == 1
    assert (batches[0].rejected, batches[0].done, batches[0].total) == ([], 1, None)
    assert batches[0].position is None
    assert batches[0].items == [
        Item(
            id="obs-1",
            created_at=datetime(2026, 8, 2, 10, 1, tzinfo=UTC),
            agent="support-bot",
            task_type="support-reply",
            input="Order #W42",
            output="Cancelled #W42.",
            model="gpt-4o-mini",
            source="lf",
            tool_calls=(ToolCall("cancel_order", {"order": "W42"}),),
            transcript=(
                Turn("system", "Be brief."),
                Turn("user", "Where is my order?"),
                Turn("assistant", "Which one?"),
                Turn("user", "Order #W42"),
            ),
            meta={
                "langfuse_trace_id": "tr-1",
                "langfuse_observation_id": "obs-1",
                "observation_type": "AGENT",
                "level": "WARNING",
                "status_message": "slow tool",
                "usage": {"input": 120, "output": 18, "total": 138},
                "cost": 0.0003,
                "cost_details": {"input": 0.0001, "output": 0.0002},
                "latency": 3.25,
                "tags": ["prod"],
                "session_id": "s-42",
                "user_id": "u-7",
                "environment": "production",
                "platform_outcome": {"status": "unknown"},
            },
        )
    ]


@pytest.mark.parametrize(
    ("raw_input", "raw_output", "expected"),
    [
        ("plain question", "plain answer", ("plain question", "plain answer")),
        # JSON that is not chat is kept exactly as sent.
        ('{"query":  "refund?"}', '{"ok": true}', ('{"query":  "refund?"}', '{"ok": true}')),
        ('"quoted"', "[1, 2]", ("quoted", "[1, 2]")),
        (None, None, ("", "")),
        (
            json.dumps({"messages": [{"type": "human", "content": "hi there"}]}),
            json.dumps([{"role": "user", "content": "x"}, {"role": "assistant", "content": "yo"}]),
            ("hi there", "yo"),
        ),
        ("{broken", "[not json", ("{broken", "[not json")),
    ],
)
def test_v2_input_and_output_text(
    raw_input: str | None, raw_output: str | None, expected: tuple[str, str]
) -> None:
    batches, _ = read(Scripted(page([obs(1, input=raw_input, output=raw_output)])))
    item = batches[0].items[0]
    assert (item.input, item.output) == expected


def test_v2_agent_task_type_and_model_fallbacks() -> None:
    records = [
        obs(1, traceName=None, providedModelName=None),
        obs(2, traceName=None, name=None, type="GENERATION"),
    ]
    batches, _ = read(Scripted(page(records)))
    first, second = batches[0].items
    assert (first.agent, first.task_type, first.model) == (
        "support-reply",
        "support-reply",
        "unknown",
    )
    assert (second.agent, second.task_type) == ("lf", "generation")

    batches, _ = read(Scripted(page([obs(3)])), cfg=config(agent="helpdesk"))
    assert batches[0].items[0].agent == "helpdesk"


def test_v2_task_type_field_asks_for_metadata() -> None:
    server = Scripted(page([obs(1, metadata={"task_type": "refund", "tier": "gold"}), obs(2)]))
    batches, _ = read(server, cfg=config(task_type_field="metadata.task_type"))
    params = server.params(0)
    assert params["fields"] == "core,basic,io,usage,model,metrics,trace_context,metadata"
    assert params["expandMetadata"] == "task_type"
    first, second = batches[0].items
    assert first.task_type == "refund"
    assert first.meta["metadata"] == {"task_type": "refund", "tier": "gold"}
    assert second.task_type == "support-reply"  # no value at the path: the name


def test_v2_malformed_records_are_rejected_and_the_rest_arrives() -> None:
    records = [
        obs(1),
        "not an object",
        obs(3, id=None),
        obs(4, startTime="yesterday"),
        obs(5, startTime=None),
        obs(6, id="obs\x006"),
        obs(7),
    ]
    batches, _ = read(Scripted(page(records)))
    assert ids(batches) == ["obs-1", "obs-7"]
    fields = "core%2Cbasic%2Cio%2Cusage%2Cmodel%2Cmetrics%2Ctrace_context"
    where = f"{OBS}?isRootObservation=true&limit=100&fields={fields}"
    assert batches[0].rejected == [
        Rejection(where, 2, "record is a string, expected an object"),
        Rejection(where, 3, "missing required field 'id'"),
        Rejection(where, 4, "'startTime' is not an ISO 8601 date-time: 'yesterday'"),
        Rejection(where, 5, "missing required field 'startTime'"),
        Rejection(where, 6, "'id' contains a NUL character"),
    ]
    assert batches[0].done == 7


def test_v2_unpaired_surrogate_is_rejected() -> None:
    second = json.dumps(obs(2, output="SURROGATE")).replace('"SURROGATE"', '"\\ud800"')
    body = '{"data": [' + json.dumps(obs(1)) + ", " + second + '], "meta": {}}'
    batches, _ = read(Scripted(httpx.Response(200, content=body.encode())))
    assert ids(batches) == ["obs-1"]
    assert [(r.line, r.reason[:40]) for r in batches[0].rejected] == [
        (2, "contains an unpaired UTF-16 surrogate es")
    ]


# --- v2: paging, retries ----------------------------------------------------------------


@pytest.mark.usefixtures("no_jitter")
def test_v2_paging_survives_429_500_timeout_truncation_and_a_duplicate_page() -> None:
    page2 = page([obs(3), obs(4)], "c3")
    server = Scripted(
        page([obs(1), obs(2)], "c2"),
        status(429, **{"Retry-After": "7"}),
        page2,
        status(500),
        httpx.ReadTimeout("timed out"),
        page([obs(3), obs(4)], "c4"),  # the same page again, under a new cursor
        httpx.Response(200, content=json.dumps({"data": [obs(5)], "meta": {}}).encode()[:40]),
        page([obs(5)], None),
    )
    batches, sleeps = read(server)
    assert sleeps == [7.0, 0.5, 1.0, 0.5]
    assert ids(batches) == ["obs-1", "obs-2", "obs-3", "obs-4", "obs-5"]
    assert [b.position for b in batches] == ["c2", "c3", "c4", None]
    assert [b.done for b in batches] == [2, 4, 6, 7]
    assert [r.url.params.get("cursor") for r in server.requests] == [
        None, "c2", "c2", "c3", "c3", "c3", "c4", "c4",
    ]  # fmt: skip


@pytest.mark.usefixtures("no_jitter")
def test_v2_body_that_stays_truncated_gives_up() -> None:
    cut = httpx.Response(200, content=b'{"data": [{"id": "obs-1"')
    server = Scripted(*[cut for _ in range(3)])
    with pytest.raises(SourceError) as caught:
        read(server, max_retries=2)
    message = str(caught.value)
    assert message.startswith(f"giving up on {OBS}?")
    assert message.endswith("after 3 attempts; last error: the body is not valid JSON "
                            "(Expecting ',' delimiter at line 1 column 25)")  # fmt: skip


def test_v2_interrupted_read_resumes_from_the_last_position() -> None:
    pages = {
        None: page([obs(1), obs(2)], "c2"),
        "c2": page([obs(3), obs(4)], "c3"),
        "c3": page([obs(5), obs(6)], "c4"),
        "c4": page([obs(7)], None),
    }
    served: list[str | None] = []
    broken = [True]

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor == "c3" and broken[0]:
            raise RuntimeError("connection pulled mid-read")
        served.append(cursor)
        return pages[cursor]

    client = httpx.Client(transport=httpx.MockTransport(handler))
    got: list[Batch] = []
    reader = read_langfuse(
        config(), source="lf", public_key=PK, secret_key=SK, since=SINCE, client=client
    )
    with pytest.raises(RuntimeError):
        for batch in reader:
            got.append(batch)
    assert ids(got) == ["obs-1", "obs-2", "obs-3", "obs-4"]
    position = got[-1].position
    assert position == "c3@2026-08-01T00:00:00+00:00"

    broken[0] = False
    resumed = list(
        read_langfuse(
            config(),
            source="lf",
            public_key=PK,
            secret_key=SK,
            # The caller's "since" moved on meanwhile; the position keeps the read's own.
            since=datetime(2026, 8, 2, 10, 4, tzinfo=UTC),
            position=position,
            client=client,
        )
    )
    assert ids(resumed) == ["obs-5", "obs-6", "obs-7"]
    assert sorted(ids(got) + ids(resumed)) == [f"obs-{n}" for n in range(1, 8)]
    assert served == [None, "c2", "c3", "c4"]
    assert [b.position for b in resumed] == ["c4@2026-08-01T00:00:00+00:00", None]


def test_v2_resume_without_since_uses_the_bare_cursor() -> None:
    server = Scripted(page([obs(3)], "c3"), page([obs(4)]))
    batches, _ = read(server, position="c2")
    assert [r.url.params.get("cursor") for r in server.requests] == ["c2", "c3"]
    assert "fromStartTime" not in server.params(0)
    assert [b.position for b in batches] == ["c3", None]


def test_v2_repeated_cursor_is_a_loop() -> None:
    server = Scripted(page([obs(1)], "c2"), page([obs(2)], "c3"), page([obs(3)], "c2"))
    got: list[Batch] = []
    with pytest.raises(SourceError, match="goes round in a loop"):
        got.extend(
            read_langfuse(config(), source="lf", public_key=PK, secret_key=SK,
                          client=server.client())
        )  # fmt: skip
    assert ids(got) == ["obs-1", "obs-2", "obs-3"]
    assert len(server.requests) == 3


@pytest.mark.parametrize("code", [401, 403])
def test_refused_authentication(code: int) -> None:
    server = Scripted(status(code))
    with pytest.raises(SourceError) as caught:
        read(server)
    message = str(caught.value)
    assert f"refused authentication (HTTP {code}); check the credentials" in message
    assert PK not in message and SK not in message
    assert len(server.requests) == 1


def test_v2_missing_endpoint_suggests_v3() -> None:
    server = Scripted(httpx.Response(404, text="Not Found"))
    with pytest.raises(SourceError) as caught:
        read(server)
    assert str(caught.value).endswith('needs api = "v3")')


def test_page_without_data_is_an_error() -> None:
    with pytest.raises(SourceError, match="has no 'data' list"):
        read(Scripted(ok({"items": []})))


def test_default_host_is_langfuse_cloud() -> None:
    server = Scripted(page([]))
    read(server, cfg=config(url=None))
    assert str(server.requests[0].url).startswith(
        "https://cloud.langfuse.com/api/public/v2/observations?"
    )


# --- v3: traces -------------------------------------------------------------------------


def trace(n: int, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"tr-{n}",
        "timestamp": f"2026-08-02T09:{n:02d}:00.000Z",
        "name": "refund-flow",
        "input": {"messages": [{"role": "user", "content": f"Refund order {n}"}]},
        "output": {"role": "assistant", "content": "Refund issued."},
        "sessionId": "s-1",
        "release": None,
        "version": None,
        "userId": "u-1",
        "metadata": {"task_type": "refund"},
        "tags": ["billing"],
        "public": False,
        "environment": "default",
        "htmlPath": f"/project/p/traces/tr-{n}",
        "latency": 2.5,
        "totalCost": 0.01,
        "observations": [],
        "scores": [],
    }
    record.update(fields)
    return record


def traces_page(records: list[Any], number: int, pages: int, total: int) -> httpx.Response:
    return ok(
        {
            "data": records,
            "meta": {"page": number, "limit": 2, "totalItems": total, "totalPages": pages},
        }
    )


@pytest.mark.usefixtures("no_jitter")
def test_v3_traces_page_by_page() -> None:
    server = Scripted(
        traces_page([trace(1), trace(2)], 1, 3, 5),
        status(503, **{"Retry-After": "3"}),
        traces_page([trace(3), trace(4)], 2, 3, 5),
        traces_page([trace(5), {"id": "tr-6"}], 3, 3, 5),
    )
    batches, sleeps = read(server, cfg=config(api="v3", task_type_field="metadata.task_type"),
                           since=SINCE, page_size=2)  # fmt: skip
    assert sleeps == [3.0]
    assert ids(batches) == ["tr-1", "tr-2", "tr-3", "tr-4", "tr-5"]
    assert [r.url.params["page"] for r in server.requests] == ["1", "2", "2", "3"]
    assert server.params(0) == {
        "limit": "2",
        "orderBy": "timestamp.asc",
        "fields": "core,io,metrics",
        "fromTimestamp": "2026-08-01T00:00:00.000Z",
        "page": "1",
    }
    assert [(b.done, b.total, b.position) for b in batches] == [
        (2, 5, "2@2026-08-01T00:00:00+00:00"),
        (4, 5, "3@2026-08-01T00:00:00+00:00"),
        (6, 5, None),
    ]
    assert [r.reason for r in batches[2].rejected] == ["missing required field 'timestamp'"]
    assert batches[0].items[0] == Item(
        id="tr-1",
        created_at=datetime(2026, 8, 2, 9, 1, tzinfo=UTC),
        agent="refund-flow",
        task_type="refund",
        input="Refund order 1",
        output="Refund issued.",
        model="unknown",
        source="lf",
        transcript=(Turn("user", "Refund order 1"),),
        meta={
            "langfuse_trace_id": "tr-1",
            "cost": 0.01,
            "latency": 2.5,
            "tags": ["billing"],
            "session_id": "s-1",
            "user_id": "u-1",
            "environment": "default",
            "html_path": "/project/p/traces/tr-1",
            "metadata": {"task_type": "refund"},
            "platform_outcome": {"status": "unknown"},
        },
    )


def test_v3_resumes_at_the_page_in_the_position() -> None:
    server = Scripted(traces_page([trace(3)], 2, 3, 5), traces_page([trace(5)], 3, 3, 5))
    batches, _ = read(
        server,
        cfg=config(api="v3"),
        since=datetime(2026, 9, 1, tzinfo=UTC),  # ignored: the position has its own
        position="2@2026-08-01T00:00:00+00:00",
    )
    assert [r.url.params["page"] for r in server.requests] == ["2", "3"]
    assert server.params(0)["fromTimestamp"] == "2026-08-01T00:00:00.000Z"
    assert ids(batches) == ["tr-3", "tr-5"]
    assert batches[-1].position is None


def test_v3_non_chat_json_becomes_compact_json_and_duplicates_arrive_once() -> None:
    server = Scripted(
        traces_page([trace(1, input={"query": "hé", "n": 2}, output=["a", 1])], 1, 2, 2),
        traces_page([trace(1), trace(2, input="plain", output=None)], 2, 2, 2),
    )
    batches, _ = read(server, cfg=config(api="v3"))
    assert ids(batches) == ["tr-1", "tr-2"]
    first, second = batches[0].items[0], batches[1].items[0]
    assert (first.input, first.output) == ('{"query":"hé","n":2}', '["a",1]')
    assert (second.input, second.output) == ("plain", "")


def test_v3_bad_position() -> None:
    with pytest.raises(SourceError, match="cannot resume Langfuse traces from position"):
        read(Scripted(), cfg=config(api="v3"), position="c2")


# --- a real local server, with the reader's own client ------------------------------------


@pytest.fixture
def local_langfuse() -> Iterator[tuple[str, list[str | None]]]:
    seen_auth: list[str | None] = []
    bodies = {
        None: {"data": [obs(1)], "meta": {"cursor": "c2"}},
        "c2": {"data": [obs(2)], "meta": {}},
    }

    def answer(request: Received) -> Reply:
        seen_auth.append(request.headers.get("authorization"))
        return Reply.json(bodies[httpx.URL(request.path).params.get("cursor")])

    with serving(answer) as server:
        yield server.url, seen_auth


def test_real_local_server(local_langfuse: tuple[str, list[str | None]]) -> None:
    url, seen_auth = local_langfuse
    batches = list(
        read_langfuse(config(url=url), source="lf", public_key=PK, secret_key=SK, timeout=5.0)
    )
    assert ids(batches) == ["obs-1", "obs-2"]
    expected = "Basic " + base64.b64encode(f"{PK}:{SK}".encode()).decode()
    assert seen_auth == [expected, expected]


# --- platform outcome ---------------------------------------------------------------


def outcome_of(item: Item) -> tuple[str, str | None]:
    stored = item.meta["platform_outcome"]
    return stored["status"], stored.get("reason")


def test_v2_only_the_error_level_fails() -> None:
    records = [
        obs(1, level="ERROR", statusMessage="OpenAI APIError: 500 The server had an error"),
        obs(2, level="ERROR"),
        obs(3, level="WARNING", statusMessage="retried once"),
        obs(4),  # DEFAULT
        obs(5, level="DEBUG"),
        obs(6, level=None),
    ]
    batches, _ = read(Scripted(page(records)))
    assert [outcome_of(i) for i in batches[0].items] == [
        ("errored", "OpenAI APIError: 500 The server had an error"),
        ("errored", None),
        ("unknown", None),
        ("unknown", None),
        ("unknown", None),
        ("unknown", None),
    ]
    # The warning's message is still in the meta, only not as an outcome.
    assert batches[0].items[2].meta["status_message"] == "retried once"


def test_v3_trace_takes_its_root_observations_level_when_it_has_it() -> None:
    def observation(id: str, parent: str | None, level: str, message: str | None) -> Any:
        return {"id": id, "parentObservationId": parent, "level": level, "statusMessage": message}

    records = [
        trace(1, observations=["obs-a", "obs-b"]),  # the list sends ids only
        trace(2, observations=[observation("o1", None, "ERROR", "tool crashed")]),
        trace(
            3,
            observations=[
                observation("o2", "o3", "ERROR", "a retried step"),
                observation("o3", None, "DEFAULT", None),
            ],
        ),
    ]
    batches, _ = read(Scripted(traces_page(records, 1, 1, 3)), cfg=config(api="v3"))
    assert [outcome_of(i) for i in batches[0].items] == [
        ("unknown", None),
        ("errored", "tool crashed"),
        ("unknown", None),
    ]
