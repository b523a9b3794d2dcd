"""OpenClaw session transcripts (Pi session v3 and v1) and trajectory exports."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.core.models import Item, Rejection, ToolCall, Turn
from triage.platforms.detect import read_file_source

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "openclaw"
SESSIONS = FIXTURES / "agents" / "main" / "sessions"
SID = "b7300bff-a214-4c11-97ae-eab26883c67a"
V3 = SESSIONS / f"{SID}.jsonl"
V1_ID = "c0ffee00-1111-4222-8333-444455556666"
V1 = SESSIONS / f"{V1_ID}.jsonl"
EXPORT = FIXTURES / "trajectory-exports" / "openclaw-trajectory-b7300bff-2026-04-08T08-00-00"
STORE_META = {
    "openclaw_session_key": "agent:main:telegram:direct:123",
    "session_status": "failed",
    "channel": "telegram",
    "chat_type": "direct",
    "session_label": "Acme billing",
}


def read(path: Path, **kwargs: Any) -> tuple[list[Item], list[Rejection]]:
    items: list[Item] = []
    rejected: list[Rejection] = []
    for batch in read_file_source(path, source="claw", **kwargs):
        items.extend(batch.items)
        rejected.extend(batch.rejected)
    return items, rejected


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n")
    return path


def entry(id: str, parent: str | None, message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "id": id,
        "parentId": parent,
        "timestamp": "2026-04-08T01:00:00.000Z",
        "message": message,
        **extra,
    }


def user(text: str, ms: int = 1775610000000) -> dict[str, Any]:
    return {"role": "user", "content": text, "timestamp": ms}


def assistant(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": [{"type": "text", "text": text}],
        "provider": "anthropic",
        "model": "claude-opus-4-5",
        "stopReason": "stop",
        "timestamp": 1775610001000,
        **extra,
    }


HEADER = {"type": "session", "version": 3, "id": "s-1", "timestamp": "2026-04-08T00:00:00Z"}


# --- session v3 ---------------------------------------------------------------------


def test_v3_session_one_item_per_turn_on_the_active_branch() -> None:
    items, rejected = read(V3)

    # e7 (an abandoned branch) and e13 (a heartbeat) are not items.
    assert [item.id for item in items] == [f"{SID}:e1", f"{SID}:e9", f"{SID}:e15"]
    assert [(r.source, r.line) for r in rejected] == [(str(V3), 13)]
    assert rejected[0].reason.startswith("invalid JSON: ")

    first = items[0]
    assert first.source == "claw"
    assert first.created_at == at("2026-04-08T01:04:01")
    assert first.agent == "main"
    assert first.task_type == "conversation"
    assert first.input == "Reply to the Acme invoice email"
    assert first.output == "I could not send the reply: the Acme billing address rejected it."
    assert first.model == "anthropic/claude-opus-4-5"
    assert first.tool_calls == (
        ToolCall(
            "gmail_search",
            {"q": "Acme invoice"},
            "1 thread: Acme invoice #4411 (overdue), from billing@acme.example",
            False,
        ),
        ToolCall(
            "gmail_send",
            {"to": "billing@acme.example", "body": "Payment for #4411 goes out Friday."},
            "SMTP 550: recipient rejected",
            True,
        ),
    )
    assert first.transcript == (
        Turn("user", "Reply to the Acme invoice email"),
        Turn("assistant", '→ gmail_search {"q":"Acme invoice"}'),
        Turn("tool", "1 thread: Acme invoice #4411 (overdue), from billing@acme.example"),
        Turn(
            "assistant",
            '→ gmail_send {"to":"billing@acme.example",'
            '"body":"Payment for #4411 goes out Friday."}',
        ),
        Turn("tool", "SMTP 550: recipient rejected"),
        Turn("assistant", "I could not send the reply: the Acme billing address rejected it."),
    )
    assert first.meta == {
        "openclaw_session_id": SID,
        "openclaw_entry_id": "e1",
        "openclaw_line": 2,
        "stop_reason": "stop",
        "tool_errors": 1,
        "usage": {
            "input": 3000,
            "output": 130,
            "cacheRead": 200,
            "cacheWrite": 0,
            "totalTokens": 3330,
        },
        "cost": 0.0175,
        "platform_outcome": {"status": "passed"},
        **STORE_META,
    }


def test_compaction_inside_a_turn_and_a_lost_parent_keep_the_turn_whole() -> None:
    items, _ = read(V3)
    second = items[1]
    # The compaction entry sits between the user message and the reply; the tool
    # result's line is unreadable, and the reply's parent link is bridged past it.
    assert second.input == "Try the backup address billing2@acme.example"
    assert second.output == "Sent to billing2@acme.example."
    assert second.created_at == at("2026-04-08T01:06:00")
    assert second.tool_calls == (
        ToolCall(
            "gmail_send",
            {"to": "billing2@acme.example", "body": "Payment for #4411 goes out Friday."},
            None,
            False,
        ),
    )
    assert second.meta["usage"] == {"input": 1460, "output": 62, "totalTokens": 1522}
    assert second.meta["cost"] == 0.0081
    assert second.meta["stop_reason"] == "stop"


def test_model_change_and_stop_reason_of_a_cut_off_reply() -> None:
    items, _ = read(V3)
    last = items[2]
    assert last.input == "What's on my calendar tomorrow?\n[image]"
    assert last.output == "Tomorrow: 10:00 call with Acme billing, 14:00 dentist, and"
    assert last.model == "openai/gpt-5.1"
    assert last.created_at == at("2026-04-08T07:30:00")
    assert last.meta["stop_reason"] == "length"
    assert last.meta["cost"] is None
    assert last.meta["openclaw_line"] == 19


def test_abandoned_branch_is_not_read(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            HEADER,
            entry("a1", None, user("first question")),
            entry("a2", "a1", assistant("first answer")),
            entry("b1", "a2", user("abandoned question")),
            entry("b2", "b1", assistant("abandoned answer")),
            entry("c1", "a2", user("rewritten question")),
            entry("c2", "c1", assistant("kept answer")),
        ],
    )
    items, rejected = read(path)
    assert rejected == []
    assert [(i.id, i.input, i.output) for i in items] == [
        ("s-1:a1", "first question", "first answer"),
        ("s-1:c1", "rewritten question", "kept answer"),
    ]
    assert items[0].agent == "openclaw"  # not under agents/<id>/sessions, no sessions.json


def test_reset_starts_a_new_window(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            HEADER,
            entry("u1", None, user("before the reset")),
            entry("a1", "u1", assistant("answer one")),
            {"type": "reset", "id": "r1", "parentId": "a1", "timestamp": "2026-04-08T02:00:00Z"},
            entry("a2", "r1", assistant("greeting in the new window")),
            entry("u2", "a2", user("after the reset", 1775613600000)),
            entry("a3", "u2", assistant("answer two")),
        ],
    )
    items, _ = read(path)
    assert [(i.input, i.output) for i in items] == [
        ("before the reset", "answer one"),
        ("after the reset", "answer two"),
    ]
    assert items[0].transcript == (
        Turn("user", "before the reset"),
        Turn("assistant", "answer one"),
    )


def test_heartbeat_turns_are_skipped(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            HEADER,
            entry("h1", None, user("Read HEARTBEAT.md; reply HEARTBEAT_OK if nothing to do")),
            entry("h2", "h1", assistant(" HEARTBEAT_OK\n")),
            entry("u1", "h2", user("real question")),
            entry("a1", "u1", assistant("HEARTBEAT_OK and also a real answer")),
        ],
    )
    items, _ = read(path)
    assert [i.id for i in items] == ["s-1:u1"]


def test_turn_without_a_reply_is_kept_and_flagged(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [HEADER, entry("u1", None, user("hello?"))])
    items, _ = read(path)
    assert [(i.output, i.model, i.meta["no_reply"], i.meta["stop_reason"]) for i in items] == [
        ("", "unknown", True, None)
    ]


def test_error_reply_records_the_model_error(tmp_path: Path) -> None:
    failed = assistant("", stopReason="error", errorMessage="overloaded_error")
    failed["content"] = []
    path = write_jsonl(
        tmp_path / "s.jsonl", [HEADER, entry("u1", None, user("hi")), entry("a1", "u1", failed)]
    )
    [item], _ = read(path)
    assert item.output == ""
    assert item.meta["stop_reason"] == "error"
    assert item.meta["error_message"] == "overloaded_error"


def test_v1_file_is_read_top_to_bottom() -> None:
    items, rejected = read(V1)
    assert rejected == []
    assert [i.id for i in items] == [f"{V1_ID}:2", f"{V1_ID}:5"]
    first = items[0]
    assert first.created_at == at("2025-11-02T08:00:05")
    assert first.input == "Summarise today's inbox"
    assert first.output == "12 new emails; 2 need a reply today (Dana, the landlord)."
    assert first.model == "anthropic/claude-sonnet-4"
    assert first.agent == "main"
    assert first.transcript == (
        Turn("user", "Summarise today's inbox"),
        Turn("hookMessage", "[12 new emails since 07:00]"),
        Turn("assistant", "12 new emails; 2 need a reply today (Dana, the landlord)."),
    )
    assert first.meta == {
        "openclaw_session_id": V1_ID,
        "openclaw_entry_id": None,
        "openclaw_line": 2,
        "stop_reason": "stop",
        "tool_errors": 0,
        "usage": {"input": 400, "output": 20, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 420},
        "cost": 0.0012,
        "platform_outcome": {"status": "passed"},
        "openclaw_session_key": "cron:inbox-digest",
        "session_status": "done",
        "channel": "cron",
        "chat_type": "direct",
        "session_label": "Inbox digest",
    }


def test_sessions_folder_skips_deleted_transcripts() -> None:
    items, rejected = read(SESSIONS)
    assert sorted({i.meta["openclaw_session_id"] for i in items}) == [SID, V1_ID]
    assert len(items) == 5
    assert [r.line for r in rejected] == [13]


def test_agent_override_and_task_type_from_the_session_entry() -> None:
    items, _ = read(V3, agent="mailer", task_type_field="origin.provider")
    assert {(i.agent, i.task_type) for i in items} == {("mailer", "telegram")}
    # A field of the item's meta when the session entry has no such field.
    items, _ = read(V3, task_type_field="stop_reason")
    assert [i.task_type for i in items] == ["stop", "stop", "length"]


def test_agent_from_the_session_key_when_not_under_agents(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "abc.jsonl",
        [{**HEADER, "id": "abc"}, entry("u1", None, user("q")), entry("a1", "u1", assistant("a"))],
    )
    (tmp_path / "sessions.json").write_text(
        json.dumps({"agent:ops:slack:channel:C1": {"sessionId": "abc", "status": "done"}})
    )
    [item], _ = read(path)
    assert item.agent == "ops"
    assert item.meta["session_status"] == "done"
    assert item.meta["openclaw_session_key"] == "agent:ops:slack:channel:C1"


def test_malformed_entries_are_rejected_and_the_rest_arrives(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {**HEADER, "timestamp": None},  # 1
            "[1, 2]",  # 2
            {"id": "x1", "parentId": None},  # 3: no type
            {"type": "message", "parentId": None, "message": user("no id")},  # 4
            entry("u1", None, user("good question")),  # 5
            entry("m1", "u1", {"content": "no role"}),  # 6
            entry("a1", "m1", assistant("good answer")),  # 7
            entry("u2", "a1", {"role": "user", "content": "no time"}, timestamp=None),  # 8
            entry("a2", "u2", assistant("reply")),  # 9
        ],
    )
    (tmp_path / "sessions.json").write_text("{not json")
    items, rejected = read(path)
    assert [(i.id, i.output) for i in items] == [("s-1:u1", "good answer")]
    by_line = {r.line: r.reason for r in rejected if r.source == str(path)}
    assert by_line == {
        2: "not a transcript entry (no 'type')",
        3: "not a transcript entry (no 'type')",
        4: "entry has no 'id'",
        6: "message entry has no message with a role",
        8: "user message has no timestamp",
    }
    assert [(r.source, r.line) for r in rejected if r.source != str(path)] == [
        (str(tmp_path / "sessions.json"), 1)
    ]


def test_cyclic_parent_links_end_the_walk(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [HEADER, entry("u1", "a1", user("q")), entry("a1", "u1", assistant("a"))],
    )
    items, _ = read(path)
    assert [(i.input, i.output) for i in items] == [("q", "a")]


# --- trajectory exports -------------------------------------------------------------


def test_trajectory_export_one_item_per_run() -> None:
    items, rejected = read(EXPORT)
    assert [(r.source, r.line) for r in rejected] == [(str(EXPORT / "events.jsonl"), 7)]
    assert [i.id for i in items] == [f"{SID}:run-7f3a", f"{SID}:run-8b21"]

    first, second = items
    assert first.created_at == datetime(2026, 4, 8, 1, 4, 1, 200000, tzinfo=UTC)
    assert first.agent == "main"
    assert first.task_type == "conversation"
    assert first.input == "Reply to the Acme invoice email"
    assert first.output == "I could not send the reply: the Acme billing address rejected it."
    assert first.model == "anthropic/claude-opus-4-5"
    assert first.tool_calls == (
        ToolCall("gmail_search", None, "q=Acme invoice", False),
        ToolCall("gmail_send", None, "SMTP 550: recipient rejected", True),
    )
    assert first.transcript == (
        Turn("user", "Reply to the Acme invoice email"),
        Turn("assistant", "I could not send the reply: the Acme billing address rejected it."),
    )
    assert first.meta == {
        "openclaw_session_id": SID,
        "openclaw_session_key": "agent:main:telegram:direct:123",
        "openclaw_run_id": "run-7f3a",
        "final_status": "ok",
        "aborted": False,
        "timed_out": False,
        "prompt_error": None,
        "terminal_error": None,
        "last_tool_error": {
            "toolName": "gmail_send",
            "meta": "to=billing@acme.example",
            "error": "SMTP 550: recipient rejected",
        },
        "tool_errors": 1,
        "usage": {"input": 3000, "output": 130, "cacheRead": 200, "cacheWrite": 0, "total": 3330},
        "compaction_count": 0,
        "platform_outcome": {"status": "passed"},
        "channel": "telegram",
    }

    # The latest run's outcome also comes from artifacts.json.
    assert second.input == "Try the backup address billing2@acme.example"
    assert second.output == ""
    assert second.tool_calls == ()
    assert second.created_at == datetime(2026, 4, 8, 1, 6, 0, 200000, tzinfo=UTC)
    assert {k: second.meta[k] for k in ("final_status", "timed_out", "terminal_error")} == {
        "final_status": "timeout",
        "timed_out": True,
        "terminal_error": "run timed out after 600s",
    }
    assert second.meta["usage"] == {
        "input": 800,
        "output": 0,
        "cacheRead": 0,
        "cacheWrite": 0,
        "total": 800,
    }
    assert second.meta["compaction_count"] == 1


def test_trajectory_task_type_from_metadata_json() -> None:
    items, _ = read(EXPORT / "events.jsonl", task_type_field="metadata.workflow")
    assert [i.task_type for i in items] == ["billing", "billing"]


def test_trajectory_without_runtime_events_reads_the_transcript(tmp_path: Path) -> None:
    def event(seq: int, type: str, entry_id: str, parent: str | None, message: Any) -> Any:
        return {
            "traceSchema": "openclaw-trajectory",
            "schemaVersion": 1,
            "traceId": "s-9",
            "source": "transcript",
            "type": type,
            "ts": f"2026-04-08T01:00:0{seq}.000Z",
            "seq": seq,
            "sessionId": "s-9",
            "sessionKey": "agent:ops:main",
            "entryId": entry_id,
            "parentEntryId": parent,
            "data": {"message": message},
        }

    folder = tmp_path / "export"
    write_jsonl(
        folder / "events.jsonl",
        [
            event(1, "user.message", "u1", None, user("status?")),
            event(2, "assistant.message", "a1", "u1", assistant("all green")),
        ],
    )
    (folder / "manifest.json").write_text(json.dumps({"sessionId": "s-9"}))
    items, rejected = read(folder)
    assert rejected == []
    assert [(i.id, i.agent, i.input, i.output) for i in items] == [
        ("s-9:u1", "ops", "status?", "all green")
    ]


def test_runtime_sidecar_alone_is_read_as_a_trajectory(tmp_path: Path) -> None:
    sidecar = tmp_path / f"{SID}.trajectory.jsonl"
    shutil.copy(EXPORT / "events.jsonl", sidecar)
    items, _ = read(sidecar)
    assert [i.id for i in items] == [f"{SID}:run-7f3a", f"{SID}:run-8b21"]
    # Without artifacts.json the latest run has only its own events.
    assert items[1].meta["terminal_error"] is None
    assert items[1].meta["final_status"] == "timeout"


def test_nan_in_a_transcript_line_or_in_sessions_json_is_rejected_not_nulled(
    tmp_path: Path,
) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            HEADER,
            entry("u1", None, user("question")),
            entry("a1", "u1", assistant("answer", usage={"cost": {"total": float("nan")}})),
        ],
    )
    items, rejected = read(path)
    assert [(r.source, r.line, r.reason) for r in rejected] == [
        (str(path), 3, "'message.usage.cost.total' is NaN, which is not a number JSON can carry")
    ]
    assert [(i.id, i.meta["no_reply"]) for i in items] == [("s-1:u1", True)]

    sessions = {"agent:main:main": {"sessionId": "s-1", "status": float("inf")}}
    (tmp_path / "sessions.json").write_text(json.dumps(sessions))
    items, rejected = read(path)
    assert items == []
    assert [(r.line, r.reason) for r in rejected][-1] == (
        2,
        "'meta.session_status' is Infinity, which is not a number JSON can carry",
    )


# --- platform outcome ---------------------------------------------------------------


def outcome_of(item: Item) -> tuple[str, str | None]:
    stored = item.meta["platform_outcome"]
    return stored["status"], stored.get("reason")


def test_platform_outcome_from_the_last_stop_reason(tmp_path: Path) -> None:
    def failed(stop: str, message: str | None = None) -> dict[str, Any]:
        extra = {"errorMessage": message} if message is not None else {}
        reply = assistant("", stopReason=stop, **extra)
        reply["content"] = []
        return reply

    calling = assistant("", stopReason="toolUse")
    calling["content"] = [{"type": "toolCall", "id": "c1", "name": "read", "arguments": {}}]
    unsaid = assistant("hm")
    del unsaid["stopReason"]
    replies = [
        assistant("done"),
        failed("error", '429 {"type":"error","error":{"type":"rate_limit_error"}}'),
        failed("aborted", "Request was aborted."),
        failed("aborted"),
        assistant("Tomorrow: 10:00 call and", stopReason="length"),
        calling,
        assistant("ok", stopReason="end_turn"),
        unsaid,
    ]
    records: list[Any] = [HEADER]
    parent: str | None = None
    for n, reply in enumerate(replies):
        records.append(entry(f"u{n}", parent, user(f"question {n}", 1775610000000 + n)))
        records.append(entry(f"a{n}", f"u{n}", reply))
        parent = f"a{n}"
    records.append(entry("u-last", parent, user("anyone there?")))
    items, rejected = read(write_jsonl(tmp_path / "s.jsonl", records))
    assert rejected == []
    assert [outcome_of(i) for i in items] == [
        ("passed", None),
        ("errored", '429 {"type":"error","error":{"type":"rate_limit_error"}}'),
        ("errored", "aborted: Request was aborted."),
        ("errored", "aborted"),
        ("truncated", "stop reason length"),
        ("passed", None),
        ("passed", None),
        ("unknown", None),
        ("unknown", None),  # no reply at all
    ]


def test_fixture_session_outcomes() -> None:
    items, _ = read(V3)
    assert [outcome_of(i) for i in items] == [
        ("passed", None),
        ("passed", None),
        ("truncated", "stop reason length"),
    ]


def test_trajectory_run_outcomes() -> None:
    first, second = read(EXPORT)[0]
    # The failed tool is a tool error; the run itself finished.
    assert outcome_of(first) == ("passed", None)
    assert outcome_of(second) == ("errored", "run timed out after 600s")
    sidecar_second = read(EXPORT / "events.jsonl")[0][1]
    assert outcome_of(sidecar_second) == ("errored", "run timed out after 600s")


def trajectory_run(run_id: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    common = {
        "traceSchema": "openclaw-trajectory",
        "schemaVersion": 1,
        "source": "runtime",
        "sessionId": "s-7",
        "runId": run_id,
    }
    return [
        {
            **common,
            "type": "prompt.submitted",
            "ts": "2026-04-08T01:00:00Z",
            "data": {"prompt": "p"},
        },
        {**common, "type": "trace.artifacts", "ts": "2026-04-08T01:00:05Z", "data": data},
    ]


def test_trajectory_aborted_errored_and_unfinished_runs(tmp_path: Path) -> None:
    runs = [
        ("r1", {"finalStatus": "aborted", "aborted": True}),
        ("r2", {"finalStatus": "aborted", "aborted": True, "terminalError": "user pressed stop"}),
        ("r3", {"finalStatus": "error", "promptError": {"message": "context overflow"}}),
        ("r4", {"finalStatus": "error"}),
        ("r5", {"timedOut": True}),
        ("r6", {"assistantTexts": ["partial"]}),
        ("r7", {"finalStatus": "ok", "assistantTexts": ["done"]}),
    ]
    events = [event for run_id, data in runs for event in trajectory_run(run_id, data)]
    sidecar = write_jsonl(tmp_path / "s-7.trajectory.jsonl", events)
    items, rejected = read(sidecar)
    assert rejected == []
    assert [outcome_of(i) for i in items] == [
        ("errored", "aborted"),
        ("errored", "aborted: user pressed stop"),
        ("errored", "context overflow"),
        ("errored", "final status error"),
        ("errored", "timed out"),
        ("unknown", None),
        ("passed", None),
    ]


def test_trajectory_transcript_turns_take_the_stop_reason(tmp_path: Path) -> None:
    common = {"traceSchema": "openclaw-trajectory", "schemaVersion": 1, "source": "transcript"}
    broken = assistant("", stopReason="error", errorMessage="terminated")
    events = [
        {**common, "type": "user.message", "ts": "2026-04-08T01:00:00Z", "sessionId": "s-8",
         "entryId": "u1", "parentEntryId": None, "data": {"message": user("hi")}},
        {**common, "type": "assistant.message", "ts": "2026-04-08T01:00:01Z", "sessionId": "s-8",
         "entryId": "a1", "parentEntryId": "u1", "data": {"message": broken}},
    ]  # fmt: skip
    [item], _ = read(write_jsonl(tmp_path / "export" / "events.jsonl", events))
    assert outcome_of(item) == ("errored", "terminated")
