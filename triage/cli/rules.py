"""``triage rules …``: validate the documented rule files."""

from __future__ import annotations

from pathlib import Path

import click

from triage.cli.common import console, emit_json, load_config
from triage.cli.learn import backtest_command, suggest_command
from triage.cli.output import say


@click.group()
def rules() -> None:
    """Work with the rule files under rules/."""


@rules.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Write the problems as JSON.")
@click.pass_context
def check(ctx: click.Context, directory: Path | None, as_json: bool) -> None:
    """Validate the rule files in DIRECTORY (default: the configured rules folder).

    Problems are printed as file:line: message. Exit status 1 when there are any:
    such a folder would be refused as a whole, and the last good rules stay in force.
    """
    from triage.rules import RulesError, load_rules

    folder = directory or load_config(ctx).rules_dir
    if folder is None:
        raise click.UsageError("no rules folder here; name one: triage rules check DIR")
    try:
        ruleset = load_rules(folder)
    except RulesError as exc:
        problems = exc.problems
        if as_json:
            emit_json(
                {
                    "ok": False,
                    "problems": [
                        {"file": str(folder / p.file), "line": p.line, "message": p.message}
                        for p in problems
                    ],
                }
            )
        else:
            for p in problems:
                say(f"{folder / p.file}:{p.line}: {p.message}", err=True)
            say(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}", err=True)
        ctx.exit(1)
    files = len(ruleset.files)
    if as_json:
        emit_json(
            {
                "ok": True,
                "rules": len(ruleset.rules),
                "files": files,
                "version": ruleset.version,
                "commit": ruleset.commit,
            }
        )
        return
    commit = f" (git {ruleset.commit})" if ruleset.commit else ""
    console().print(
        f"{folder}: {len(ruleset.rules)} rules in {files} files, ok; version {ruleset.version}"
        f"{commit}",
        markup=False,
    )


def register(group: click.Group) -> None:
    group.add_command(rules)


rules.add_command(backtest_command)
rules.add_command(suggest_command)
