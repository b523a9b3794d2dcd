"""Importing past verdicts from CSV and JSON Lines (service and storage)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import record, write_jsonl

from triage.config import Config
from triage.core.models import Lane, Outcome
from triage.errors import InvalidInput, SourceError
from triage.service import verdict_import
from triage.service.workspace import Workspace, shipped_rules_dir
from triage.storage.reviews import Reviews


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Iterator[Workspace]:
    workspace = Workspace.open(Config(db_url, shipped_rules_dir(), "ana"))
    items = [record(n, id=f"it-{n}", task_type="support_reply") for n in range(1, 9)]
    items.append(record(20, id="shared", task_type="refund", agent="billing-agent"))
    workspace.pull([str(write_jsonl(tmp_path / "alpha.jsonl", items))], source_name="alpha")
    other = [record(21, id="shared"), record(22, id="beta-only")]
    workspace.pull([str(write_jsonl(tmp_path / "beta.jsonl", other))], source_name="beta")
    yield workspace
    workspace.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def in_force(ws: Workspace, ref: str) -> object:
    pk, _ = ws.find(ref)
    return ws.reviews.current([pk]).get(pk)


def test_csv_lines_become_verdicts_with_their_time_reviewer_and_modes(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "labels.csv",
        "note,outcome,id,modes,reviewer,at\n"
        "fine,ok,it-1,,bo,2026-10-02T08:30:00\n"
        '"too much, said twice",fail,it-2,wrong-amount; rude-tone,,2026-10-03T09:00:00+02:00\n'
        ",FAIL,it-3,rude-tone,,\n",
    )
    report = ws.import_verdicts(path, reviewer="cy")
    assert (report.imported, report.unchanged, report.rejected) == (3, 0, [])
    assert report.created_modes == ["rude-tone", "wrong-amount"]

    one = in_force(ws, "alpha:it-1")
    assert one.outcome is Outcome.OK and one.note == "fine" and one.reviewer == "bo"
    assert one.recorded_at == datetime(2026, 10, 2, 8, 30, tzinfo=UTC)  # naive is UTC
    assert one.lane is not None and one.rules_version is not None
    two = in_force(ws, "it-2")
    assert two.outcome is Outcome.FAIL and two.modes == ("rude-tone", "wrong-amount")
    assert two.note == "too much, said twice" and two.reviewer == "cy"  # --reviewer
    assert two.recorded_at == datetime(2026, 10, 3, 7, 0, tzinfo=UTC)
    mode = ws.reviews.failure_mode("wrong-amount")
    assert mode is not None and mode.task_type == "support_reply"
    # No reviewer anywhere: the configured one.
    path = write(tmp_path / "more.csv", "id,outcome\nit-4,ok\n")
    ws.import_verdicts(path)
    assert in_force(ws, "it-4").reviewer == "ana"


def test_jsonl_and_gzip_are_read_alike(ws: Workspace, tmp_path: Path) -> None:
    lines = [
        {"id": "it-1", "outcome": "fail", "modes": ["made-up-fact"], "at": "2026-10-05"},
        {"id": "it-2", "outcome": "ok", "reviewer": "dee"},
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress(body))
    report = ws.import_verdicts(path)
    assert (report.imported, report.rejected) == (2, [])
    assert in_force(ws, "it-1").recorded_at == datetime(2026, 10, 5, tzinfo=UTC)
    assert in_force(ws, "it-2").reviewer == "dee"
    # Told by content when the name says nothing.
    plain = tmp_path / "labels.txt"
    plain.write_bytes(json.dumps({"id": "it-3", "outcome": "ok"}).encode() + b"\n")
    assert ws.import_verdicts(plain).imported == 1


def test_every_bad_csv_line_is_reported_with_its_number_and_skipped(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "bad.csv",
        "\n"  # 1: blank lines before the header are fine
        "id,outcome,modes,at\n"  # 2
        "it-1,ok,,2026-10-01T00:00:00Z\n"  # 3
        "nope,ok,,\n"  # 4
        "it-2,maybe,,\n"  # 5
        "it-3,fail,,yesterday\n"  # 6
        "it-4,fail,Bad_Mode,\n"  # 7
        "it-5,ok,a\x00b,\n"  # 8
        ",ok,,\n"  # 9
        "it-1,ok,,2026-10-01T00:00:00Z\n"  # 10
        "it-6,ok,,,extra\n"  # 11
        'it-7,ok,"oops"x,\n'  # 12
        "it-8,ok,some-mode,\n"  # 13
        "it-6,fail,,2999-01-01T00:00:00Z\n"  # 14
        "\n"  # 15
        "it-7,ok,,\n",  # 16
    )
    report = ws.import_verdicts(path)
    reasons = {r.line: r.reason for r in report.rejected}
    assert reasons == {
        4: "no item 'nope'",
        5: "bad outcome 'maybe' (expected ok, fail or escalate)",
        6: "bad at 'yesterday': expected an ISO 8601 time such as 2026-11-20T09:14:00Z",
        7: "invalid failure mode id 'Bad_Mode': use lowercase letters, digits and dashes",
        8: "NUL character in modes",
        9: "empty id",
        10: "duplicate of line 3",
        11: "5 fields, but the header has 4",
        12: "malformed CSV: ',' expected after '\"'",
        13: "failure modes tag a failure; this line's outcome is ok",
        14: "at '2999-01-01T00:00:00Z' is in the future",
    }
    assert (report.imported, report.unchanged) == (2, 0)  # lines 3 and 16
    assert in_force(ws, "it-7").outcome is Outcome.OK


def test_bad_jsonl_lines_and_over_long_lines(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verdict_import, "MAX_LINE_BYTES", 200)
    path = write(
        tmp_path / "bad.jsonl",
        '{"id": "it-1", "outcome": "ok"}\n'  # 1
        '{"id": "it-2", "outcome": \n'  # 2
        "[1, 2]\n"  # 3
        '{"id": "it-3", "outcome": "ok", "score": 3}\n'  # 4
        '{"id": 4, "outcome": "ok"}\n'  # 5
        '{"id": "it-5", "outcome": "fail", "modes": "not-a-list"}\n'  # 6
        '{"id": "it-6", "outcome": "ok", "note": "' + "x" * 300 + '"}\n'  # 7
        '{"id": "it-7", "outcome": "ok", "reviewer": "a\\u0000b"}\n'  # 8
        '{"id": "it-8", "outcome": "escalate"}',  # 9, no line end
    )
    report = ws.import_verdicts(path)
    reasons = {r.line: r.reason for r in report.rejected}
    assert reasons.keys() == {2, 3, 4, 5, 6, 7, 8}
    assert reasons[2].startswith("malformed JSON: Expecting value")
    assert reasons[3] == "malformed JSON: expected an object, not a list"
    assert reasons[4] == "unknown field(s) 'score'"
    assert reasons[5] == "id must be text, not a number"
    assert reasons[6] == "modes must be a list of text ids, not text"
    assert "over the limit of 200 bytes" in reasons[7]
    assert reasons[8] == "NUL character in reviewer"
    assert report.imported == 2


def test_a_bad_header_or_an_unreadable_file_is_one_error(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "h.csv", "\nid,outcome,score,Weight\nit-1,ok,1,2\n")
    with pytest.raises(InvalidInput, match=r"h\.csv:2: unknown column\(s\) 'score', 'weight'"):
        ws.import_verdicts(path)
    with pytest.raises(InvalidInput, match="the header has no outcome column"):
        ws.import_verdicts(write(tmp_path / "n.csv", "id,note\nit-1,x\n"))
    with pytest.raises(SourceError, match="cannot open .*missing.csv: no such file"):
        ws.import_verdicts(tmp_path / "missing.csv")
    assert in_force(ws, "it-1") is None
    assert ws.import_verdicts(write(tmp_path / "empty.csv", "\n\n")).accepted == 0


def test_importing_twice_adds_nothing(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verdict_import, "BATCH", 3)
    rows = "".join(f"it-{n},fail,mode-{n % 3},note {n},,2026-10-0{n}\n" for n in range(1, 9))
    path = write(tmp_path / "labels.csv", "id,outcome,modes,note,reviewer,at\n" + rows)
    first = ws.import_verdicts(path)
    assert (first.imported, first.unchanged, first.rejected) == (8, 0, [])
    verdicts = count_rows(ws, "verdict")
    entries = ws.verify_audit().entries
    again = ws.import_verdicts(path)
    assert (again.imported, again.unchanged, again.rejected, again.created_modes) == (0, 8, [], [])
    assert count_rows(ws, "verdict") == verdicts
    assert ws.verify_audit().entries == entries


def test_the_same_verdict_in_force_counts_as_unchanged_and_older_labels_never_win(
    ws: Workspace, tmp_path: Path
) -> None:
    ws.record_verdict("it-1", Outcome.OK, reviewer="bo", note="fine")
    ws.record_verdict("it-2", Outcome.OK, reviewer="bo")
    path = write(
        tmp_path / "labels.csv",
        "id,outcome,note,at\n"
        "it-1,ok,fine,2026-10-01\n"  # 2: the verdict in force already
        "it-2,fail,,2026-10-01\n"  # 3: older than the verdict in force
        "it-3,ok,,2026-10-01\n"  # 4
        "it-3,fail,on second look,2026-10-02\n",  # 5: a correction, later
    )
    report = ws.import_verdicts(path)
    assert (report.imported, report.unchanged) == (2, 1)
    assert [(r.line, r.reason.split(" (")[0]) for r in report.rejected] == [
        (3, "a later verdict is in force on alpha:it-2")
    ]
    assert in_force(ws, "it-2").outcome is Outcome.OK
    assert in_force(ws, "it-3").note == "on second look"


def test_ids_of_several_sources_need_source(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "labels.csv", "id,outcome\nshared,ok\nbeta-only,ok\nbeta:shared,fail\n")
    report = ws.import_verdicts(path)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, "id 'shared' is in several sources (alpha, beta); name one with --source")
    ]
    assert report.imported == 2  # beta-only, and beta:shared as source:id
    assert in_force(ws, "beta:shared").outcome is Outcome.FAIL

    path = write(tmp_path / "alpha.csv", "id,outcome\nshared,ok\nbeta-only,ok\n")
    report = ws.import_verdicts(path, source="alpha")
    assert report.imported == 1
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "no item 'beta-only' in source 'alpha'")
    ]
    assert in_force(ws, "alpha:shared").outcome is Outcome.OK
    assert in_force(ws, "beta:shared").outcome is Outcome.FAIL


def test_at_is_the_reviewed_time_the_statistics_see(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "l.csv", "id,outcome,at\nit-1,fail,2026-11-14T23:30:00-02:00\n")
    ws.import_verdicts(path)
    facts = [f for f in ws.learning.statistics().reviews if f.ref == "alpha:it-1"]
    assert [f.reviewed_at for f in facts] == [datetime(2026, 11, 15, 1, 30, tzinfo=UTC)]
    # Statistics per day count a verdict on its item's day (see triage.learn.stats).
    rows = ws.learning.statistics().rows(by=("task_type",), period="day")
    day = {(r.task_type, r.period): (r.reviewed, r.failures) for r in rows}
    assert day[("support_reply", "2026-11-16")] == (1, 1)


def test_escalate_lifts_to_deep_and_the_audit_log_verifies(ws: Workspace, tmp_path: Path) -> None:
    pk, _ = ws.find("it-1")
    lane = ws.store.decision(pk).lane
    path = write(
        tmp_path / "l.csv",
        "id,outcome,modes,note,reviewer\nit-1,escalate,needs-legal,ask legal,bo\nit-2,ok,,,cy\n",
    )
    ws.import_verdicts(path)
    decision = ws.store.decision(pk)
    assert decision.lane is Lane.DEEP and decision.escalated
    assert decision.reasons[0].why == "escalated by bo: ask legal"
    assert in_force(ws, "it-1").lane == lane  # the lane it was reviewed in
    check = ws.verify_audit()
    assert check.ok, check.problems
    assert check.entries == 3  # the new mode and two verdicts
    actors = audit_actors(ws)
    assert actors[-2:] == ["bo", "cy"]


def test_a_crash_mid_import_leaves_whole_batches_and_a_rerun_finishes(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f"it-{n},fail,crash-mode-{n},,,\n" for n in range(1, 9))
    path = write(tmp_path / "labels.csv", "id,outcome,modes,note,reviewer,at\n" + rows)
    monkeypatch.setattr(verdict_import, "BATCH", 3)
    real = Reviews.record_many
    calls = []

    def crash_on_second(self: Reviews, verdicts: list[object]) -> object:
        calls.append(len(verdicts))
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(self, verdicts)  # type: ignore[arg-type]

    monkeypatch.setattr(Reviews, "record_many", crash_on_second)
    with pytest.raises(RuntimeError, match="power cut"):
        ws.import_verdicts(path)
    assert count_rows(ws, "verdict") == 3
    assert ws.verify_audit().ok

    monkeypatch.setattr(Reviews, "record_many", real)
    report = ws.import_verdicts(path)
    assert (report.imported, report.unchanged, report.rejected) == (5, 3, [])
    assert count_rows(ws, "verdict") == 8
    assert ws.verify_audit().ok


def test_a_batch_failing_inside_its_transaction_writes_nothing_of_it(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.storage import audit, reviews

    monkeypatch.setattr(verdict_import, "BATCH", 3)
    real = reviews.audit.append_many
    calls = []

    def fail_on_second(conn: object, entries: list[audit.Entry]) -> list[int]:
        # A batch's entries are appended after its verdicts and links are in.
        if entries[0].action == "verdict.record":
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("disk gone")
        return real(conn, entries)  # type: ignore[arg-type]

    monkeypatch.setattr(reviews.audit, "append_many", fail_on_second)
    rows = "".join(f"it-{n},fail,m-{n},,,\n" for n in range(1, 9))
    path = write(tmp_path / "labels.csv", "id,outcome,modes,note,reviewer,at\n" + rows)
    with pytest.raises(RuntimeError, match="disk gone"):
        ws.import_verdicts(path)
    assert count_rows(ws, "verdict") == 3 and count_rows(ws, "verdict_mode") == 3
    check = ws.verify_audit()
    assert check.ok and check.entries == 6 + 3  # the six modes made so far, three verdicts


def count_rows(ws: Workspace, table: str) -> int:
    from sqlalchemy import text

    with ws.store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def audit_actors(ws: Workspace) -> list[str]:
    from sqlalchemy import text

    with ws.store.engine.connect() as conn:
        return list(conn.execute(text("SELECT actor FROM audit ORDER BY seq")).scalars())
