"""``triage verdict --from FILE``: the command line of the verdict import."""

from __future__ import annotations

from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    items = [record(n) for n in range(1, 5)]
    cli("pull", str(write_jsonl(tmp_path / "a.jsonl", items)), "--source-name", "alpha")
    cli("pull", str(write_jsonl(tmp_path / "b.jsonl", [record(1)])), "--source-name", "beta")
    return cli


def labels(cli: Cli, text: str, name: str = "labels.csv") -> str:
    path = cli.folder / name
    path.write_text(text, encoding="utf-8")
    return name


def test_human_summary_and_each_rejected_line_on_stderr(cli: Cli) -> None:
    name = labels(
        cli,
        "id,outcome,modes,note\n"
        "rec-0002,fail,wrong-order,\n"
        "rec-0003,ok,,\x1b[31mred\n"
        "rec-0001,ok,,\n"
        "rec-0004,nope,,\n",
    )
    result = cli("verdict", "--from", name)
    assert result.stdout.splitlines() == [
        "created failure mode wrong-order",
        "imported 2 verdicts, 0 unchanged, 2 rejected",
    ]
    assert result.stderr.splitlines() == [
        "labels.csv:4: id 'rec-0001' is in several sources (alpha, beta); name one with --source",
        "labels.csv:5: bad outcome 'nope' (expected ok, fail or escalate)",
    ]
    assert cli.json("explain", "rec-0002")["verdict"] == "fail"

    again = cli("verdict", "--from", name, "--source", "alpha")
    assert "imported 1 verdicts, 2 unchanged, 1 rejected" in again.stdout
    assert cli.json("explain", "alpha:rec-0001")["verdict"] == "ok"
    assert cli.json("audit", "verify")["ok"] is True


def test_json_report(cli: Cli) -> None:
    name = labels(
        cli,
        '{"id": "rec-0002", "outcome": "escalate", "note": "legal", "reviewer": "bo"}\nnot json\n',
        "labels.jsonl",
    )
    report = cli.json("verdict", "--from", name)
    assert {k: report[k] for k in ("imported", "unchanged", "rejected")} == {
        "imported": 1,
        "unchanged": 0,
        "rejected": [{"line": 2, "reason": "malformed JSON: Expecting value (column 1)"}],
    }
    explained = cli.json("explain", "rec-0002")
    assert explained["lane"] == "deep"
    assert explained["reasons"][0]["why"] == "escalated by bo: legal"


def test_exit_status(cli: Cli) -> None:
    nothing_good = labels(cli, "id,outcome\nrec-0009,ok\n", "bad.csv")
    result = cli("verdict", "--from", nothing_good, ok=False)
    assert result.exit_code == 1 and "bad.csv:2: no item 'rec-0009'" in result.stderr

    missing = cli("verdict", "--from", "missing.csv", ok=False)
    assert missing.exit_code == 1
    assert "error: cannot open missing.csv: no such file" in missing.stderr

    header = cli("verdict", "--from", labels(cli, "id,outcome,score\n", "h.csv"), ok=False)
    assert header.exit_code == 1
    assert "h.csv:1: unknown column(s) 'score' in the header" in header.stderr

    good = labels(cli, "id,outcome\nrec-0002,ok\n", "good.csv")
    cli("verdict", "--from", good)
    assert cli("verdict", "--from", good).stdout.startswith("imported 0 verdicts, 1 unchanged")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rec-0002", "--from", "x.csv"), "give an item ID or --from FILE, not both"),
        (("--from", "x.csv", "--ok"), "drop --ok/--fail/--escalate"),
        (("--from", "x.csv", "--mode", "m", "--note", "n"), "drop --mode, --note"),
        (("--from", "x.csv", "--expect", "none"), "drop --expect"),
        (("rec-0002", "--ok", "--source", "alpha"), "--source goes with --from FILE"),
        (("--ok",), "give an item ID, or --from FILE"),
    ],
)
def test_usage_errors(cli: Cli, args: tuple[str, ...], message: str) -> None:
    result = cli("verdict", *args, ok=False)
    assert result.exit_code == 2 and message in result.stderr
