"""``triage demo``: build a demo workspace and show its queue."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from triage.cli.common import console


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build the workspace here (default: a new temporary folder). "
    "If it already holds a demo, that demo is shown again.",
)
@click.option("--days", default=7, show_default=True, help="Days of outputs.")
@click.option("--per-day", default=50, show_default=True, help="Outputs per day.")
@click.option("--seed", default=7, show_default=True, help="Seed for the generated week.")
@click.pass_context
def demo(ctx: click.Context, directory: Path | None, days: int, per_day: int, seed: int) -> None:
    """Build a demo workspace (a realistic week from several agents, the shipped
    rules, a failure model and earlier verdicts) in its own database, then open the
    reviewer app on it (or print today's queue when not on a terminal). Your own
    database is never touched."""
    from triage.cli.common import open_app_or_overview
    from triage.cli.inspect import show_overview
    from triage.demo.workspace import build_workspace

    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="triage-demo-"))
    config = directory / "triage.toml"
    out = console()
    if config.is_file():
        out.print(f"Using the demo workspace in {directory}", markup=False)
    else:
        with out.status("Building a demo week…"):
            summary = build_workspace(directory, seed=seed, days=days, per_day=per_day)
        lanes = summary.today_report.lanes
        out.print(
            f"Demo workspace: {directory}\n"
            f"{summary.items} outputs over {days} days, {summary.verdicts} earlier verdicts; "
            f"today ({summary.today}): "
            + ", ".join(f"{n} {lane.value}" for lane, n in lanes.items()),
            markup=False,
        )
    ctx.find_root().obj = {"config_path": str(config), "isolated": True}
    if sys.stdin.isatty() and sys.stdout.isatty():
        open_app_or_overview(ctx)
    else:
        show_overview(ctx)
    out.print(f"The demo lives in {directory}: cd there and run triage to open it.", markup=False)


def register(group: click.Group) -> None:
    group.add_command(demo)
