"""The demo workspace generator: deterministic, in vocabulary, with the promised shape."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from triage.core.checks import PlatformStatus
from triage.demo import (
    DemoFailureMode,
    DemoVerdict,
    DemoWorkspace,
    build_demo,
    scale_records,
)
from triage.demo.seeded import SEEDED, SEEDED_SHARE, seeded_for
from triage.demo.vocab import (
    AGENT_TASKS,
    CHANNELS,
    CURRENCIES,
    ENVIRONMENTS,
    META_TYPES,
    TASK_TYPES,
    TIERS,
    TOUCHES,
)
from triage.platforms.native import parse_record

END = date(2026, 11, 20)
LAST_DAY = "sb-20261120-"


@pytest.fixture(scope="module")
def ws() -> DemoWorkspace:
    return build_demo()


@pytest.fixture(scope="module")
def by_id(ws: DemoWorkspace) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in ws.records}


def _fail_share(ws: DemoWorkspace, by_id: dict[str, dict[str, Any]], **match: str) -> float:
    reviewed = [
        v
        for v in ws.verdicts
        if all(by_id[v.item_id][key] == value for key, value in match.items())
    ]
    assert reviewed, match
    return sum(v.outcome == "fail" for v in reviewed) / len(reviewed)


def check_record(record: dict[str, Any]) -> None:
    """A record is a valid native item in the demo vocabulary."""
    json.dumps(record)
    item = parse_record(record, source="demo")
    assert record["created_at"].endswith("Z")
    assert item.created_at.tzinfo is not None
    assert record["task_type"] in AGENT_TASKS[record["agent"]]
    assert record["input"].strip() and record["output"].strip() and record["model"]
    meta = record["meta"]
    assert set(meta) <= set(META_TYPES), set(meta) - set(META_TYPES)
    assert isinstance(meta["customer_facing"], bool)
    assert meta["channel"] in CHANNELS
    for key, value in meta.items():
        assert isinstance(value, META_TYPES[key]), (key, value)
        if META_TYPES[key] is not bool:
            assert not isinstance(value, bool), (key, value)
    assert meta.get("currency", "EUR") in CURRENCIES
    assert meta.get("customer_tier", "standard") in TIERS
    assert meta.get("environment", "staging") in ENVIRONMENTS
    if "platform_outcome" in meta:
        assert meta["platform_outcome"]["status"] in set(PlatformStatus)
        assert meta["platform_outcome"]["reason"].strip()
    assert set(meta.get("touches", ())) <= set(TOUCHES)
    for call in record.get("tool_calls", ()):
        assert set(call) == {"name", "arguments", "result", "is_error"}
        assert isinstance(call["arguments"], dict) and isinstance(call["is_error"], bool)
    for turn in record.get("transcript", ()):
        assert set(turn) == {"role", "content"} and turn["role"] in ("user", "assistant")


# Determinism


def test_same_seed_builds_the_same_workspace(ws: DemoWorkspace) -> None:
    again = build_demo()
    assert again == ws
    assert json.dumps(again.records) == json.dumps(ws.records)


def test_another_seed_builds_another_week(ws: DemoWorkspace) -> None:
    other = build_demo(seed=8)
    assert [r["input"] for r in other.records] != [r["input"] for r in ws.records]


def _digest_in_subprocess(hash_seed: str) -> str:
    code = (
        "import dataclasses, hashlib, json\n"
        "from triage.demo import build_demo, scale_records\n"
        "ws = build_demo(seed=3)\n"
        "blob = json.dumps([ws.records, [dataclasses.asdict(v) for v in ws.verdicts],"
        " list(scale_records(300, seed=3))], sort_keys=True)\n"
        "print(hashlib.sha256(blob.encode()).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_output_does_not_depend_on_hash_randomization() -> None:
    assert _digest_in_subprocess("1") == _digest_in_subprocess("12345")


# Records


def test_records_are_valid_native_items_in_the_vocabulary(ws: DemoWorkspace) -> None:
    for record in ws.records:
        check_record(record)
    pairs = {(r["agent"], r["task_type"]) for r in ws.records}
    assert pairs == {(agent, task) for agent, tasks in AGENT_TASKS.items() for task in tasks}
    assert {r["task_type"] for r in ws.records} == set(TASK_TYPES)


def test_ids_are_unique_and_name_their_day(ws: DemoWorkspace) -> None:
    ids = [r["id"] for r in ws.records]
    assert len(set(ids)) == len(ids) == 7 * 50
    for record in ws.records:
        match = re.fullmatch(r"sb-(\d{4})(\d{2})(\d{2})-\d{4}", record["id"])
        assert match, record["id"]
        assert record["created_at"].startswith("-".join(match.groups()))


def test_days_span_the_week_with_business_hours_and_some_evenings(ws: DemoWorkspace) -> None:
    times = [datetime.fromisoformat(r["created_at"]) for r in ws.records]
    days = Counter(t.date() for t in times)
    assert days == {END - timedelta(days=i): 50 for i in range(7)}
    assert times == sorted(times)
    hours = [t.hour for t in times]
    daytime = sum(8 <= h < 18 for h in hours) / len(hours)
    assert 0.7 < daytime < 0.95
    assert sum(h >= 18 for h in hours) >= 10


def test_task_mix_is_roughly_as_described(ws: DemoWorkspace) -> None:
    share = {t: n / len(ws.records) for t, n in Counter(r["task_type"] for r in ws.records).items()}
    assert 0.30 < share["support_reply"] < 0.45
    assert 0.10 < share["refund"] < 0.20
    assert 0.08 < share["outbound_email"] < 0.16
    assert 0.08 < share["booking_change"] + share["cancel_reservation"] < 0.18
    assert 0.05 < share["code_change"] < 0.13
    assert 0.03 < share["invoice_adjustment"] < 0.09
    assert 0.05 < share["internal_summary"] < 0.13


def test_meta_has_the_risky_cases_a_rule_set_needs(ws: DemoWorkspace) -> None:
    metas = [(r["task_type"], r["meta"]) for r in ws.records]
    amounts = sorted(m["amount"] for _, m in metas if "amount" in m)
    assert amounts[len(amounts) // 2] < 150
    assert sum(a > 200 for a in amounts) >= 5
    assert any(m["amount"] > m["policy_limit"] for _, m in metas if "policy_limit" in m)
    assert sum(m.get("recipients", 0) >= 100 for _, m in metas) >= 3
    assert sum(m.get("customer_tier") == "vip" for _, m in metas) >= 5
    assert any(
        t == "code_change"
        and m["environment"] == "production"
        and {"payments", "migrations"} & set(m["touches"])
        for t, m in metas
    )
    errored = [r for r in ws.records if any(c["is_error"] for c in r.get("tool_calls", ()))]
    assert len(errored) >= 3


def test_tricky_outputs_are_in_todays_queue(ws: DemoWorkspace) -> None:
    today = [r["output"] for r in ws.records if r["id"].startswith(LAST_DAY)]
    assert any("\u001b[31m" in o for o in today)
    assert any("[bold]" in o and "[@click=app.quit]" in o for o in today)
    assert any("\u202e" in o for o in today)


def test_a_handful_of_novel_requests(ws: DemoWorkspace) -> None:
    inputs = [r["input"] for r in ws.records]
    for marker in ("solicitor", "Article 15 GDPR", "Dzień dobry", "Amsterdam branch"):
        assert sum(marker in i for i in inputs) == 1, marker


def test_models_switch_mid_week(ws: DemoWorkspace) -> None:
    models: dict[str, dict[str, set[str]]] = {}
    for r in ws.records:
        models.setdefault(r["agent"], {}).setdefault(r["created_at"][:10], set()).add(r["model"])
    support = models["support-bot"]
    days = sorted(support)
    assert all(support[d] == {"claude-sonnet-4-5"} for d in days[:3])
    assert all(support[d] == {"claude-sonnet-4-6"} for d in days[3:])
    assert len(set().union(*models["coder"].values())) == 2
    for agent in ("mailer", "billing-agent", "concierge", "summarizer"):
        assert len(set().union(*models[agent].values())) == 1


# Failure modes and verdicts


def test_failure_modes_are_complete(ws: DemoWorkspace) -> None:
    modes = ws.failure_modes
    assert 14 <= len(modes) <= 20
    assert all(isinstance(m, DemoFailureMode) for m in modes)
    assert len({m.id for m in modes}) == len(modes)
    for mode in modes:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", mode.id)
        assert mode.task_type is None or mode.task_type in TASK_TYPES
        assert len(mode.title) > 10 and len(mode.description) > 60 and len(mode.look_for) > 30


def test_verdicts_cover_only_earlier_days(
    ws: DemoWorkspace, by_id: dict[str, dict[str, Any]]
) -> None:
    ids = [v.item_id for v in ws.verdicts]
    assert len(set(ids)) == len(ids)
    assert all(i in by_id and not i.startswith(LAST_DAY) for i in ids)
    earlier = sum(not r["id"].startswith(LAST_DAY) for r in ws.records)
    assert 0.45 < len(ids) / earlier < 0.8


def test_verdicts_are_well_formed(ws: DemoWorkspace, by_id: dict[str, dict[str, Any]]) -> None:
    modes = {m.id: m for m in ws.failure_modes}
    outcomes = Counter(v.outcome for v in ws.verdicts)
    assert set(outcomes) == {"ok", "fail", "escalate"}
    assert outcomes["escalate"] >= 2
    assert 2 <= len({v.reviewer for v in ws.verdicts}) <= 3
    for v in ws.verdicts:
        assert isinstance(v, DemoVerdict)
        assert 20 <= v.seconds <= 600
        if v.outcome == "fail":
            assert v.modes and v.note
        else:
            assert v.modes == ()
        for mode_id in v.modes:
            mode = modes[mode_id]
            assert mode.task_type in (None, by_id[v.item_id]["task_type"])
    used = {m for v in ws.verdicts for m in v.modes}
    assert len(used) >= 8


def test_reviewing_code_takes_longer_than_replies(
    ws: DemoWorkspace, by_id: dict[str, dict[str, Any]]
) -> None:
    def mean(task: str) -> float:
        spent = [v.seconds for v in ws.verdicts if by_id[v.item_id]["task_type"] == task]
        return sum(spent) / len(spent)

    assert mean("code_change") > 2 * mean("support_reply")


def test_failures_concentrate_where_the_story_says(
    ws: DemoWorkspace, by_id: dict[str, dict[str, Any]]
) -> None:
    fails = sum(v.outcome == "fail" for v in ws.verdicts) / len(ws.verdicts)
    assert 0.08 < fails < 0.30
    support = _fail_share(ws, by_id, task_type="support_reply")
    assert _fail_share(ws, by_id, task_type="refund") > support
    assert _fail_share(ws, by_id, task_type="cancel_reservation") > support
    before = _fail_share(ws, by_id, agent="support-bot", model="claude-sonnet-4-5")
    after = _fail_share(ws, by_id, agent="support-bot", model="claude-sonnet-4-6")
    assert after > before


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_story_holds_for_other_seeds(seed: int) -> None:
    other = build_demo(seed=seed)
    index = {r["id"]: r for r in other.records}
    support = _fail_share(other, index, task_type="support_reply")
    assert _fail_share(other, index, task_type="refund") > support
    before = _fail_share(other, index, agent="support-bot", model="claude-sonnet-4-5")
    assert _fail_share(other, index, agent="support-bot", model="claude-sonnet-4-6") > before


def test_failed_outputs_show_their_failure(
    ws: DemoWorkspace, by_id: dict[str, dict[str, Any]]
) -> None:
    for v in ws.verdicts:
        record = by_id[v.item_id]
        meta = record["meta"]
        if "refund-over-policy" in v.modes:
            assert meta["amount"] > meta["policy_limit"] and "refunded" in record["output"]
        if "tool-error-ignored" in v.modes:
            assert any(c["is_error"] for c in record["tool_calls"])
        if "wrong-order-number" in v.modes:
            assert meta["order_id"] in record["input"]
        if "tests-skipped" in v.modes:
            assert not meta["tests_passed"] or "pytest.mark.skip" in record["output"]
        if "migration-deleted" in v.modes:
            assert "deleted file mode" in record["output"] and "migrations" in meta["touches"]


def test_seeded_failures_fit_the_span_and_its_share() -> None:
    assert seeded_for(7, 50) == SEEDED  # the shipped week takes every one
    for days, per_day in ((1, 12), (1, 50), (3, 24), (5, 30), (14, 24)):
        taken = seeded_for(days, per_day)
        assert len(taken) <= days * per_day * SEEDED_SHARE + 0.5
        assert all(s.days_before_end < days for s in taken)
        assert list(taken) == [s for s in SEEDED if s in taken]  # in order of priority
    assert seeded_for(1, 12) == ()


def test_seeded_failures_have_verdicts_and_todays_are_open(ws: DemoWorkspace) -> None:
    verdicts = {v.item_id: v for v in ws.verdicts}
    leaks = [r for r in ws.records if "find_customer" in json.dumps(r.get("tool_calls", []))]
    days = {r["id"][3:11] for r in leaks}
    assert len(leaks) == 2 and "20261120" in days
    for record in leaks:
        verdict = verdicts.get(record["id"])
        if record["id"].startswith(LAST_DAY):
            assert verdict is None
        else:
            assert verdict is not None and verdict.modes == ("personal-data-leak",)
    errored = [r for r in ws.records if "platform_outcome" in r["meta"]]
    assert {r["meta"]["platform_outcome"]["status"] for r in errored} == {"errored", "truncated"}
    assert all(r["agent"] in ("mailer", "summarizer") for r in errored)


# Other spans


def test_a_single_day_is_an_unreviewed_queue() -> None:
    one = build_demo(days=1, per_day=12)
    assert len(one.records) == 12 and one.verdicts == []
    for record in one.records:
        check_record(record)


def test_a_short_span_reviews_all_but_its_last_day() -> None:
    short = build_demo(days=3, per_day=20, end=date(2026, 3, 4))
    assert len(short.records) == 60
    assert {r["created_at"][:10] for r in short.records} == {
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
    }
    assert short.verdicts
    assert all(not v.item_id.startswith("sb-20260304-") for v in short.verdicts)


@pytest.mark.parametrize(("days", "per_day"), [(0, 50), (7, 0)])
def test_empty_spans_are_refused(days: int, per_day: int) -> None:
    with pytest.raises(ValueError):
        build_demo(days=days, per_day=per_day)


# scale_records


def test_scale_records_yields_n_valid_unique_records() -> None:
    n = 5000  # past the pool of freshly generated texts, so reuse is covered too
    records = list(scale_records(n))
    assert len(records) == n
    assert len({r["id"] for r in records}) == n
    for record in records[:200] + records[-200:]:
        check_record(record)
    assert {r["task_type"] for r in records} == set(TASK_TYPES)
    times = [r["created_at"] for r in records]
    assert times == sorted(times) and times[0].startswith("2026-11-01T")
    assert len({r["input"] for r in records}) > n / 2


def test_scale_records_reused_texts_get_their_own_references() -> None:
    for record in list(scale_records(5000, seed=4))[2048:]:
        ref = record["meta"].get("order_id")
        if ref is not None:
            assert ref in record["input"] or ref in json.dumps(record["tool_calls"])


def test_scale_records_is_deterministic_and_honours_start() -> None:
    start = datetime(2025, 1, 6, 9, 0)
    first = list(scale_records(500, seed=5, start=start))
    assert first == list(scale_records(500, seed=5, start=start.replace(tzinfo=UTC)))
    assert first[0]["created_at"] > "2025-01-06T09:00:00Z"
    assert first != list(scale_records(500, seed=6, start=start))
    assert list(scale_records(0)) == []
    with pytest.raises(ValueError):
        list(scale_records(-1))


def test_scale_records_is_lazy() -> None:
    stream = scale_records(10**9)
    head = [next(stream) for _ in range(3)]
    assert [r["id"] for r in head] == ["sx1-00000000", "sx1-00000001", "sx1-00000002"]


def test_digest_helper_is_stable() -> None:
    # Guards the subprocess check above against comparing two empty outputs.
    digest = _digest_in_subprocess("0")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert hashlib.sha256(b"").hexdigest() != digest
