"""``triage pull``/``queue``/``explain``/``retriage`` end to end, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return make_cli(tmp_path, db_url, monkeypatch)


def day_file(path: Path) -> Path:
    return write_jsonl(
        path,
        [
            record(1),
            '{"id": "broken", "created_at": ',
            record(2, task_type="refund", agent="billing-agent",
                   meta={"amount": 900, "policy_limit": 200, "customer_facing": True}),
            {"id": "no-date", "agent": "a", "task_type": "t", "input": "", "output": "",
             "model": "m"},
            record(3, created_at="yesterday"),
            record(4, extra_field="kept"),
            '[1, 2, 3]',
            record(5),
        ],
    )  # fmt: skip


def test_malformed_lines_are_reported_and_the_rest_is_kept(cli: Cli) -> None:
    path = day_file(cli.folder / "day.jsonl")
    with path.open("a") as fh:
        fh.write('{"id": "cut-off", "created_at": "2026-11-16T')  # truncated last line
    result = cli("pull", str(path), "--json")
    report = __import__("json").loads(result.stdout)
    assert (report["new"], report["updated"], report["unchanged"]) == (4, 0, 0)
    rejected = {(r["line"], r["reason"].split(":")[0]) for r in report["rejected"]}
    assert {line for line, _ in rejected} == {2, 4, 5, 7, 9}
    assert all(r["source"].endswith("day.jsonl") for r in report["rejected"])
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert "invalid JSON" in reasons[2]
    assert "created_at" in reasons[4] and "created_at" in reasons[5]
    assert "truncated" in reasons[9]
    assert sum(report["lanes"].values()) == 4

    human = cli("pull", str(path))
    assert "0 new, 0 updated, 4 unchanged, 5 rejected" in human.stdout
    assert f"{path}:2:" in human.stderr


def test_pulling_twice_changes_nothing_and_changed_content_is_an_update(cli: Cli) -> None:
    path = write_jsonl(cli.folder / "a.jsonl", [record(n) for n in range(1, 4)])
    assert cli.json("pull", str(path))["new"] == 3
    again = cli.json("pull", str(path))
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert sum(again["lanes"].values()) == 0
    queue_before = cli.json("queue")

    write_jsonl(path, [record(1), record(2, output="Refund of 500 EUR issued."), record(3)])
    changed = cli.json("pull", str(path))
    assert (changed["new"], changed["updated"], changed["unchanged"]) == (0, 1, 2)
    assert len(cli.json("queue")) == len(queue_before) == 3
    assert cli.json("explain", "rec-0002")["decisions"] == 2


def test_queue_and_explain_contracts(cli: Cli) -> None:
    cli("pull", str(day_file(cli.folder / "day.jsonl")))
    queue = cli.json("queue")
    assert [e["id"] for e in queue][0] == "rec-0002"  # deep comes first
    assert {"id", "lane", "task_type", "reason"} <= set(queue[0])
    assert {e["lane"] for e in cli.json("queue", "--lane", "deep")} == {"deep"}
    assert cli.json("queue", "--day", "2026-11-16") and not cli.json("queue", "--day", "2026-11-17")

    ex = cli.json("explain", "rec-0002")
    assert ex["id"] == "rec-0002" and ex["lane"] == "deep"
    rules = {r["rule"]: r for r in ex["reasons"]}
    assert "refund-over-policy-limit" in rules
    assert rules["refund-over-policy-limit"]["matched"]["meta.amount"] == 900
    assert rules["refund-over-policy-limit"]["why"]
    assert set(ex["novelty"]) >= {"score", "nearest"}
    assert ex["audit_sample"] is False
    assert ex["rules_version"].startswith("r-")

    human = cli("explain", "rec-0002").stdout
    assert "lane: DEEP" in human and "refund-over-policy-limit" in human
    assert "meta.amount = 900" in human

    meta_item = cli.json("explain", "rec-0004")
    assert meta_item["lane"] in {"deep", "scan", "pass"}

    missing = cli("explain", "nope", ok=False)
    assert missing.exit_code == 1 and "no item 'nope'" in missing.stderr


def test_retriage_adds_decisions_and_keeps_history(cli: Cli) -> None:
    cli("pull", str(day_file(cli.folder / "day.jsonl")))
    (cli.rules / "relax.toml").write_text(
        (cli.rules / "relax.toml").read_text()
        + '\n[[rule]]\nid = "everything-deep"\nlane = "deep"\nwhy = "Audit week."\n'
        'owner = "kim"\nwhen = "true"\n'
    )
    totals = cli.json("retriage")
    assert totals["lanes"] == {"deep": 4, "scan": 0, "pass": 0}
    ex = cli.json("explain", "rec-0001")
    assert ex["decisions"] == 2 and ex["lane"] == "deep"
    assert any(r["rule"] == "everything-deep" for r in ex["reasons"])


def test_a_broken_rules_folder_is_refused_and_the_last_good_rules_stay(cli: Cli) -> None:
    path = write_jsonl(cli.folder / "a.jsonl", [record(1)])
    cli("pull", str(path))
    good_version = cli.json("explain", "rec-0001")["rules_version"]

    money = cli.rules / "money.toml"
    lines = money.read_text().splitlines()
    lane_line = next(i for i, line in enumerate(lines) if line.startswith("lane = "))
    lines[lane_line] = 'lane = "dep"'
    money.write_text("\n".join(lines) + "\n")

    check = cli("rules", "check", str(cli.rules), ok=False)
    assert check.exit_code == 1
    assert f"{cli.rules / 'money.toml'}:{lane_line + 1}: " in check.stderr
    assert "unknown lane" in check.stderr

    pulled = cli("pull", str(write_jsonl(cli.folder / "b.jsonl", [record(2)])))
    assert "money.toml" in pulled.stderr and good_version in pulled.stderr
    assert cli.json("explain", "rec-0002")["rules_version"] == good_version


def test_broken_rules_with_no_good_set_stored_still_store_every_item(cli: Cli) -> None:
    money = cli.rules / "money.toml"
    lines = money.read_text().splitlines()
    lane_line = next(i for i, line in enumerate(lines) if line.startswith("lane = "))
    lines[lane_line] = 'lane = "dep"'
    money.write_text("\n".join(lines) + "\n")

    path = write_jsonl(cli.folder / "a.jsonl", [record(1), record(2)])
    pulled = cli("pull", str(path), "--json", ok=False)
    assert pulled.exit_code != 0
    report = json.loads(pulled.stdout)
    assert report["new"] == 2
    assert any(f"money.toml:{lane_line + 1}: " in error for error in report["errors"])
    assert any("stored without a lane" in error for error in report["errors"])
    assert report["untriaged"] == 2

    # Once the rules are mended, a retriage gives every stored item its lane.
    lines[lane_line] = 'lane = "deep"'
    money.write_text("\n".join(lines) + "\n")
    cli("retriage")
    assert {entry["id"] for entry in cli.json("queue")} >= {"rec-0001", "rec-0002"}


def test_hostile_text_never_reaches_the_terminal(cli: Cli) -> None:
    hostile = "pwned\x1b]0;title\x07\x1b[2J\u202e[bold red]x[/] [@click=app.quit]\x00"
    path = write_jsonl(
        cli.folder / "h.jsonl",
        [record(1, id="evil\x1b[31m", input=hostile, output=hostile, agent="bot\x1b[5m")],
    )
    cli("pull", str(path))
    for out in (cli("queue").stdout, cli("explain", "evil\x1b[31m").stdout, cli().stdout):
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "evil␛[31m" in cli("queue").stdout


def test_a_ten_megabyte_output_is_stored_whole_and_triaged(cli: Cli) -> None:
    huge = ("The log continues. " * 55_000)[:10_000_000] + "we guarantee it"
    path = write_jsonl(
        cli.folder / "big.jsonl",
        [record(1, output=huge, input="x" * 3_000_000, meta={"customer_facing": True}), record(2)],
    )
    report = cli.json("pull", str(path))
    assert report["new"] == 2 and not report["rejected"]
    ex = cli.json("explain", "rec-0001")
    assert ex["lane"] == "deep"  # the promise at the very end was found
    promise = next(r for r in ex["reasons"] if r["rule"] == "customer-promise")
    assert all(len(str(v)) < 200 for v in promise["matched"].values())

    from triage.config import Config
    from triage.service.workspace import Workspace

    ws = Workspace.open(Config(cli.env["TRIAGE_DB"], cli.rules, "ana"))
    try:
        _, item = ws.find("rec-0001")
    finally:
        ws.close()
    assert item.output == huge and len(item.input) == 3_000_000


def test_pull_reports_progress_per_batch(cli: Cli) -> None:
    from triage.config import Config
    from triage.service.workspace import Workspace

    path = write_jsonl(cli.folder / "p.jsonl", [record(n) for n in range(1, 12_001)])
    seen: list[tuple[str, int, int | None]] = []
    ws = Workspace.open(Config(cli.env["TRIAGE_DB"], cli.rules, "ana"))
    try:
        report = ws.pull([str(path)], progress=lambda *args: seen.append(args))
    finally:
        ws.close()
    assert report.new == 12_000
    size = path.stat().st_size
    assert [label for label, _, _ in seen] == [str(path)] * len(seen) and len(seen) >= 3
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert seen[-1][1:] == (size, size)


def _without_root_override() -> None:
    """Run as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so file modes bind
    root as they bind everyone (a no-op for other users, whom they bind already)."""
    import ctypes
    import os

    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def test_unreadable_files_and_folders_are_skipped_and_named_and_the_rest_is_stored(
    cli: Cli,
) -> None:
    import json
    import os
    import shutil
    import subprocess
    import sys

    sources = Path(__file__).parent / "fixtures" / "sources"
    folder = cli.folder / "in"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [record(1), record(2)])
    locked_file = write_jsonl(folder / "b.jsonl", [record(3)])
    locked_folder = folder / "locked"
    locked_folder.mkdir()
    write_jsonl(locked_folder / "c.jsonl", [record(4)])
    trace = folder / "trace.json"
    shutil.copy(sources / "otlp" / "chat_aliases.json", trace)
    sessions = folder / "sessions"
    shutil.copytree(sources / "openclaw" / "agents" / "main" / "sessions", sessions)
    session = sessions / "b7300bff-a214-4c11-97ae-eab26883c67a.jsonl"
    write_jsonl(folder / "z.jsonl", [record(5)])
    for path in (locked_file, locked_folder, trace, session):
        path.chmod(0)

    def pull(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "triage", "pull", str(folder), *args],
            capture_output=True,
            text=True,
            env={**os.environ, **cli.env, "COLUMNS": "1000"},
            preexec_fn=_without_root_override,
            timeout=300,  # a safety net only
        )

    done = pull("--json")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout, done.stderr
    report = json.loads(done.stdout)
    assert sorted(report["skipped"]) == sorted(
        [
            f"cannot read {locked_file}: permission denied",
            f"cannot open folder {locked_folder}: permission denied",
            f"cannot read {trace}: permission denied",
            f"cannot read {session}: permission denied",
        ]
    )
    assert report["errors"] == [] and report["rejected"] == []
    # a.jsonl, z.jsonl and the other session's two turns: everything readable arrived.
    assert report["new"] == 5
    assert {e["id"] for e in cli.json("queue")} >= {"rec-0001", "rec-0002", "rec-0005"}

    text = pull()
    assert text.returncode == 1
    assert "0 new, 0 updated, 5 unchanged, 0 rejected" in text.stdout
    shown = text.stderr.splitlines()
    assert f"skipped: cannot open folder {locked_folder}: permission denied" in shown
    assert f"skipped: cannot read {session}: permission denied" in shown
    assert "errno" not in (text.stdout + text.stderr).lower()


def test_nan_and_infinity_are_rejected_by_line_never_stored_as_null(cli: Cli) -> None:
    path = cli.folder / "n.jsonl"
    path.write_text(
        "\n".join(
            [
                __import__("json").dumps(record(1, meta={"amount": float("nan")})),
                __import__("json").dumps(record(2, meta={"amount": 12.5})),
                __import__("json").dumps(record(3, score=float("inf"))),
            ]
        )
        + "\n"
    )
    report = cli.json("pull", str(path))
    assert report["new"] == 1
    assert [(r["line"], r["reason"]) for r in report["rejected"]] == [
        (1, "'meta.amount' is NaN, which is not a number JSON can carry"),
        (3, "'score' is Infinity, which is not a number JSON can carry"),
    ]
    assert [e["id"] for e in cli.json("queue")] == ["rec-0002"]
