"""Items from an HTTP JSON endpoint, page by page (shapes: :mod:`triage.ingest.pages`).

Each page becomes one :class:`~triage.ingest.Batch`. A record that does not parse is
a :class:`~triage.models.Rejection` naming the page URL and the record's 1-based index
in the page; the other records of the page still arrive.

Failures that may pass (HTTP 429, any 5xx, a transport error such as a timeout or a
reset connection, a body that is not valid JSON, typically cut off) are retried with
exponential backoff and full jitter, or after the server's ``Retry-After`` when it gives
one (at most 60 s). A refused login (401/403) and other 4xx answers fail at once.
Header values are never written anywhere: they carry the credentials.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from triage import jsonio
from triage.ingest import Batch, SourceError
from triage.ingest.native import RecordError, parse_record
from triage.ingest.pages import (
    display_url,
    excerpt,
    is_link,
    next_url,
    parse_pointer,
    read_page,
)
from triage.ingest.surrogates import (
    SURROGATE_ESCAPE,
    UNPAIRED_SURROGATE_REASON,
    unpaired_surrogate,
)
from triage.models import Item, Rejection

__all__ = ["read_http"]

MAX_RETRY_AFTER = 60.0
"""Seconds: the longest wait honoured from a ``Retry-After`` header, or from backoff."""


def read_http(
    url: str,
    *,
    source: str,
    client: httpx.Client | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    max_retries: int = 5,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    items_pointer: str | None = None,
    resume_from: str | None = None,
) -> Iterator[Batch]:
    """Batches of items from the endpoint at ``url``, one batch per page.

    ``source`` becomes each item's ``Item.source``. ``headers`` and ``params`` go with
    the first request; ``headers`` with every request. Without a ``client``, one is made
    (following redirects, with ``timeout``) and closed at the end. ``items_pointer`` is
    a JSON pointer to the record list for pages of other shapes. ``resume_from`` is a
    :attr:`Batch.position` of an earlier read: the read starts at the page after it.

    A batch's ``done`` counts records seen so far, ``total`` is the page's ``total`` if
    it has one, and ``position`` is the page's next URL or cursor (``None`` on the last
    page). Raises :class:`~triage.ingest.SourceError` when the endpoint cannot be read
    (the message names the URL, never a credential).
    """
    try:
        first = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise SourceError(f"not a valid URL: {url!r} ({error})") from error
    if first.scheme not in ("http", "https"):
        raise SourceError(f"not an http(s) URL: {display_url(first)}")
    if params:
        first = first.copy_merge_params(dict(params))
    pointer = parse_pointer(items_pointer) if items_pointer is not None else None
    fetch = _Fetcher(
        headers=dict(headers or {}), max_retries=max_retries, backoff=backoff, sleep=sleep
    )
    return _read_pages(
        first,
        source=source,
        client=client,
        timeout=timeout,
        fetch=fetch,
        pointer=pointer,
        pointer_text=items_pointer or "",
        resume_from=resume_from,
    )


def _read_pages(
    first: httpx.URL,
    *,
    source: str,
    client: httpx.Client | None,
    timeout: float,
    fetch: _Fetcher,
    pointer: tuple[str, ...] | None,
    pointer_text: str,
    resume_from: str | None,
) -> Iterator[Batch]:
    own = client is None
    http = httpx.Client(follow_redirects=True, timeout=timeout) if client is None else client
    try:
        url = first if not resume_from else next_url(first, first, resume_from)
        seen = {str(url)}
        done = 0
        while True:
            where = display_url(url)
            body, maybe_surrogates = fetch(http, url, where)
            page = read_page(body, pointer, pointer_text=pointer_text, url=where)
            items, rejected = _parse_records(page.records, source, where, maybe_surrogates)
            done += len(page.records)
            following = position = None
            if page.next is not None:
                following = next_url(first, url, page.next)
                # A cursor is kept as given, a link resolved: either works as ``resume_from``.
                position = str(following) if is_link(page.next) else page.next
            yield Batch(items, rejected, done, page.total, position)
            if following is None:
                return
            if str(following) in seen:
                raise SourceError(
                    f"paging from {display_url(first)} goes round in a loop: the page "
                    f"{where} points back to {display_url(following)}, which was already read"
                )
            seen.add(str(following))
            url = following
    finally:
        if own:
            http.close()


def _parse_records(
    records: list[Any], source: str, where: str, maybe_surrogates: bool
) -> tuple[list[Item], list[Rejection]]:
    items: list[Item] = []
    rejected: list[Rejection] = []
    for index, record in enumerate(records, start=1):
        try:
            item = parse_record(record, source=source)
        except RecordError as error:
            rejected.append(Rejection(where, index, error.reason))
            continue
        if maybe_surrogates and unpaired_surrogate(record):
            rejected.append(Rejection(where, index, UNPAIRED_SURROGATE_REASON))
            continue
        items.append(item)
    return items, rejected


class _Fetcher:
    """GET a page and decode its JSON body, retrying what may pass."""

    def __init__(
        self,
        *,
        headers: dict[str, str],
        max_retries: int,
        backoff: float,
        sleep: Callable[[float], None],
    ) -> None:
        self.headers = headers
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.sleep = sleep

    def __call__(self, client: httpx.Client, url: httpx.URL, where: str) -> tuple[Any, bool]:
        """The decoded body, and whether it may hold an unpaired surrogate escape."""
        attempt = 0
        while True:
            wait: float | None = None
            try:
                response = client.get(url, headers=self.headers)
            except httpx.UnsupportedProtocol as error:
                raise SourceError(f"cannot request {where}: {error}") from error
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            else:
                status = response.status_code
                if status in (401, 403):
                    raise SourceError(
                        f"{where} refused authentication (HTTP {status}); check the credentials"
                    )
                if status == 429 or status >= 500:
                    problem = f"HTTP {status}"
                    wait = retry_after(response.headers.get("retry-after"))
                elif status >= 300:
                    raise SourceError(_refusal(response, where))
                elif status == 204:
                    return [], False
                else:
                    content = response.content
                    try:
                        body = jsonio.parse(content)
                    except (ValueError, RecursionError) as error:
                        problem = f"the body is not valid JSON ({_json_problem(error)})"
                    else:
                        return body, SURROGATE_ESCAPE.search(content) is not None
            if attempt >= self.max_retries:
                attempts = "1 attempt" if attempt == 0 else f"{attempt + 1} attempts"
                raise SourceError(f"giving up on {where} after {attempts}; last error: {problem}")
            if wait is None:
                wait = random.uniform(0, min(self.backoff * 2**attempt, MAX_RETRY_AFTER))
            self.sleep(wait)
            attempt += 1


def _refusal(response: httpx.Response, where: str) -> str:
    status = f"HTTP {response.status_code}"
    if response.reason_phrase:
        status += f" {response.reason_phrase}"
    if 300 <= response.status_code < 400:
        return f"{where} answered {status} (a redirect that was not followed)"
    text = excerpt(response.text)
    return f"{where} answered {status}: {text}" if text else f"{where} answered {status}"


def _json_problem(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno} column {error.colno}"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return excerpt(str(error), 120)


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay seconds or an HTTP date).

    At most :data:`MAX_RETRY_AFTER`; ``None`` when absent or unreadable.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
