"""Automated checks in triage: rules test them, decisions keep them, explain shows them,
and no item with a failed check can reach ``pass`` under any rule set."""

from __future__ import annotations

from pathlib import Path

import pytest
from clitools import make_cli
from factories import make_item, record, write_jsonl
from test_engine import rule, ruleset, triager

from triage.config import Config
from triage.core.checks import PlatformStatus, platform_outcome
from triage.core.models import Lane, ReasonKind
from triage.rules import ConditionError, RulesError, rules_from_files
from triage.service.workspace import Workspace, shipped_rules_dir

FAILED_RUN = {"platform_outcome": platform_outcome(PlatformStatus.ERRORED, "upstream 503")}


def test_a_rule_tests_a_check_by_name() -> None:
    rs = ruleset(rule("errored", "deep", 'check.platform == "errored"'))
    decision = triager(rs).decide(make_item(1, meta=FAILED_RUN))
    assert decision.lane is Lane.DEEP
    (reason,) = decision.reasons
    assert reason.matched == {"check.platform": "errored"}
    assert triager(rs).decide(make_item(2)).lane is Lane.SCAN


def test_failed_checks_lists_the_names() -> None:
    rs = ruleset(rule("any-check", "deep", '"platform" in failed_checks'))
    assert triager(rs).decide(make_item(1, meta=FAILED_RUN)).lane is Lane.DEEP
    assert triager(rs).decide(make_item(2)).default_lane


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ('check.platfrom == "failed"', "unknown check 'platfrom' (did you mean 'platform'?)"),
        (
            'check["refrences"] == "failed"',
            "unknown check 'refrences' (did you mean 'references'?)",
        ),
        ("check.x.y", "unknown check 'x'"),
    ],
)
def test_a_misspelt_check_is_refused_with_a_suggestion(when: str, message: str) -> None:
    with pytest.raises(RulesError) as caught:
        ruleset(rule("typo", "deep", when))
    assert message in str(caught.value)


def test_check_is_the_only_new_fielded_name() -> None:
    with pytest.raises((RulesError, ConditionError)) as caught:
        ruleset(rule("typo", "deep", "failed_checks.platform"))
    assert "only meta, stats and check do" in str(caught.value)


def test_a_failed_check_keeps_an_item_out_of_pass_whatever_the_rules() -> None:
    """A rule set that passes everything: the failed check still lifts the item to scan,
    with a reason naming the check, and it is no audit sample."""
    rs = ruleset(rule("all-pass", "pass", "true"), rate=1.0)
    failed = triager(rs).decide(make_item(1, meta=FAILED_RUN))
    assert failed.lane is Lane.SCAN and not failed.audit_sample
    floor = failed.reasons[-1]
    assert floor.kind is ReasonKind.CHECK and floor.lane is Lane.SCAN
    assert floor.why == "failed automated checks (platform): pass needs every check to pass"
    assert failed.lead is floor and failed.lane_before_sample is Lane.SCAN
    [result] = failed.failed_checks
    assert (result.name, result.status, result.evidence) == (
        "platform", "errored", "the run ended in an error: upstream 503"
    )  # fmt: skip
    passed = triager(rs).decide(make_item(2))
    assert passed.lane is Lane.SCAN and passed.audit_sample  # audit_rate 1: sampled
    assert not passed.failed_checks and len(passed.checks) > 1


def test_the_floor_applies_to_a_default_lane_of_pass_too() -> None:
    settings = '[settings]\ndefault_lane = "pass"\naudit_rate = 0.0\n'
    rs = rules_from_files({"settings.toml": settings, "r.toml": rule("n", "deep", "false")})
    assert triager(rs).decide(make_item(1)).lane is Lane.PASS
    lifted = triager(rs).decide(make_item(2, meta=FAILED_RUN))
    assert lifted.lane is Lane.SCAN and lifted.lead.kind is ReasonKind.CHECK


def test_a_stricter_rule_leaves_no_floor_reason() -> None:
    rs = ruleset(
        rule("all-pass", "pass", "true") + rule("err", "deep", '"platform" in failed_checks')
    )
    decision = triager(rs).decide(make_item(1, meta=FAILED_RUN))
    assert decision.lane is Lane.DEEP
    assert [r.kind for r in decision.reasons] == [ReasonKind.RULE, ReasonKind.RULE]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"example.com"', "link_domains must be a list of domains"),
        ('["example.com", "not a domain"]', "'not a domain' is not a domain name"),
        ("[1]", "is not a domain name"),
    ],
)
def test_link_domains_is_a_list_of_domains(value: str, message: str) -> None:
    with pytest.raises(RulesError) as caught:
        rules_from_files(
            {
                "settings.toml": f"[settings]\nlink_domains = {value}\n",
                "r.toml": rule("n", "deep", "false"),
            }
        )
    assert "settings.toml:2:" in str(caught.value) and message in str(caught.value)


def test_link_domains_are_kept_plain() -> None:
    settings = '[settings]\nlink_domains = ["WWW.Help.Example.com", "docs.example.org."]\n'
    rs = rules_from_files({"settings.toml": settings, "r.toml": rule("n", "deep", "false")})
    assert rs.settings.link_domains == ("help.example.com", "docs.example.org")


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Workspace:
    workspace = Workspace.open(Config(db_url, shipped_rules_dir(), "ana"))
    yield workspace
    workspace.close()


def test_a_decision_keeps_its_checks_and_explain_shows_them(ws: Workspace, tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "a.jsonl",
        [record(1, meta={"customer_facing": False, **FAILED_RUN}), record(2)],
    )
    ws.pull([str(source)])
    failed = ws.explain("rec-0001").decision
    assert failed.lane is Lane.DEEP
    assert "platform-failed" in {r.rule for r in failed.reasons}
    assert [(c.name, c.status) for c in failed.failed_checks] == [("platform", "errored")]
    assert failed.failed_checks[0].evidence == "the run ended in an error: upstream 503"
    ok = ws.explain("rec-0002").decision
    assert ok.checks and not ok.failed_checks
    assert [c.name for c in ok.checks] == [c.name for c in failed.checks]


def test_explain_prints_the_failed_checks_with_their_evidence(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = make_cli(tmp_path, sqlite_url, monkeypatch)
    source = write_jsonl(tmp_path / "a.jsonl", [record(1, meta=FAILED_RUN), record(2)])
    cli("pull", str(source))
    shown = cli("explain", "rec-0001").stdout
    assert "checks: 1 failed" in shown
    assert "✗ platform (errored)  the run ended in an error: upstream 503" in shown
    platform = next(c for c in cli.json("explain", "rec-0001")["checks"] if c["name"] == "platform")
    assert platform == {
        "name": "platform", "status": "errored", "failed": True,
        "evidence": "the run ended in an error: upstream 503",
    }  # fmt: skip
    clean = cli.json("explain", "rec-0002")["checks"]
    assert clean and not any(c["failed"] for c in clean)
