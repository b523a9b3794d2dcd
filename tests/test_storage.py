"""Storage behaviour, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from factories import make_item
from sqlalchemy import text

from triage.core.models import Decision, FailureMode, Lane, Novelty, Reason
from triage.storage.reviews import Reviews
from triage.storage.store import Store


@pytest.fixture
def store(db_url: str) -> Store:
    s = Store.open(db_url)
    yield s
    s.close()


def decision(lane: Lane, risk: float = 0.0, *, audit: bool = False) -> Decision:
    return Decision(
        lane=lane,
        reasons=(Reason(rule=f"r-{lane.value}", lane=lane, why=f"because {lane.value}"),),
        novelty=Novelty(score=80.0, nearest="files:x", is_novel=False),
        audit_sample=audit,
        rules_version="r-test",
        risk=risk,
    )


def test_write_is_idempotent_and_records_updates(store: Store) -> None:
    items = [make_item(n) for n in range(1, 6)]
    first = store.write_items(items)
    assert (first.new, first.updated, first.unchanged) == (5, 0, 0)
    assert [item.id for _, item in first.changed] == [i.id for i in items]

    again = store.write_items(items)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 5)
    assert again.changed == []

    edited = replace(items[2], output="Refund issued instead.")
    third = store.write_items([edited, items[0]])
    assert (third.new, third.updated, third.unchanged) == (0, 1, 1)
    assert store.count_items() == 5
    pk, stored = store.item("it-0003") or (0, None)
    assert stored is not None and stored.output == "Refund issued instead."
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("select revision, content from item_revision where item_pk = :pk"), {"pk": pk}
        ).all()
    assert len(rows) == 1 and rows[0].revision == 1
    old = (
        rows[0].content
        if isinstance(rows[0].content, dict)
        else __import__("json").loads(rows[0].content)
    )
    assert old["output"] == items[2].output


def test_same_id_in_two_sources_is_two_items(store: Store) -> None:
    store.write_items([make_item(1), make_item(1, source="helpdesk")])
    assert store.count_items() == 2
    with pytest.raises(LookupError, match="ambiguous"):
        store.item("it-0001")
    found = store.item("helpdesk:it-0001")
    assert found is not None and found[1].source == "helpdesk"


def test_item_round_trips_every_field(store: Store) -> None:
    original = make_item(
        7,
        meta={"amount": 250.5, "nested": {"k": [1, 2]}, "customer_facing": True},
        output="x" * 200_000 + "\x1b[31m end",
    )
    store.write_items([original])
    _, back = store.item("it-0007") or (0, None)
    assert back == original


def test_queue_orders_by_lane_then_risk_and_pages_by_keyset(store: Store) -> None:
    written = store.write_items([make_item(n) for n in range(1, 7)])
    pks = [pk for pk, _ in written.changed]
    lanes = [Lane.PASS, Lane.DEEP, Lane.SCAN, Lane.DEEP, Lane.SCAN, Lane.SCAN]
    risks = [0.0, 5.0, 1.0, 9.0, 3.0, 3.0]
    store.record_decisions(
        [(pk, decision(lane, risk)) for pk, lane, risk in zip(pks, lanes, risks, strict=True)]
    )
    order = [(e.lane, e.risk) for e in store.queue()]
    assert order == [
        (Lane.DEEP, 9.0), (Lane.DEEP, 5.0), (Lane.SCAN, 3.0), (Lane.SCAN, 3.0),
        (Lane.SCAN, 1.0), (Lane.PASS, 0.0),
    ]  # fmt: skip
    scan = store.queue(lane=Lane.SCAN, limit=2)
    assert [e.risk for e in scan] == [3.0, 3.0]
    rest = store.queue(lane=Lane.SCAN, after=(scan[-1].risk, scan[-1].pk))
    assert [e.risk for e in rest] == [1.0]
    assert store.queue(lane=Lane.DEEP)[0].reason == "because deep"
    assert store.lane_counts() == {Lane.DEEP: 2, Lane.SCAN: 3, Lane.PASS: 1}
    assert store.queue(day=date(2026, 11, 16))
    assert store.queue(day=date(2026, 11, 17)) == []


def test_decisions_keep_history(store: Store) -> None:
    ((pk, _),) = store.write_items([make_item(1)]).changed
    store.record_decisions([(pk, decision(Lane.SCAN))])
    store.record_decisions([(pk, decision(Lane.PASS, audit=True))])
    current = store.decision(pk)
    assert current is not None and current.lane is Lane.PASS and current.audit_sample
    assert [d.lane for _, d in store.decision_history(pk)] == [Lane.SCAN, Lane.PASS]
    assert store.queue()[0].reason.startswith("audit sample")

    store.escalate(pk, current, reviewer="ana", note="needs legal")
    lifted = store.decision(pk)
    assert lifted is not None and lifted.lane is Lane.DEEP
    assert lifted.reasons[0].why == "escalated by ana: needs legal"


def test_verdicts_undo_and_corrections(store: Store) -> None:
    reviews = Reviews(store.engine)
    ((pk, _),) = store.write_items([make_item(1)]).changed
    reviews.add_failure_mode(FailureMode(id="wrong-order", title="Wrong order"), actor="lead")
    first = reviews.record(item_pk=pk, reviewer="ana", outcome="fail", modes=["wrong-order"])
    assert reviews.current([pk])[pk].modes == ("wrong-order",)

    undo = reviews.record(item_pk=pk, reviewer="ana", outcome="undo", supersedes=first.pk)
    assert undo.supersedes == first.pk
    assert reviews.current([pk]) == {}

    ok = reviews.record(item_pk=pk, reviewer="ana", outcome="ok")
    later = reviews.record(item_pk=pk, reviewer="bo", outcome="fail")
    assert reviews.current([pk])[pk].pk == later.pk
    reviews.record(item_pk=pk, reviewer="bo", outcome="undo", supersedes=later.pk)
    assert reviews.current([pk])[pk].pk == ok.pk
    assert [v.outcome for v in reviews.for_item(pk)] == ["fail", "undo", "ok", "fail", "undo"]


def test_recording_the_same_key_twice_stores_one_verdict(store: Store) -> None:
    reviews = Reviews(store.engine)
    ((pk, _),) = store.write_items([make_item(1)]).changed
    a = reviews.record(item_pk=pk, reviewer="ana", outcome="ok", key="k-1")
    b = reviews.record(item_pk=pk, reviewer="ana", outcome="ok", key="k-1")
    assert a.pk == b.pk
    assert len(reviews.for_item(pk)) == 1


def test_task_type_counts_use_verdicts_in_force(store: Store) -> None:
    reviews = Reviews(store.engine)
    written = store.write_items(
        [make_item(1), make_item(2), make_item(3, task_type="refund")]
    ).changed
    (p1, _), (p2, _), (p3, _) = written
    reviews.record(item_pk=p1, reviewer="a", outcome="ok")
    failed = reviews.record(item_pk=p2, reviewer="a", outcome="fail")
    reviews.record(item_pk=p3, reviewer="a", outcome="fail")
    reviews.record(item_pk=p3, reviewer="a", outcome="escalate")
    assert reviews.task_type_counts() == {"support_reply": (2, 1)}
    reviews.record(item_pk=p2, reviewer="a", outcome="undo", supersedes=failed.pk)
    assert reviews.task_type_counts() == {"support_reply": (1, 0)}


def test_audit_chain_detects_alteration_and_removal(store: Store) -> None:
    reviews = Reviews(store.engine)
    ((pk, _),) = store.write_items([make_item(1)]).changed
    for outcome in ("ok", "fail", "ok"):
        reviews.record(item_pk=pk, reviewer="ana", outcome=outcome)
    check = store.verify_audit()
    assert check.ok and check.entries == 3

    with store.engine.begin() as conn:
        conn.execute(text("update audit set actor = 'mallory' where seq = 2"))
    check = store.verify_audit()
    assert not check.ok and check.broken_at == 2 and "altered" in check.problem
    with store.engine.begin() as conn:
        conn.execute(text("update audit set actor = 'ana' where seq = 2"))
    assert store.verify_audit().ok

    with store.engine.begin() as conn:
        conn.execute(text("delete from audit where seq = 3"))
    check = store.verify_audit()
    assert not check.ok and check.broken_at == 3 and "removed" in check.problem


def test_last_good_ruleset_is_the_newest_loaded(store: Store) -> None:
    assert store.last_good_ruleset() is None
    store.remember_ruleset("r-1", None, "rules", {"a.toml": "one"})
    store.remember_ruleset("r-2", "abc1234", "rules", {"a.toml": "two"})
    version, commit, _, files, _ = store.last_good_ruleset() or ("", None, "", {}, None)
    assert (version, commit, files) == ("r-2", "abc1234", {"a.toml": "two"})
    store.remember_ruleset("r-1", None, "rules", {"a.toml": "one"})
    assert (store.last_good_ruleset() or ("",))[0] == "r-1"


def test_untrusted_text_is_stored_whole(store: Store) -> None:
    hostile = "a\x00b\ue000c\ue0000\x1b]52;c;Zm9v\x07 [@click=app.quit]" + "z" * 100
    original = make_item(1, input=hostile, output=hostile * 3)
    store.write_items([original])
    _, back = store.item("it-0001") or (0, None)
    assert back == original
    again = store.write_items([original])
    assert again.unchanged == 1


def test_two_writers_on_one_database_lose_nothing(db_url: str) -> None:
    import threading

    first, second = Store.open(db_url), Store.open(db_url)
    written = first.write_items([make_item(n) for n in range(1, 41)]).changed
    pks = [pk for pk, _ in written]
    errors: list[BaseException] = []

    def review(store: Store, reviewer: str) -> None:
        reviews = Reviews(store.engine)
        try:
            for pk in pks:
                reviews.record(item_pk=pk, reviewer=reviewer, outcome="ok", key=f"{reviewer}-{pk}")
                reviews.record(item_pk=pk, reviewer=reviewer, outcome="ok", key=f"{reviewer}-{pk}")
            store.write_items([make_item(100 + len(reviewer), id=f"new-{reviewer}")])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=review, args=(first, "ana")),
        threading.Thread(target=review, args=(second, "bo")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reviews = Reviews(first.engine)
    assert sum(len(reviews.for_item(pk)) for pk in pks) == 2 * len(pks)
    assert first.count_items() == 42
    check = first.verify_audit()
    assert check.ok and check.entries == 2 * len(pks)
    first.close()
    second.close()
