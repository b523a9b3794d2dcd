"""Verdicts written back to Langfuse (scores) and LangSmith (feedback) through the outbox:
payloads, stable ids, a platform that is down, refusals, and secrets kept out of sight."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from triage.config import Config
from triage.config.schema import SourceConfig
from triage.core.models import Item, Outcome, VerdictRecord
from triage.platforms.adapters.langfuse import score_payload
from triage.platforms.adapters.langsmith import feedback_payload
from triage.platforms.writeback import platform_id, request_for
from triage.service.workspace import Workspace
from triage.service.writeback import next_attempt_at, push, queue_verdict
from triage.storage.outbox import Outbox, OutboxCounts

PK, SK = "pk-lf-public-4242", "sk-lf-secret-9876"
LS_KEY = "lsv2_sk_very_secret_5555"
TOKEN = base64.b64encode(f"{PK}:{SK}".encode()).decode()
SECRETS = (PK, SK, LS_KEY, TOKEN)
RUN_ID = "0b6f7a52-1111-4c2d-9e0f-000000000001"
TRACE_ID = "0b6f7a52-1111-4c2d-9e0f-00000000000f"
RECORDED = datetime(2026, 8, 3, 9, 30, tzinfo=UTC)


def verdict(outcome: str = "fail", **fields: Any) -> VerdictRecord:
    values: dict[str, Any] = {
        "pk": 7,
        "key": "verdict-key-7",
        "item_pk": 3,
        "reviewer": "ana",
        "outcome": outcome,
        "modes": ("refund-over-limit", "wrong-tone"),
        "note": "refund outside policy",
        "seconds": 12.0,
        "lane": "deep",
        "rules_version": "r-abc",
        "recorded_at": RECORDED,
    }
    values.update(fields)
    return VerdictRecord(**values)


def lf_item(n: int = 1, **meta: Any) -> Item:
    return Item(
        id=f"obs-{n}",
        created_at=datetime(2026, 8, 2, 10, n, tzinfo=UTC),
        agent="support-bot",
        task_type="support-reply",
        input="Where is my order?",
        output="It ships today.",
        model="gpt-4o-mini",
        source="lf",
        meta={"langfuse_trace_id": f"tr-{n}", "langfuse_observation_id": f"obs-{n}", **meta},
    )


def ls_item(n: int = 1) -> Item:
    return Item(
        id=RUN_ID[:-1] + str(n),
        created_at=datetime(2026, 8, 2, 11, n, tzinfo=UTC),
        agent="SupportAgent",
        task_type="cancel_order",
        input="Cancel #W42",
        output="Done.",
        model="gpt-4.1",
        source="ls",
        meta={"langsmith_run_id": RUN_ID[:-1] + str(n), "langsmith_trace_id": TRACE_ID},
    )


# --- payloads ---------------------------------------------------------------------------


def test_score_payload() -> None:
    body = score_payload(verdict(), lf_item(), score_name="reviewer_verdict")
    assert body == {
        "id": platform_id("verdict-key-7"),
        "traceId": "tr-1",
        "observationId": "obs-1",
        "name": "reviewer_verdict",
        "value": "fail",
        "dataType": "CATEGORICAL",
        "source": "API",
        "comment": "failure modes: refund-over-limit, wrong-tone\nrefund outside policy",
        "metadata": {
            "origin": "triage",
            "verdict_key": "verdict-key-7",
            "outcome": "fail",
            "reviewer": "ana",
            "failure_modes": ["refund-over-limit", "wrong-tone"],
            "lane": "deep",
            "rules_version": "r-abc",
            "recorded_at": "2026-08-03T09:30:00+00:00",
            "item": "lf:obs-1",
        },
    }
    # Stable: the same verdict gives the same id every time; another verdict another id.
    assert score_payload(verdict(), lf_item(), score_name="x")["id"] == body["id"]
    assert platform_id("verdict-key-8") != body["id"]

    trace_only = Item(**_without_observation(lf_item()))
    ok = score_payload(verdict("ok", modes=(), note=""), trace_only, score_name="v")
    assert "observationId" not in ok and "comment" not in ok
    assert (ok["traceId"], ok["value"]) == ("tr-1", "ok")


def _without_observation(item: Item) -> dict[str, Any]:
    meta = {k: v for k, v in item.meta.items() if k != "langfuse_observation_id"}
    return {
        "id": item.id,
        "created_at": item.created_at,
        "agent": item.agent,
        "task_type": item.task_type,
        "input": item.input,
        "output": item.output,
        "model": item.model,
        "source": item.source,
        "meta": meta,
    }


def test_undo_score_rewrites_the_undone_verdicts_score() -> None:
    original = verdict()
    undo = verdict("undo", pk=8, key="undo-key-8", modes=(), note="", supersedes=7)
    body = score_payload(undo, lf_item(), score_name="reviewer_verdict", undoes=original)
    assert body["id"] == platform_id("verdict-key-7")
    assert (body["value"], body["dataType"], body["comment"]) == (
        "undone",
        "CATEGORICAL",
        "verdict withdrawn in triage",
    )
    assert body["metadata"]["undoes"] == "verdict-key-7"


def test_long_comments_are_cut() -> None:
    body = score_payload(verdict(note="x" * 5000, modes=()), lf_item(), score_name="v")
    assert len(body["comment"]) == 1000 and body["comment"].endswith("…")


def test_items_without_platform_ids_have_no_payload() -> None:
    with pytest.raises(ValueError, match="langfuse_trace_id"):
        score_payload(verdict(), ls_item(), score_name="v")
    with pytest.raises(ValueError, match="langsmith_run_id"):
        feedback_payload(verdict(), lf_item(), score_name="v")


def test_feedback_payload_and_requests() -> None:
    item = ls_item()
    body = feedback_payload(verdict(), item, score_name="reviewer_verdict")
    assert body == {
        "id": platform_id("verdict-key-7"),
        "run_id": item.id,
        "trace_id": TRACE_ID,
        "key": "reviewer_verdict",
        "score": 0,
        "value": "fail",
        "comment": "failure modes: refund-over-limit, wrong-tone\nrefund outside policy",
        "feedback_source": {
            "type": "api",
            "metadata": {
                "origin": "triage",
                "verdict_key": "verdict-key-7",
                "outcome": "fail",
                "reviewer": "ana",
                "failure_modes": ["refund-over-limit", "wrong-tone"],
                "lane": "deep",
                "rules_version": "r-abc",
                "recorded_at": "2026-08-03T09:30:00+00:00",
                "item": f"ls:{item.id}",
            },
        },
    }
    assert feedback_payload(verdict("ok"), item, score_name="k")["score"] == 1
    assert "score" not in feedback_payload(verdict("escalate"), item, score_name="k")

    method, url, sent = request_for("langsmith", body)
    assert (method, str(url), sent) == ("POST", "https://api.smith.langchain.com/api/v1/feedback",
                                        body)  # fmt: skip

    undo = verdict("undo", pk=8, key="undo-8", modes=(), note="", supersedes=7)
    update = feedback_payload(undo, item, score_name="k", undoes=verdict())
    assert update == {
        "id": platform_id("verdict-key-7"),
        "score": None,
        "value": "undone",
        "comment": "verdict withdrawn in triage",
    }
    method, url, sent = request_for("langsmith", update, "https://eu.api.smith.langchain.com/api")
    assert method == "PATCH"
    assert str(url) == (
        f"https://eu.api.smith.langchain.com/api/v1/feedback/{platform_id('verdict-key-7')}"
    )
    assert sent == {"score": None, "value": "undone", "comment": "verdict withdrawn in triage"}

    method, url, _ = request_for("langfuse", {"id": "x"}, "https://lf.example.com/")
    assert (method, str(url)) == ("POST", "https://lf.example.com/api/public/scores")


def test_retry_schedule() -> None:
    start = datetime(2026, 8, 3, tzinfo=UTC)
    waits = [(next_attempt_at(n, start) - start).total_seconds() for n in (1, 2, 3, 10, 20)]
    assert waits == [60, 120, 240, 6 * 3600, 6 * 3600]


# --- a workspace with Langfuse and LangSmith sources --------------------------------------


class Platform:
    """Langfuse and LangSmith in one MockTransport: scores are upserted by id, feedback
    is created once per id (409 after) and updated by PATCH. ``down`` answers 503."""

    def __init__(self) -> None:
        self.down = False
        self.requests: list[httpx.Request] = []
        self.scores: dict[str, dict[str, Any]] = {}
        self.feedback: dict[str, dict[str, Any]] = {}
        self.answer_next: list[httpx.Response | Exception] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            return httpx.Response(503, text="maintenance", headers={"Retry-After": "2"})
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        if path == "/api/public/scores":
            self.scores[body["id"]] = body
            reply = httpx.Response(200, json={"id": body["id"]})
        elif path == "/api/v1/feedback":
            if body["id"] in self.feedback:
                reply = httpx.Response(409, json={"detail": "feedback exists"})
            else:
                self.feedback[body["id"]] = body
                reply = httpx.Response(200, json=body)
        elif path.startswith("/api/v1/feedback/"):
            key = path.rsplit("/", 1)[1]
            if key not in self.feedback:
                return httpx.Response(404, json={"detail": "not found"})
            self.feedback[key] = {**self.feedback[key], **body}
            reply = httpx.Response(200, json=self.feedback[key])
        else:
            return httpx.Response(404, text="no such endpoint")
        if self.answer_next:
            answer = self.answer_next.pop(0)
            if isinstance(answer, Exception):
                raise answer  # the platform took it, the answer got lost
            return answer
        return reply

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def sources(**overrides: Any) -> dict[str, SourceConfig]:
    lf: dict[str, Any] = {
        "kind": "langfuse",
        "url": "https://langfuse.test",
        "public_key_env": "LF_PK",
        "secret_key_env": "LF_SK",
        "write_back": True,
    }
    ls: dict[str, Any] = {
        "kind": "langsmith",
        "url": "https://smith.test",
        "token_env": "LS_KEY",
        "tenant_env": "LS_TENANT",
        "project": "support",
        "write_back": True,
        "score_name": "human_review",
    }
    lf.update(overrides.get("lf", {}))
    ls.update(overrides.get("ls", {}))
    return {"lf": SourceConfig(**lf), "ls": SourceConfig(**ls)}


@pytest.fixture
def ws(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.setenv("LF_PK", PK)
    monkeypatch.setenv("LF_SK", SK)
    monkeypatch.setenv("LS_KEY", LS_KEY)
    monkeypatch.setenv("LS_TENANT", "tenant-3")
    workspace = Workspace.open(Config(db_url, None, "ana", sources=sources()))
    workspace.store.write_items(
        [lf_item(1), lf_item(2), lf_item(3, langfuse_observation_id=None), ls_item(1)]
    )
    yield workspace
    workspace.close()


@pytest.fixture
def platform() -> Platform:
    return Platform()


def judge(ws: Workspace, ref: str, outcome: Outcome, **kwargs: Any) -> VerdictRecord:
    """Record a verdict and queue it (as recording a verdict does)."""
    record, _ = ws.record_verdict(ref, outcome, reviewer="ana", **kwargs)
    _, item = ws.find(ref)
    queue_verdict(ws, record, item)
    return record


def undo(ws: Workspace, record: VerdictRecord) -> VerdictRecord:
    undone = ws.undo(record, reviewer="ana")
    item = ws.store.items_by_pk([record.item_pk])[record.item_pk]
    queue_verdict(ws, undone, item)
    return undone


def send(ws: Workspace, platform: Platform, at: datetime, **kwargs: Any) -> Any:
    sleeps: list[float] = []
    clients = {"lf": platform.client(), "ls": platform.client()}
    report = push(ws, clients=clients, now=at, sleep=sleeps.append, **kwargs)
    report.sleeps = sleeps
    return report


def later(minutes: float = 0) -> datetime:
    # Verdicts are queued "now"; pushes happen at chosen moments after that.
    return datetime.now(UTC) + timedelta(seconds=5, minutes=minutes)


def test_a_verdict_is_sent_as_a_score(ws: Workspace, platform: Platform) -> None:
    record = judge(ws, "lf:obs-1", Outcome.FAIL, modes=["refund-over-limit"], note="too much")
    outbox = Outbox(ws.store.engine)
    (entry,) = outbox.pending()
    assert (entry.verdict_pk, entry.target, entry.kind, entry.attempts) == (
        record.pk,
        "lf",
        "langfuse",
        0,
    )
    assert entry.payload == score_payload(record, lf_item(1), score_name="reviewer_verdict")

    at = later()
    report = send(ws, platform, at)
    assert [(o.verdict_pk, o.target) for o in report.sent] == [(record.pk, "lf")]
    assert (report.failed, report.pending) == ([], [])
    (request,) = platform.requests
    assert (request.method, str(request.url)) == ("POST", "https://langfuse.test/api/public/scores")
    assert request.headers["authorization"] == f"Basic {TOKEN}"
    assert json.loads(request.content) == entry.payload
    assert platform.scores[platform_id(record.key)]["value"] == "fail"

    sent = outbox.by_pk(entry.pk)
    assert sent is not None and sent.sent_at == at and sent.attempts == 1
    assert outbox.counts() == OutboxCounts(sent=1, waiting=0, failing=0)
    again = send(ws, platform, later(1))
    assert (again.sent, again.failed, again.pending) == ([], [], [])
    assert len(platform.requests) == 1


def test_queueing_is_idempotent(ws: Workspace) -> None:
    record = judge(ws, "lf:obs-1", Outcome.OK)
    _, item = ws.find("lf:obs-1")
    assert queue_verdict(ws, record, item) is True
    assert len(Outbox(ws.store.engine).pending()) == 1


def test_the_queue_survives_a_failing_platform_and_flushes_when_it_is_back(
    ws: Workspace, platform: Platform
) -> None:
    first = judge(ws, "lf:obs-1", Outcome.FAIL)
    second = judge(ws, "lf:obs-2", Outcome.OK)
    outbox = Outbox(ws.store.engine)
    platform.down = True

    at = later()
    report = send(ws, platform, at, max_retries=2)
    assert report.sleeps == [2.0, 2.0]  # Retry-After honoured between the attempts
    assert report.sent == []
    (failed,) = report.failed
    assert failed.verdict_pk == first.pk
    assert failed.reason == (
        "giving up on https://langfuse.test/api/public/scores after 3 attempts; "
        "last error: HTTP 503"
    )
    assert (failed.attempts, failed.next_attempt_at) == (1, at + timedelta(seconds=60))
    (waiting,) = report.pending
    assert waiting.verdict_pk == second.pk
    assert waiting.reason == f"not tried: {failed.reason}"
    assert len(platform.requests) == 3  # nothing more is sent to a platform that is down
    assert outbox.counts() == OutboxCounts(sent=0, waiting=1, failing=1)

    # Back up: the entry never tried goes at once, the failed one when it is due.
    platform.down = False
    report = send(ws, platform, at + timedelta(seconds=30))
    assert [o.verdict_pk for o in report.sent] == [second.pk]
    retry_at = (at + timedelta(seconds=60)).isoformat(timespec="seconds")
    assert [(o.verdict_pk, o.reason) for o in report.pending] == [
        (first.pk, f"next attempt at {retry_at}; last error: {failed.reason}")
    ]
    report = send(ws, platform, at + timedelta(seconds=61))
    assert [o.verdict_pk for o in report.sent] == [first.pk]
    assert report.pending == []
    assert outbox.counts() == OutboxCounts(sent=2, waiting=0, failing=0)
    assert set(platform.scores) == {platform_id(first.key), platform_id(second.key)}


def test_retries_send_the_same_id(ws: Workspace, platform: Platform) -> None:
    record = judge(ws, "lf:obs-1", Outcome.ESCALATE, note="legal should look")
    platform.down = True
    at = later()
    send(ws, platform, at, max_retries=1)
    platform.down = False
    send(ws, platform, at + timedelta(minutes=2))
    bodies = platform.bodies()
    assert len(bodies) == 3
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["id"] == platform_id(record.key)
    assert list(platform.scores) == [platform_id(record.key)]


def test_an_undo_waits_for_its_verdict_then_rewrites_the_same_score(
    ws: Workspace, platform: Platform
) -> None:
    record = judge(ws, "lf:obs-1", Outcome.FAIL)
    undone = undo(ws, record)
    platform.down = True
    at = later()
    report = send(ws, platform, at, max_retries=0)
    assert [o.verdict_pk for o in report.failed] == [record.pk]
    assert [(o.verdict_pk, o.reason) for o in report.pending] == [
        (undone.pk, "waits for an earlier entry for the same score to be sent")
    ]

    platform.down = False
    platform.requests.clear()
    report = send(ws, platform, at + timedelta(minutes=5))
    assert [o.verdict_pk for o in report.sent] == [record.pk, undone.pk]
    values = [(b["id"], b["value"]) for b in platform.bodies()]
    assert values == [(platform_id(record.key), "fail"), (platform_id(record.key), "undone")]
    assert platform.scores[platform_id(record.key)]["value"] == "undone"


def test_an_undo_of_a_verdict_never_queued_is_not_sent(ws: Workspace) -> None:
    # Recorded while write-back was off: there is nothing on the platform to withdraw.
    ws.config.sources["lf"] = sources(lf={"write_back": False})["lf"]
    record, _ = ws.record_verdict("lf:obs-2", Outcome.OK, reviewer="ana")
    ws.config.sources["lf"] = sources()["lf"]
    undone = ws.undo(record, reviewer="ana")
    _, item = ws.find("lf:obs-2")
    assert queue_verdict(ws, undone, item) is False
    assert Outbox(ws.store.engine).pending() == []


def test_a_trace_level_item_scores_the_trace(ws: Workspace, platform: Platform) -> None:
    record = judge(ws, "lf:obs-3", Outcome.OK)
    send(ws, platform, later())
    body = platform.bodies()[0]
    assert (body["traceId"], body["value"], body["id"]) == ("tr-3", "ok", platform_id(record.key))
    assert "observationId" not in body


def test_langsmith_feedback_lost_answer_and_undo(ws: Workspace, platform: Platform) -> None:
    ref = f"ls:{ls_item(1).id}"
    record = judge(ws, ref, Outcome.OK)
    # The platform takes the feedback but the answer is lost; the retry meets a 409.
    platform.answer_next = [httpx.ReadTimeout("timed out")]
    at = later()
    report = send(ws, platform, at)
    assert [o.verdict_pk for o in report.sent] == [record.pk]
    assert len(report.sleeps) == 1
    first, second = platform.requests
    assert (first.method, str(first.url)) == ("POST", "https://smith.test/api/v1/feedback")
    assert first.content == second.content
    assert first.headers["x-api-key"] == LS_KEY and first.headers["x-tenant-id"] == "tenant-3"
    assert "authorization" not in first.headers
    body = json.loads(first.content)
    assert (body["id"], body["key"], body["score"], body["value"]) == (
        platform_id(record.key),
        "human_review",
        1,
        "ok",
    )
    entry = Outbox(ws.store.engine).get(record.pk, "ls")
    assert entry is not None and entry.last_error == "already there (HTTP 409)"

    undone = undo(ws, record)
    report = send(ws, platform, at + timedelta(minutes=1))
    assert [o.verdict_pk for o in report.sent] == [undone.pk]
    patch = platform.requests[-1]
    assert patch.method == "PATCH"
    assert str(patch.url) == f"https://smith.test/api/v1/feedback/{platform_id(record.key)}"
    assert json.loads(patch.content) == {
        "score": None,
        "value": "undone",
        "comment": "verdict withdrawn in triage",
    }
    assert platform.feedback[platform_id(record.key)]["value"] == "undone"


def test_a_refused_entry_is_kept_with_the_message(ws: Workspace, platform: Platform) -> None:
    first = judge(ws, "lf:obs-1", Outcome.FAIL)
    second = judge(ws, "lf:obs-2", Outcome.FAIL)
    platform.answer_next = [
        httpx.Response(400, json={"message": f"invalid value for key {SK}"}),
    ]
    at = later()
    report = send(ws, platform, at)
    (failed,) = report.failed
    assert failed.verdict_pk == first.pk
    assert failed.reason == (
        "https://langfuse.test/api/public/scores answered HTTP 400 Bad Request: "
        '{"message":"invalid value for key ***"}'
    )
    assert [o.verdict_pk for o in report.sent] == [second.pk]  # a 4xx does not stop the rest
    entry = Outbox(ws.store.engine).get(first.pk, "lf")
    assert entry is not None and entry.sent_at is None
    assert (entry.attempts, entry.last_error) == (1, failed.reason)
    assert entry.next_attempt_at == at + timedelta(seconds=60)

    report = send(ws, platform, at + timedelta(seconds=10))
    (pending,) = report.pending
    assert pending.reason == (
        f"next attempt at {(at + timedelta(seconds=60)).isoformat(timespec='seconds')}; "
        f"last error: {failed.reason}"
    )
    assert "\n  pending: 1 for lf: next attempt at " in report.summary()
    report = send(ws, platform, at + timedelta(minutes=2))
    assert [o.verdict_pk for o in report.sent] == [first.pk]


def test_a_refused_login_stops_the_source_and_names_the_variables(
    ws: Workspace, platform: Platform
) -> None:
    judge(ws, "lf:obs-1", Outcome.FAIL)
    judge(ws, "lf:obs-2", Outcome.OK)
    platform.answer_next = [httpx.Response(401, json={"message": "bad key"})]
    report = send(ws, platform, later())
    (failed,) = report.failed
    assert failed.reason == (
        "https://langfuse.test/api/public/scores refused authentication (HTTP 401); "
        "check the credentials in LF_PK / LF_SK"
    )
    assert [o.reason for o in report.pending] == [f"not tried: {failed.reason}"]
    assert len(platform.requests) == 1


def test_missing_credentials_keep_entries_waiting(
    ws: Workspace, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = judge(ws, "lf:obs-1", Outcome.FAIL)
    monkeypatch.delenv("LF_SK")
    report = send(ws, platform, later())
    assert [(o.verdict_pk, o.reason) for o in report.pending] == [
        (record.pk, "environment variable LF_SK is not set (source lf)")
    ]
    assert platform.requests == []
    entry = Outbox(ws.store.engine).get(record.pk, "lf")
    assert entry is not None and entry.attempts == 0


def test_write_back_only_when_opted_in(ws: Workspace) -> None:
    outbox = Outbox(ws.store.engine)
    ws.config.sources["lf"] = sources(lf={"write_back": False})["lf"]
    record, _ = ws.record_verdict("lf:obs-1", Outcome.FAIL, reviewer="ana")
    _, item = ws.find("lf:obs-1")
    assert queue_verdict(ws, record, item) is False

    ws.config.sources["lf"] = SourceConfig(kind="http", url="https://x.test", write_back=True)
    assert queue_verdict(ws, record, item) is False
    del ws.config.sources["lf"]
    assert queue_verdict(ws, record, item) is False

    ws.config.sources["lf"] = sources()["lf"]
    no_ids = Item(**{**_without_observation(item), "meta": {}})
    assert queue_verdict(ws, record, no_ids) is False
    assert outbox.pending() == []
    assert queue_verdict(ws, record, item) is True


def test_a_source_switched_off_later_holds_its_entries(ws: Workspace, platform: Platform) -> None:
    judge(ws, "lf:obs-1", Outcome.OK)
    ws.config.sources["lf"] = sources(lf={"write_back": False})["lf"]
    report = send(ws, platform, later())
    assert [o.reason for o in report.pending] == ["write_back is off for source lf"]
    del ws.config.sources["lf"]
    report = send(ws, platform, later())
    assert [o.reason for o in report.pending] == [
        "source lf is no longer configured in triage.toml"
    ]
    assert platform.requests == []


def test_secrets_never_reach_the_database_logs_or_reports(
    ws: Workspace, platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    lf = judge(ws, "lf:obs-1", Outcome.FAIL, note="see ticket")
    judge(ws, f"ls:{ls_item(1).id}", Outcome.OK)
    echo = f"bad credentials {PK} {SK} {LS_KEY} Basic {TOKEN}"
    platform.answer_next = [httpx.Response(400, text=echo), httpx.Response(422, text=echo)]
    at = later()
    first = send(ws, platform, at)
    platform.down = True
    second = send(ws, platform, at + timedelta(minutes=5))
    platform.down = False
    third = send(ws, platform, at + timedelta(minutes=30))
    undo(ws, lf)
    fourth = send(ws, platform, at + timedelta(minutes=31))
    assert len(first.failed) == 2 and len(third.sent) == 2 and len(fourth.sent) == 1

    with ws.store.engine.connect() as conn:
        dump = repr(
            [
                conn.execute(text(f"SELECT * FROM {table}")).all()
                for table in ("outbox", "verdict", "audit", "item", "source_state")
            ]
        )
    reports = json.dumps([r.as_json() for r in (first, second, third, fourth)])
    summaries = "\n".join(r.summary() for r in (first, second, third, fourth))
    for secret in SECRETS:
        assert secret not in dump
        assert secret not in caplog.text
        assert secret not in reports
        assert secret not in summaries
    assert "***" in reports  # the echoed credentials were there, and were hidden


# --- the outbox itself ----------------------------------------------------------------------


def test_outbox_storage(ws: Workspace) -> None:
    ws.config.sources.clear()  # verdicts recorded here are queued by hand
    a, _ = ws.record_verdict("lf:obs-1", Outcome.OK, reviewer="ana")
    b, _ = ws.record_verdict("lf:obs-2", Outcome.FAIL, reviewer="ana")
    outbox = Outbox(ws.store.engine)
    assert outbox.pending() == []
    t0 = datetime(2026, 8, 3, 12, 0, tzinfo=UTC)

    assert outbox.enqueue(a.pk, "lf", "langfuse", {"id": "s-a", "value": "ok"}, at=t0) is True
    assert outbox.enqueue(a.pk, "lf", "langfuse", {"id": "other"}, at=t0) is False
    assert outbox.enqueue(b.pk, "lf", "langfuse", {"id": "s-b"}, at=t0 + timedelta(1)) is True
    assert outbox.enqueue(a.pk, "ls", "langsmith", {"id": "f-a"}, at=t0) is True

    first = outbox.get(a.pk, "lf")
    assert first is not None
    assert (first.payload, first.attempts, first.last_error, first.sent_at) == (
        {"id": "s-a", "value": "ok"},
        0,
        None,
        None,
    )
    assert (first.next_attempt_at, first.created_at) == (t0, t0)
    assert [e.payload["id"] for e in outbox.due(t0)] == ["s-a", "f-a"]
    assert [e.payload["id"] for e in outbox.due(t0, limit=1)] == ["s-a"]
    assert [e.payload["id"] for e in outbox.due(t0 + timedelta(2))] == ["s-a", "s-b", "f-a"]

    outbox.mark_failed(first.pk, "HTTP 503", t0 + timedelta(minutes=1))
    assert [e.payload["id"] for e in outbox.due(t0)] == ["f-a"]
    failed = outbox.by_pk(first.pk)
    assert failed is not None and (failed.attempts, failed.last_error) == (1, "HTTP 503")
    assert outbox.counts() == OutboxCounts(sent=0, waiting=2, failing=1)

    f_a = outbox.get(a.pk, "ls")
    assert f_a is not None
    outbox.mark_sent(f_a.pk, t0)
    assert [e.payload["id"] for e in outbox.pending()] == ["s-a", "s-b"]
    assert [e.payload["id"] for e in outbox.pending("ls")] == []
    assert outbox.counts() == OutboxCounts(sent=1, waiting=1, failing=1)
    assert outbox.counts().pending == 2

    assert outbox.retry_now(t0) == 2
    assert [e.payload["id"] for e in outbox.due(t0)] == ["s-a", "s-b"]
    assert [e.verdict_pk for e in outbox.entries([a.pk])] == [a.pk, a.pk]
