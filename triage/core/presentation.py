"""What the command line and the reviewer app share about showing things: lane and
verdict styles (rich style names), and the days a reviewer can name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from triage.errors import InvalidInput

LANE_STYLE = {"deep": "bold red", "scan": "bold yellow", "pass": "bold green"}
"""A lane's colour wherever it is printed."""


def parse_day(value: str | None) -> date | None:
    """``YYYY-MM-DD``, ``today`` or ``yesterday`` (UTC); ``None`` for no day.
    Raises :class:`~triage.errors.InvalidInput` with a message fit for the user otherwise."""
    if not value:
        return None
    today = datetime.now(UTC).date()
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    if value in named:
        return named[value]
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a day (YYYY-MM-DD, today, yesterday)") from None
