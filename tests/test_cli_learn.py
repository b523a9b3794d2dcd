"""``triage rules backtest`` and ``triage rules suggest``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from clitools import Cli, make_cli
from test_backtest import HANDOFF_FAILS, PASS_HANDOFFS, fail_ids, handoff, open_workspace, seed
from test_suggest import clear_answers

from triage.rules import load_rules
from triage.rules.edit import add_rule, write_files


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    (tmp_path / "triage.toml").write_text('[roles]\nleads = ["lead"]\n')
    ws = open_workspace(db_url, cli.rules)
    try:
        clear_answers(ws)
        seed(
            ws,
            [handoff(n) for n in range(1, 21)],
            fail_ids(HANDOFF_FAILS | {5, 8}),
            modes={f"it-{n:04d}": ("wrong-queue",) for n in HANDOFF_FAILS | {5, 8}},
        )
    finally:
        ws.close()
    return cli


def draft_folder(cli: Cli) -> Path:
    """A copy of the rules that lets handoffs pass."""
    draft = cli.folder / "draft"
    shutil.copytree(cli.rules, draft)
    files = load_rules(draft).files
    write_files(draft, files, add_rule(files, "relax.toml", PASS_HANDOFFS, comment="try it"))
    return draft


def test_backtest_json_has_the_contract_keys(cli: Cli) -> None:
    result = cli.json("rules", "backtest", str(draft_folder(cli)))
    assert result["transitions"] == [
        {"old": "scan", "new": "scan", "count": 10},
        {"old": "scan", "new": "pass", "count": 10},
    ]
    assert result["escapes"] == ["files:it-0012", "files:it-0015", "files:it-0018"]
    assert result["minutes_before"] == 20.0 and result["minutes_after"] == 10.0
    assert result["items"] == 20 and result["newly_deep"] == []
    assert cli.json("rules", "backtest", str(cli.rules), "--days", "1")["transitions"] == [
        {"old": "scan", "new": "scan", "count": 20}
    ]


def test_backtest_prints_the_matrix_escapes_and_minutes(cli: Cli) -> None:
    out = cli("rules", "backtest", str(draft_folder(cli))).stdout
    assert "20 reviewed items over 1 day" in out
    assert "Changed lane: 10 of 20" in out
    assert "Escapes (failed, the draft passes them): 3: files:it-0012" in out
    assert "Newly deep: none" in out
    assert "Reviewer minutes per day: 20 → 10" in out


def test_backtest_of_a_broken_draft_lists_its_problems(cli: Cli) -> None:
    draft = cli.folder / "broken"
    shutil.copytree(cli.rules, draft)
    money = draft / "money.toml"
    money.write_text(money.read_text().replace('lane = "scan"', 'lane = "critical"'))
    result = cli("rules", "backtest", str(draft), ok=False)
    assert result.exit_code == 1
    assert f"{draft / 'money.toml'}:39: unknown lane 'critical'" in result.stderr
    assert "error: 1 problem in the draft rules" in result.stderr


def test_suggest_lists_evidence_and_backtest(cli: Cli) -> None:
    found = cli.json("rules", "suggest")
    assert [s["id"] for s in found] == ["tighten:handoff:scan"]
    tighten = found[0]
    assert tighten["evidence"]["reviewed"] == 20 and tighten["evidence"]["failures"] == 6
    assert tighten["backtest"]["transitions"] == [{"old": "scan", "new": "deep", "count": 20}]
    assert tighten["changes"][0]["add_rule"]["lane"] == "deep"

    out = cli("rules", "suggest").stdout
    assert "evidence: handoff in scan: 6 of 20 failed, 95% CI 15–52% → send to deep" in out
    assert "change: add rule handoff-to-deep (deep) to learned.toml" in out
    assert (
        "backtest: 20 of 20 reviewed items change lane (scan→deep 20); escapes 0 (0 new); "
        "minutes/day 20 → 100"
    ) in out


def test_only_a_lead_applies_and_the_result_is_checked_and_audited(cli: Cli) -> None:
    refused = cli("rules", "suggest", "--apply", "tighten:handoff:scan", ok=False)
    assert refused.exit_code == 1 and "ana is not a lead" in refused.stderr
    assert not (cli.rules / "learned.toml").exists()

    done = cli.json("rules", "suggest", "--apply", "tighten:handoff:scan", "--reviewer", "lead")
    assert done["files"] == ["learned.toml"] and done["lanes"]["deep"] == 20
    assert done["new_version"] != done["old_version"]
    check = cli.json("rules", "check")
    assert check["ok"] and check["version"] == done["new_version"]
    assert cli.json("audit", "verify")["ok"]
    assert cli.json("rules", "suggest") == []
    assert cli.json("explain", "it-0001")["lane"] == "deep"


def test_dismiss_needs_a_reason_and_hides_the_suggestion(cli: Cli) -> None:
    missing = cli("rules", "suggest", "--dismiss", "tighten:handoff:scan", ok=False)
    assert missing.exit_code == 2 and "--dismiss needs --reason" in missing.stderr
    both = cli("rules", "suggest", "--apply", "a", "--dismiss", "b", "--reason", "x", ok=False)
    assert both.exit_code == 2

    out = cli(
        "rules", "suggest", "--dismiss", "tighten:handoff:scan", "--reason", "known issue",
        "--reviewer", "lead",
    ).stdout  # fmt: skip
    assert "dismissed tighten:handoff:scan (lead): known issue" in out
    assert [s["id"] for s in cli.json("rules", "suggest")] == ["mode:wrong-queue:handoff"]
    unknown = cli(
        "rules", "suggest", "--apply", "relax:nothing:scan", "--reviewer", "lead", ok=False
    )
    assert unknown.exit_code == 1 and "no suggestion 'relax:nothing:scan'" in unknown.stderr
