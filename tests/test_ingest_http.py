"""Reading paginated HTTP JSON endpoints: page shapes, retries, errors, a real local server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from servers import Received, Reply, Scripted, serving
from servers import Server as LocalServer

from triage.core.models import Rejection
from triage.platforms import Batch, SourceError
from triage.platforms.http import read_http, retry_after

API = "http://api.test/v1/items"


def rec(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"r-{n}",
        "created_at": "2024-05-01T10:00:00Z",
        "agent": "support-bot",
        "task_type": "support_reply",
        "input": f"question {n}",
        "output": f"answer {n}",
        "model": "m-1",
        **fields,
    }


def page(body: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def read(server: Scripted, url: str = API, **kwargs: Any) -> tuple[list[Batch], list[float]]:
    sleeps: list[float] = []
    batches = list(
        read_http(url, source="api", client=server.client(), sleep=sleeps.append, **kwargs)
    )
    return batches, sleeps


def ids(batches: list[Batch]) -> list[str]:
    return [item.id for batch in batches for item in batch.items]


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full jitter always draws its upper bound, so backoff waits can be asserted exactly."""
    monkeypatch.setattr("triage.platforms.http.random.uniform", lambda low, high: high)


def test_list_page() -> None:
    server = Scripted(page([rec(1), rec(2)]))
    batches, sleeps = read(server)
    assert len(batches) == 1
    assert ids(batches) == ["r-1", "r-2"]
    assert [item.source for item in batches[0].items] == ["api", "api"]
    assert (batches[0].rejected, batches[0].done, batches[0].total) == ([], 2, None)
    assert batches[0].position is None
    assert server.urls == [API]
    assert sleeps == []


def test_paged_with_absolute_next_url() -> None:
    server = Scripted(
        page({"items": [rec(1), rec(2)], "next": "http://api.test/v1/items?page=2", "total": 3}),
        page({"items": [rec(3)], "next": None, "total": 3}),
    )
    batches, _ = read(server)
    assert server.urls == [API, "http://api.test/v1/items?page=2"]
    assert [ids([b]) for b in batches] == [["r-1", "r-2"], ["r-3"]]
    assert [(b.done, b.total, b.position) for b in batches] == [
        (2, 3, "http://api.test/v1/items?page=2"),
        (3, 3, None),
    ]


def test_relative_next_urls_are_joined_with_the_current_page() -> None:
    server = Scripted(
        page({"items": [rec(1)], "next": "/v1/items?page=2"}),
        page({"items": [rec(2)], "next": "?page=3"}),
        page({"items": [rec(3)]}),
    )
    batches, _ = read(server)
    assert server.urls == [
        API,
        "http://api.test/v1/items?page=2",
        "http://api.test/v1/items?page=3",
    ]
    assert ids(batches) == ["r-1", "r-2", "r-3"]
    assert [b.position for b in batches] == [
        "http://api.test/v1/items?page=2",
        "http://api.test/v1/items?page=3",
        None,
    ]


def test_cursor_paging_adds_the_cursor_to_the_first_url() -> None:
    server = Scripted(
        page({"data": [rec(1)], "next_cursor": "eyJwIjoyfQ=="}),
        page({"data": [rec(2)], "cursor": "c3"}),
        page({"data": [rec(3)], "next_cursor": ""}),
    )
    batches, _ = read(server, params={"limit": "1"}, headers={"Authorization": "Bearer s3cret"})
    assert server.urls == [
        f"{API}?limit=1",
        f"{API}?limit=1&cursor=eyJwIjoyfQ%3D%3D",
        f"{API}?limit=1&cursor=c3",
    ]
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer s3cret"] * 3
    assert ids(batches) == ["r-1", "r-2", "r-3"]
    assert [b.position for b in batches] == ["eyJwIjoyfQ==", "c3", None]


def test_numeric_cursor() -> None:
    server = Scripted(page({"items": [rec(1)], "next": 2}), page({"items": []}))
    read(server)
    assert server.urls == [API, f"{API}?cursor=2"]


def test_text_with_a_colon_is_a_cursor_not_a_url() -> None:
    server = Scripted(page({"items": [], "next": "page:2"}), page({"items": []}))
    read(server)
    assert server.urls == [API, f"{API}?cursor=page%3A2"]


def test_resume_from_a_position() -> None:
    server = Scripted(page({"items": [rec(2)], "next": "c3"}), page({"items": [rec(3)]}))
    batches, _ = read(server, resume_from="c2")
    assert server.urls == [f"{API}?cursor=c2", f"{API}?cursor=c3"]
    assert ids(batches) == ["r-2", "r-3"]

    server = Scripted(page({"items": [rec(2)]}))
    read(server, resume_from="http://api.test/v1/items?page=2")
    assert server.urls == ["http://api.test/v1/items?page=2"]


def test_items_pointer() -> None:
    server = Scripted(
        page({"result": {"records": [rec(1)], "next": "c2", "total": 2}}),
        page({"result": {"records": [rec(2)]}, "next": None}),
    )
    batches, _ = read(server, items_pointer="/result/records")
    assert ids(batches) == ["r-1", "r-2"]
    assert server.urls == [API, f"{API}?cursor=c2"]
    assert [(b.total, b.position) for b in batches] == [(2, "c2"), (None, None)]


def test_items_pointer_with_escapes_and_indices() -> None:
    server = Scripted(page({"a/b": [{"x~y": [rec(1)]}]}))
    batches, _ = read(server, items_pointer="/a~1b/0/x~0y")
    assert ids(batches) == ["r-1"]


def test_items_pointer_that_finds_nothing() -> None:
    server = Scripted(page({"result": {}}))
    with pytest.raises(SourceError) as caught:
        read(server, items_pointer="/result/records")
    assert str(caught.value) == (
        f"items_pointer '/result/records' finds nothing in the page from {API}"
    )


def test_items_pointer_must_be_a_pointer() -> None:
    with pytest.raises(SourceError) as caught:
        read_http(API, source="api", items_pointer="result.records")
    assert str(caught.value) == (
        "items_pointer 'result.records' is not a JSON pointer: it must start with '/', "
        "as in '/result/records'"
    )


def test_page_without_items_names_the_fix() -> None:
    with pytest.raises(SourceError) as caught:
        read(Scripted(page({"records": []})))
    assert str(caught.value) == (
        f"the page from {API} has no 'items' or 'data' list; set items_pointer to where its "
        "records are"
    )


def test_bad_records_are_rejected_with_page_url_and_index() -> None:
    server = Scripted(
        page({"items": [rec(1)], "next": "?page=2"}),
        page({"items": [rec(2), rec(3, created_at="soon"), "x", rec(4), {}]}),
    )
    batches, _ = read(server)
    assert ids(batches) == ["r-1", "r-2", "r-4"]
    second = "http://api.test/v1/items?page=2"
    assert batches[1].rejected == [
        Rejection(second, 2, "'created_at' is not an ISO 8601 date-time: 'soon'"),
        Rejection(second, 3, "record is a JSON string, expected an object"),
        Rejection(second, 5, "missing required field 'id'"),
    ]
    assert [b.done for b in batches] == [1, 6]


def test_secret_query_parameters_are_hidden_in_rejections() -> None:
    server = Scripted(page([{}]))
    batches, _ = read(server, params={"api_key": "s3cret", "limit": "5"})
    assert server.urls == [f"{API}?api_key=s3cret&limit=5"]
    assert batches[0].rejected == [
        Rejection(f"{API}?api_key=redacted&limit=5", 1, "missing required field 'id'")
    ]


def test_429_honours_retry_after_seconds() -> None:
    server = Scripted(page({}, 429, **{"Retry-After": "7"}), page([rec(1)]))
    batches, sleeps = read(server)
    assert sleeps == [7.0]
    assert ids(batches) == ["r-1"]
    assert server.urls == [API, API]


def test_retry_after_is_capped_at_a_minute() -> None:
    server = Scripted(page({}, 503, **{"Retry-After": "3600"}), page([rec(1)]))
    _, sleeps = read(server)
    assert sleeps == [60.0]


def test_retry_after_as_http_date() -> None:
    now = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=12), usegmt=True)
    assert retry_after(later, now=now) == 12.0
    assert retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0.0
    assert retry_after("Wed, 21 Oct 2099 07:28:00 GMT") == 60.0
    assert retry_after("soon") is None
    assert retry_after(None) is None

    server = Scripted(
        page({}, 429, **{"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}), page([rec(1)])
    )
    _, sleeps = read(server)
    assert sleeps == [60.0]


@pytest.mark.usefixtures("no_jitter")
def test_500_then_success_backs_off() -> None:
    server = Scripted(page({}, 500), page({}, 502), page([rec(1)]))
    batches, sleeps = read(server, backoff=0.25)
    assert sleeps == [0.25, 0.5]
    assert ids(batches) == ["r-1"]


def test_backoff_is_full_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    draws: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        draws.append((low, high))
        return 0.125

    monkeypatch.setattr("triage.platforms.http.random.uniform", uniform)
    server = Scripted(page({}, 500), page({}, 500), page({}, 500), page([]))
    _, sleeps = read(server, backoff=1.0)
    assert draws == [(0, 1.0), (0, 2.0), (0, 4.0)]
    assert sleeps == [0.125, 0.125, 0.125]


@pytest.mark.usefixtures("no_jitter")
@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.ReadError("connection reset by peer"),
    ],
)
def test_transport_error_then_success(error: Exception) -> None:
    server = Scripted(error, page([rec(1)]))
    batches, sleeps = read(server)
    assert ids(batches) == ["r-1"]
    assert sleeps == [0.5]


@pytest.mark.usefixtures("no_jitter")
def test_truncated_json_body_then_success() -> None:
    whole = json.dumps({"items": [rec(1)]}).encode()
    server = Scripted(httpx.Response(200, content=whole[:30]), httpx.Response(200, content=whole))
    batches, sleeps = read(server)
    assert ids(batches) == ["r-1"]
    assert sleeps == [0.5]


@pytest.mark.usefixtures("no_jitter")
def test_body_that_stays_broken_gives_up() -> None:
    server = Scripted(*[httpx.Response(200, content=b'{"items": [') for _ in range(3)])
    with pytest.raises(SourceError) as caught:
        read(server, max_retries=2)
    assert str(caught.value) == (
        f"giving up on {API} after 3 attempts; last error: the body is not valid JSON "
        "(Expecting value at line 1 column 12)"
    )


@pytest.mark.usefixtures("no_jitter")
def test_exhausted_retries_name_url_and_last_status() -> None:
    server = Scripted(*[page({}, 503) for _ in range(6)])
    sleeps: list[float] = []
    with pytest.raises(SourceError) as caught:
        list(read_http(API, source="api", client=server.client(), sleep=sleeps.append))
    assert str(caught.value) == f"giving up on {API} after 6 attempts; last error: HTTP 503"
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_exhausted_retries_name_the_transport_error() -> None:
    server = Scripted(httpx.ConnectTimeout("timed out"))
    with pytest.raises(SourceError) as caught:
        read(server, max_retries=0)
    assert str(caught.value) == (
        f"giving up on {API} after 1 attempt; last error: ConnectTimeout: timed out"
    )


@pytest.mark.parametrize("status", [401, 403])
def test_refused_authentication_fails_at_once(status: int) -> None:
    server = Scripted(page({"error": "bad token"}, status))
    with pytest.raises(SourceError) as caught:
        read(server, headers={"Authorization": "Bearer s3cret"})
    message = str(caught.value)
    assert message == f"{API} refused authentication (HTTP {status}); check the credentials"
    assert "s3cret" not in message
    assert len(server.requests) == 1


def test_other_4xx_fails_with_a_safe_excerpt() -> None:
    body = "Not found:\x1b[31m no such\nendpoint \x07" + "x" * 500
    server = Scripted(httpx.Response(404, text=body))
    with pytest.raises(SourceError) as caught:
        read(server)
    message = str(caught.value)
    expected_text = ("Not found:\u241b[31m no such endpoint \u2407" + "x" * 500)[:199] + "\u2026"
    assert message == f"{API} answered HTTP 404 Not Found: {expected_text}"
    assert len(server.requests) == 1
    assert not any(ord(c) < 0x20 for c in message)


def test_loop_guard() -> None:
    server = Scripted(
        page({"items": [rec(1)], "next": "?page=2"}),
        page({"items": [rec(2)], "next": API}),
    )
    got: list[Batch] = []
    with pytest.raises(SourceError) as caught:
        got.extend(read_http(API, source="api", client=server.client()))
    assert ids(got) == ["r-1", "r-2"]
    assert str(caught.value) == (
        f"paging from {API} goes round in a loop: the page {API}?page=2 points back to "
        f"{API}, which was already read"
    )
    assert len(server.requests) == 2


def test_repeated_cursor_is_a_loop() -> None:
    server = Scripted(page({"items": [], "next": "same"}), page({"items": [], "next": "same"}))
    with pytest.raises(SourceError, match="goes round in a loop"):
        read(server)
    assert len(server.requests) == 2


@pytest.mark.usefixtures("no_jitter")
def test_empty_200_body_is_retried() -> None:
    server = Scripted(httpx.Response(200, content=b""), page([rec(1)]))
    batches, sleeps = read(server)
    assert ids(batches) == ["r-1"]
    assert sleeps == [0.5]


def test_204_is_an_empty_last_page() -> None:
    batches, _ = read(Scripted(httpx.Response(204)))
    assert batches == [Batch([], [], 0, None, None)]


def test_not_an_http_url() -> None:
    with pytest.raises(SourceError) as caught:
        read_http("ftp://example.com/x", source="api")
    assert str(caught.value) == "not an http(s) URL: ftp://example.com/x"


# A real server on 127.0.0.1, with read_http making (and closing) its own client.


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    pages = {
        "/items": {"items": [rec(1), rec(2)], "next": "/items?page=2"},
        "/items?page=2": {"items": [rec(3), {"id": 4}], "next": None},
    }
    failures_left = [1]

    def answer(request: Received) -> Reply:
        if request.path == "/items?page=2" and failures_left[0] > 0:
            failures_left[0] -= 1
            return Reply(503, headers={"Retry-After": "0"})
        if request.path == "/old":
            return Reply.redirect("/items", 301)
        return Reply.json(pages[request.path])

    with serving(answer) as server:
        yield server


def test_real_local_server(local_server: LocalServer) -> None:
    base = local_server.url
    sleeps: list[float] = []
    batches = list(
        read_http(
            f"{base}/old",
            source="local",
            headers={"Authorization": "Bearer s3cret"},
            timeout=5.0,
            sleep=sleeps.append,
        )
    )
    assert ids(batches) == ["r-1", "r-2", "r-3"]
    assert batches[1].rejected == [
        Rejection(f"{base}/items?page=2", 2, "missing required field 'created_at'")
    ]
    assert [(b.done, b.position) for b in batches] == [
        (2, f"{base}/items?page=2"),
        (4, None),
    ]
    assert sleeps == [0.0]
    # redirect, page 1, 503, page 2
    assert local_server.header_values("authorization") == ["Bearer s3cret"] * 4


def test_a_teams_own_endpoint_maps_by_configuration() -> None:
    import httpx as _httpx

    from triage.platforms.http import read_http as _read

    pages = {
        "/feed": {"result": {"rows": [{"uuid": "a-1", "when": "2026-11-20T10:00:00Z",
                                        "bot": "helper", "kind": "reply", "asked": "q",
                                        "said": "a", "llm": "m"}]},
                  "paging": {"after": "tok-2"}},
        "/feed?cursor=tok-2": {"result": {"rows": [{"uuid": "a-2", "when": "2026-11-20T11:00:00Z",
                                                    "bot": "helper", "kind": "reply",
                                                    "asked": "q2", "said": "a2", "llm": "m"}]},
                               "paging": {"after": None}},
    }  # fmt: skip

    def handler(request: _httpx.Request) -> _httpx.Response:
        key = request.url.path + (f"?{request.url.query.decode()}" if request.url.query else "")
        return _httpx.Response(200, json=pages[key])

    client = _httpx.Client(transport=_httpx.MockTransport(handler))
    rename = {"uuid": "id", "when": "created_at", "bot": "agent", "kind": "task_type",
              "asked": "input", "said": "output", "llm": "model"}  # fmt: skip
    batches = list(
        _read(
            "https://example.test/feed", source="team", client=client,
            items_pointer="/result/rows", next_pointer="/paging/after", rename=rename,
        )
    )  # fmt: skip
    items = [item for batch in batches for item in batch.items]
    assert [i.id for i in items] == ["a-1", "a-2"]
    assert items[1].output == "a2" and items[0].agent == "helper" and items[0].task_type == "reply"
    assert batches[0].position == "tok-2" and batches[-1].position is None


# The credential stays at the endpoint's origin: redirects, next links, saved positions.

AUTH = {"X-Api-Key": "key-0123456789abcdef"}


def moved(location: str, code: int = 302) -> httpx.Response:
    return httpx.Response(code, headers={"Location": location})


def test_a_next_link_to_another_origin_ends_the_read_at_the_page_before() -> None:
    server = Scripted(
        page({"items": [rec(1)], "next": "/v1/items?page=2"}),
        page({"items": [rec(2)], "next": "http://other.test/v1/items?page=3"}),
    )
    got: list[Batch] = []
    with pytest.raises(SourceError) as caught:
        got.extend(read_http(API, source="api", client=server.client(), headers=AUTH))
    assert str(caught.value).startswith(
        f"the page {API}?page=2 links its next page to http://other.test/v1/items?page=3, "
        "on another origin than http://api.test: the credential is not sent there."
    )
    assert ids(got) == ["r-1", "r-2"]
    # The last batch stays at its own page, so resuming asks it again.
    assert [b.position for b in got] == [f"{API}?page=2", f"{API}?page=2"]
    assert server.urls == [API, f"{API}?page=2"]


def test_a_saved_position_on_another_origin_is_refused() -> None:
    server = Scripted()
    with pytest.raises(SourceError, match="^the saved position of the read from "):
        read(server, headers=AUTH, resume_from="http://other.test/v1/items?page=3")
    assert server.requests == []


def test_redirects_keep_the_credential_at_its_origin() -> None:
    server = Scripted(moved("/v1/items2", 301), page([rec(1)]))
    batches, _ = read(server, headers=AUTH)
    assert ids(batches) == ["r-1"]
    assert [r.headers.get("x-api-key") for r in server.requests] == [AUTH["X-Api-Key"]] * 2

    server = Scripted(moved("https://api.test/v1/items"))  # the scheme is part of the origin
    with pytest.raises(SourceError, match="on another origin than http://api.test"):
        read(server, headers=AUTH)
    assert len(server.requests) == 1

    server = Scripted(moved("http://other.test/x"), page([rec(2)]))
    batches, _ = read(server, headers=AUTH, follow_redirects="any-without-credentials")
    assert ids(batches) == ["r-2"]
    assert "x-api-key" not in server.requests[1].headers

    server = Scripted(moved("/v1/items2"))
    with pytest.raises(SourceError) as caught:
        read(server, headers=AUTH, follow_redirects="never")
    assert str(caught.value) == (
        f"{API} answered HTTP 302 Found, a redirect to http://api.test/v1/items2 that was not "
        'followed (the source\'s follow_redirects is "never", or the address is not http(s))'
    )


def test_without_a_credential_redirects_are_followed_anywhere() -> None:
    server = Scripted(moved("https://other.test/items"), page([rec(1)]))
    batches, _ = read(server)
    assert ids(batches) == ["r-1"]


def test_an_echoed_header_is_masked_before_the_body_is_cut_short() -> None:
    secret = AUTH["X-Api-Key"]
    body = "x" * 190 + f" {secret} and {secret}"
    server = Scripted(httpx.Response(400, text=body))
    with pytest.raises(SourceError) as caught:
        read(server, headers=AUTH)
    message = str(caught.value)
    assert secret[:6] not in message and "***" in message
