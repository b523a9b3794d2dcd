"""Every command, on a workspace where every text is hostile, prints it inertly:
no escape sequence, C1 control, BEL, NUL or bidi override reaches stdout or
stderr, markup and emoji codes print as written, and ``--json`` stays ASCII."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import click
import pytest
from click.testing import Result
from clitools import Cli, make_cli
from hostile_workspace import (
    ITEMS,
    MARKUP,
    MODE,
    add_rules,
    draft_rules,
    hostile,
    item_id,
    name,
    shows_nothing_raw,
    write_items,
)

from triage.cli import main

CLI_DIR = Path(__file__).parent.parent / "triage" / "cli"


class Tour:
    """Runs commands and checks each one's output; remembers which were run."""

    def __init__(self, cli: Cli) -> None:
        self.cli = cli
        self.ran: set[str] = set()

    def __call__(self, *args: str, code: int | None = 0) -> Result:
        result = self.cli(*args, ok=False)
        self.ran.add(_command_path(args))
        assert code is None or result.exit_code == code, (args, result.stdout, result.stderr)
        for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            assert not shows_nothing_raw(text), (args, stream, shows_nothing_raw(text), text)
        if "--json" in args and result.stdout:
            assert result.stdout.isascii(), args
            json.loads(result.stdout)
        return result


def flat(text: str) -> str:
    """``text`` with its line breaks and runs of spaces as single spaces (rich wraps
    long lines at the terminal width)."""
    return " ".join(text.split())


def _command_path(args: tuple[str, ...]) -> str:
    group: click.Command = main
    path: list[str] = []
    for arg in args:
        if not isinstance(group, click.Group) or arg not in group.commands:
            break
        group = group.commands[arg]
        path.append(arg)
    return " ".join(path)


def _every_command(group: click.Group, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for command_name, command in group.commands.items():
        path = f"{prefix}{command_name}"
        if isinstance(command, click.Group):
            found |= _every_command(command, path + " ")
        else:
            found.add(path)
    return found


@pytest.fixture
def tour(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Tour:
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(variable, raising=False)
    cli = make_cli(tmp_path, db_url, monkeypatch)
    add_rules(cli.rules)
    return Tour(cli)


def test_every_command_prints_hostile_text_inertly(tour: Tour, tmp_path: Path) -> None:
    # Names given as arguments carry no NUL (argv cannot hold one); notes and data do.
    pulled = tour("pull", str(write_items(tmp_path / "items.jsonl")), "--source-name", "outputs")
    assert "12 new" in pulled.stdout and "rejected" in pulled.stderr
    assert MARKUP in pulled.stderr  # the rejection quotes the bad value literally
    tour("pull", str(tmp_path / hostile("missing")), code=1)  # a NUL: no such file
    tour("pull", str(tmp_path / name("missing")), code=1)
    tour("pull", str(tmp_path / "items.jsonl"), "--source-name", "outputs", "--json")

    first = item_id(1)
    queue = tour("queue")
    assert f"h01:smile: {MARKUP}" in queue.stdout  # no emoji, no markup: as written
    assert [row["id"] for row in tour.cli.json("queue")].count(first) == 1  # JSON keeps data
    tour("queue", "--json")

    explained = tour("explain", first)
    assert f"h01:smile: {MARKUP}" in explained.stdout
    assert "why:smile: [bold red]x[/] [link=file:///etc/passwd]" in flat(explained.stdout)
    assert "␛]0;pwned␇␛]52;c;cm0gLXJmIH4=␇␛[2J" in explained.stdout  # visible, not acted on
    tour("explain", first, "--json")
    missing = tour("explain", name("nope"), code=1)
    assert missing.stderr.startswith("error: no item") and MARKUP in missing.stderr

    created = tour("verdict", first, "--fail", "--mode", MODE, "--note", hostile("note"))
    assert "created failure mode m:smile: [bold red]x[/]" in created.stdout
    assert "[link=file:///etc/passwd]" in created.stdout and "␛]0;pwned␇" in created.stdout
    for n in range(2, ITEMS + 1):
        reviewer = name("reviewer")
        tour("verdict", item_id(n), "--fail", "--mode", MODE, "--reviewer", reviewer, "--json")
    tour("verdict", item_id(2), "--escalate", "--note", name("escalated"))

    tour("retriage")
    tour("retriage", "--json")

    tour("rules", "check")
    broken = draft_rules(tour.cli.rules, tmp_path / "broken", broken=True)
    refused = tour("rules", "check", str(broken), code=1)
    assert "unknown lane 'lane:smile: [bold red]x[/]" in refused.stderr
    tour("rules", "check", str(broken), "--json", code=1)
    tour("rules", "backtest", str(broken), code=1)
    draft = draft_rules(tour.cli.rules, tmp_path / "draft")
    backtest = tour("rules", "backtest", str(draft))
    assert "Newly deep: 10: " in backtest.stdout and f"h03:smile: {MARKUP}" in backtest.stdout
    tour("rules", "backtest", str(draft), "--json")

    suggestions = tour.cli.json("rules", "suggest")
    assert suggestions, "the hostile task type fails every time: a suggestion is due"
    shown = tour("rules", "suggest")
    assert "task:smile:" in shown.stdout
    applied = tour("rules", "suggest", "--apply", suggestions[0]["id"])
    assert f"accepted tighten:task:smile: {MARKUP}" in applied.stdout
    assert tour("rules", "check").stdout.endswith("\n")  # the edited file still loads
    assert "task:smile:" in flat(tour("explain", first).stdout)  # under the new rule
    tour("rules", "suggest", "--dismiss", name("nope"), "--reason", name("reason"), code=1)
    tour("rules", "suggest", "--apply", name("nope"), code=1)

    stats = tour("stats")
    assert "task:smile:" in stats.stdout
    tour("stats", "--by", "agent,model", "--period", "day")
    tour("stats", "--json")
    tour("stats", "--quality")
    tour("stats", "--quality", "--json")
    tour("learn", code=None)  # fitted, or too few verdicts: either way said inertly
    tour("learn", "--json", code=None)

    tour("failure-model", "add", "plain-mode", "--title", name("title"),
         "--task-type", name("task"), "--description", name("what"),
         "--look-for", name("look"))  # fmt: skip
    tour("failure-model", "add", "plain-mode", "--title", "again", code=1)
    tour("failure-model", "edit", MODE, "--title", name("retitled"))
    tour("failure-model", "edit", name("nope"), "--title", "x", code=1)
    listed = tour("failure-model", "list")
    assert "m:smile:" in listed.stdout
    tour("failure-model", "list", "--json")
    exported = tour("failure-model", "export")
    assert f"### title:smile: {MARKUP}" in exported.stdout  # the team's title, as written
    tour("failure-model", "export", "-o", str(tmp_path / "model.md"))
    assert not shows_nothing_raw((tmp_path / "model.md").read_text(encoding="utf-8"))
    tour("failure-model", "retire", MODE, "--reason", name("why"))
    tour("failure-model", "reactivate", MODE)
    tour("failure-model", "retire", name("nope"), code=1)

    tour("audit", "verify")
    tour("audit", "verify", "--json")
    audit = main.commands["audit"]
    if isinstance(audit, click.Group) and "key" in audit.commands:
        tour("audit", "key")
    tour("push")
    tour("push", "--json")
    overview = tour()
    assert "items" in overview.stdout
    tour("demo", "--dir", str(tmp_path / "demo"), "--days", "1", "--per-day", "4")

    assert tour.ran >= _every_command(main), _every_command(main) - tour.ran


def test_console_makes_anything_printed_inert(capsys: pytest.CaptureFixture[str]) -> None:
    """Even a caller that forgets one_line cannot write a control character."""
    from rich.table import Table
    from rich.text import Text

    from triage.cli.common import console

    out = console()
    table = Table()
    table.add_column(hostile("header"))
    table.add_row(hostile("cell"), Text(hostile("text"), style="bold"))
    out.print(hostile("line"))
    out.print(table)
    printed = capsys.readouterr().out
    assert not shows_nothing_raw(printed)
    assert f"line:smile: {MARKUP}" in printed and "␛]0;pwned␇" in printed


def test_only_the_output_module_writes_to_the_terminal() -> None:
    """No command module echoes, prints or parses markup itself: the inert path is
    the only way out."""
    offenders = []
    for path in sorted(CLI_DIR.glob("*.py")):
        if path.name == "output.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if called in {"click.echo", "click.secho", "print", "Console", "Text.from_markup"}:
                    offenders.append(f"{path.name}:{node.lineno}: {called}")
                for keyword in node.keywords:
                    if keyword.arg in {"markup", "emoji"} and ast.unparse(keyword.value) != "False":
                        offenders.append(f"{path.name}:{node.lineno}: {keyword.arg}=")
            if isinstance(node, ast.Attribute) and ast.unparse(node) in {
                "sys.stdout.write",
                "sys.stderr.write",
            }:
                offenders.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []
