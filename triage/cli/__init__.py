"""The ``triage`` command line: a thin layer over :class:`triage.service.workspace.Workspace`.

Heavy imports (SQLModel, rapidfuzz, httpx) happen inside the commands that need
them, so ``triage --help`` stays instant. Listing commands take ``--json``;
errors go to stderr with a non-zero exit code.
"""

from __future__ import annotations

import click

from triage import __version__
from triage.cli.common import CliGroup


@click.group(cls=CliGroup, invoke_without_command=True)
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    envvar="TRIAGE_CONFIG",
    help="triage.toml to use (default: ./triage.toml, then the user config directory).",
)
@click.version_option(__version__, prog_name="triage")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Attention triage for AI-agent outputs.

    Sorts each output into deep (read closely), scan (quick look) or pass
    (automated checks only) by the documented rules in rules/, and explains why.
    With no command, opens the reviewer app (on a terminal; otherwise it prints
    today's queue).
    """
    ctx.obj = {"config_path": config_path}
    if ctx.invoked_subcommand is None:
        from triage.cli.common import open_app_or_overview

        open_app_or_overview(ctx)


def _register() -> None:
    from triage.cli import (
        audit,
        demo,
        failure_model,
        inspect,
        learn_risk,
        pull,
        review,
        rules,
        stats,
    )

    for module in (pull, inspect, review, rules, demo, audit, stats, failure_model, learn_risk):
        module.register(main)


_register()
