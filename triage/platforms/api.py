"""What the platforms read through an HTTP API share (Langfuse, LangSmith): the host's
base URL, resume positions that carry the read's start time, ISO 8601 times as the APIs
take them, and a client made for one read when the caller gives none.

A resume position is a page marker (a cursor, or a page number), followed by ``@`` and
the start time of the read it came from when that read had one: a read given a position
starts exactly after that page and uses the start time inside it (the caller's ``since``
is then ignored), so nothing is read twice or skipped even when the caller's idea of
"since" moved on meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx

from triage.errors import SourceError
from triage.platforms import Batch
from triage.platforms.pages import display_url
from triage.platforms.values import from_iso

__all__ = ["ACCEPT", "api_base", "iso_z", "resume_point", "resume_position", "with_client"]

ACCEPT = {"Accept": "application/json"}
"""The header every API request carries."""


def api_base(url: str | None, default: str) -> httpx.URL:
    """The API host as a URL ending in ``/`` (paths are joined to it); a URL that already
    ends in ``/api``, ``/api/v1`` or ``/api/public`` is taken back to its root. ``url``
    ``None`` or empty means ``default`` (the platform's cloud host). Raises
    :class:`~triage.errors.SourceError` for a URL that is not http(s)."""
    text = (url or default).strip()
    try:
        base = httpx.URL(text)
    except httpx.InvalidURL as error:
        raise SourceError(f"not a valid URL: {text!r} ({error})") from error
    if base.scheme not in ("http", "https") or not base.host:
        raise SourceError(f"not an http(s) URL: {display_url(base)}")
    path = base.path.rstrip("/")
    for suffix in ("/api/public", "/api/v1", "/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return base.copy_with(path=path + "/", query=None, fragment=None)


def iso_z(moment: datetime) -> str:
    """``moment`` in UTC as ISO 8601 with milliseconds and ``Z`` (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def resume_position(marker: str, start: datetime | None) -> str:
    """The :attr:`Batch.position` for the page ``marker`` (cursor or page number) of a
    read that started at ``start``."""
    return marker if start is None else f"{marker}@{start.astimezone(UTC).isoformat()}"


def resume_point(
    position: str | None, since: datetime | None
) -> tuple[str | None, datetime | None]:
    """(page marker, start time) to read from: from ``position`` when given (its own
    start time, or none), else the beginning of a read from ``since``."""
    if position is None or position == "":
        return None, since
    marker, at, tail = position.rpartition("@")
    if at:
        moment = from_iso(tail)
        if moment is not None and marker:
            return marker, moment
    return position, None


def with_client(
    pages: Callable[[httpx.Client], Iterator[Batch]], client: httpx.Client | None, timeout: float
) -> Iterator[Batch]:
    """The batches ``pages`` reads with ``client``; without one, with a client made for
    this read (redirects are followed by hand: :mod:`triage.platforms.origins`) and
    closed when the read ends."""
    if client is not None:
        yield from pages(client)
        return
    with httpx.Client(timeout=timeout, follow_redirects=False) as own:
        yield from pages(own)
