"""``triage pull`` and ``triage retriage``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from triage.cli.common import console, emit_json, stderr_is_terminal, workspace


@contextmanager
def progress_reporter(enabled: bool, *, delay: float = 0.5) -> Iterator[Any]:
    """A progress callback that shows a bar on stderr only once work has taken
    longer than ``delay`` seconds (a quick pull prints nothing extra)."""
    started = time.monotonic()
    state: dict[str, Any] = {"bar": None, "tasks": {}}

    def report(label: str, done: int, total: int | None) -> None:
        if not enabled:
            return
        if state["bar"] is None:
            if time.monotonic() - started < delay:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            bar = Progress(
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                console=console(err=True),
                transient=True,
            )
            bar.start()
            state["bar"] = bar
        bar = state["bar"]
        tasks = state["tasks"]
        if label not in tasks:
            tasks[label] = bar.add_task(_short(label), total=total)
        bar.update(tasks[label], completed=done, total=total)

    try:
        yield report
    finally:
        if state["bar"] is not None:
            state["bar"].stop()


def _short(label: str, width: int = 40) -> str:
    return label if len(label) <= width else "…" + label[-(width - 1) :]


class FormatChoice(click.Choice[str]):
    """The file formats of the platforms, asked for only when a ``--format`` is given
    or the help is shown (so starting the command line loads no platform)."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from triage.service.platforms import file_formats

        return file_formats()

    @choices.setter
    def choices(self, value: object) -> None:
        pass  # always the platforms' formats


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Write the report as JSON.")
@click.option(
    "--source-name",
    metavar="NAME",
    help="Store items under this source name (default: 'files' for files, the host for URLs).",
)
@click.option(
    "--since",
    metavar="WHEN",
    help="Start from this date or time (ISO 8601) instead of where the last pull stopped.",
)
@click.option(
    "--format",
    "fmt",
    type=FormatChoice(),
    help="Read files as this format instead of detecting it.",
)
@click.option(
    "--no-triage",
    is_flag=True,
    help="Store only (for large backfills); the next pull or `triage retriage` triages them.",
)
@click.pass_context
def pull(
    ctx: click.Context,
    sources: tuple[str, ...],
    as_json: bool,
    source_name: str | None,
    since: str | None,
    fmt: str | None,
    no_triage: bool,
) -> None:
    """Ingest agent outputs from SOURCES and triage them as they land.

    A SOURCE is the name of a source in triage.toml, an http(s) URL of a JSON
    endpoint, or a file or folder: native .jsonl(.gz), OpenClaw session
    transcripts or trajectory exports, OTLP/JSON traces, promptfoo results.json
    (detected; --format forces one). With no SOURCE, every configured source is
    pulled, each resuming where its last pull stopped. Malformed records are
    reported with their location and skipped; so are files of a folder that
    cannot be read (the rest is read, and the exit status is 1). Items stored
    earlier without a lane (an interrupted pull, --no-triage) are triaged too.
    Pulling the same data twice adds nothing.
    """
    start = _parse_since(since)
    with (
        workspace(ctx, write=True) as ws,
        progress_reporter(not as_json and stderr_is_terminal()) as report,
    ):
        result = ws.pull(
            sources,
            source_name=source_name,
            triage=not no_triage,
            progress=report,
            since=start,
            fmt=fmt,
        )
    if as_json:
        emit_json(result.as_json())
    else:
        _print_report(result, triaged=not no_triage)
    if result.errors or result.skipped:
        ctx.exit(1)


def _parse_since(value: str | None) -> Any:
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _print_report(result: Any, *, triaged: bool) -> None:
    from rich.text import Text

    from triage.core.inert import one_line

    out = console()
    out.print(
        f"{result.new} new, {result.updated} updated, {result.unchanged} unchanged, "
        f"{len(result.rejected)} rejected"
    )
    if triaged and (result.new or result.updated or result.backlog_triaged):
        lanes = result.lanes
        out.print(
            f"triaged: {lanes[_lane('deep')]} deep, {lanes[_lane('scan')]} scan, "
            f"{lanes[_lane('pass')]} pass"
        )
    if result.refitted:
        out.print(f"risk model refitted on {result.refitted_on:,} verdicts: {result.refitted}")
    if result.backlog_triaged:
        out.print(f"triaged {result.backlog_triaged:,} items stored earlier without a lane")
    if result.untriaged:
        out.print(
            f"{result.untriaged:,} stored items have no lane yet and are not in the queue: "
            "run `triage retriage` (or pull again without --no-triage)"
        )
    err = console(err=True)
    for rejection in result.rejected:
        err.print(Text(one_line(f"rejected {rejection}", 200)))
    for message in result.skipped:
        err.print(Text(one_line(f"skipped: {message}", 1000)))
    for message in result.errors:
        err.print(Text(one_line(f"error: {message}", 1000)))


def _lane(name: str) -> Any:
    from triage.core.models import Lane

    return Lane(name)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Write the lane totals as JSON.")
@click.pass_context
def retriage(ctx: click.Context, as_json: bool) -> None:
    """Re-apply the rules in force to every stored item.

    Each item gets a new decision; earlier decisions are kept as history.
    """
    with (
        workspace(ctx, write=True) as ws,
        progress_reporter(not as_json and stderr_is_terminal()) as report,
    ):
        untriaged = ws.count_untriaged()
        lanes = ws.retriage(progress=report)
        version = ws.rules().ruleset.version
    totals = {lane.value: n for lane, n in lanes.items()}
    if as_json:
        emit_json({"lanes": totals, "rules_version": version, "untriaged_before": untriaged})
    else:
        console().print(
            f"re-triaged {sum(totals.values())} items under {version}: "
            f"{totals['deep']} deep, {totals['scan']} scan, {totals['pass']} pass"
        )
        if untriaged:
            console().print(f"{untriaged:,} of them had no lane before")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Write the report as JSON.")
@click.option(
    "--due-only",
    is_flag=True,
    help="Send only entries whose retry time has come (for cron); by default every "
    "queued verdict is tried now.",
)
@click.pass_context
def push(ctx: click.Context, as_json: bool, due_only: bool) -> None:
    """Send queued verdicts back to Langfuse or LangSmith (sources with
    write_back = true) and report what is still pending and why."""
    with workspace(ctx, write=True, announce_rules=False) as ws:
        result = ws.push(due_only=due_only)
    if as_json:
        emit_json(result.as_json())
    else:
        console().print(result.summary(), markup=False)
    if result.failed:
        ctx.exit(1)


def register(group: click.Group) -> None:
    group.add_command(pull)
    group.add_command(retriage)
    group.add_command(push)
