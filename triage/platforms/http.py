"""Items from an HTTP JSON endpoint, page by page (shapes: :mod:`triage.platforms.pages`).

Each page becomes one :class:`~triage.platforms.Batch`. A record that does not parse is
a :class:`~triage.core.models.Rejection` naming the page URL and the record's 1-based index
in the page; the other records of the page still arrive.

Failures that may pass (HTTP 429, any 5xx, a transport error such as a timeout or a
reset connection, a body that is not valid JSON, typically cut off) are retried with
exponential backoff and full jitter, or after the server's ``Retry-After`` when it gives
one (at most 60 s). A refused login (401/403) and other 4xx answers fail at once.
(:mod:`triage.platforms.retry` does this for every HTTP reader.) Header values are never
written anywhere: they carry the credentials.

The headers go only to the origin (scheme, host, port) of the endpoint's URL
(:mod:`triage.platforms.origins`): a redirect, or a ``next`` link, to another origin is
refused with a message naming both, unless ``follow_redirects`` is
``"any-without-credentials"``, which follows it without the headers. A refused ``next``
link ends the read after the page that gave it; that page's items are kept, and the
position stays at that page, so a later read asks it again rather than the other origin.
"""

from __future__ import annotations

import random  # noqa: F401 - the jitter source; patching ``random.uniform`` here fixes it
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import httpx

from triage.core.jsonio import non_finite
from triage.core.models import Item, Rejection
from triage.platforms import Batch, SourceError
from triage.platforms.lines import DEFAULT_MAX_RECORD_BYTES
from triage.platforms.native import RecordError, parse_record
from triage.platforms.origins import Credential, RedirectPolicy
from triage.platforms.pages import (
    display_url,
    is_link,
    next_url,
    parse_pointer,
    pointed,
    read_page,
    renamed,
)
from triage.platforms.retry import MAX_RETRY_AFTER as MAX_RETRY_AFTER
from triage.platforms.retry import Retrying, fetch_json
from triage.platforms.retry import retry_after as retry_after
from triage.platforms.secrets import Secrets
from triage.platforms.surrogates import UNPAIRED_SURROGATE_REASON, unpaired_surrogate

__all__ = ["MAX_RETRY_AFTER", "read_http", "retry_after"]


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
    next_pointer: str | None = None,
    rename: Mapping[str, str] | None = None,
    follow_redirects: RedirectPolicy = "same-origin",
    secrets: Secrets | None = None,
    max_page_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[Batch]:
    """Batches of items from the endpoint at ``url``, one batch per page.

    ``source`` becomes each item's ``Item.source``. ``params`` go with the first
    request; ``headers`` carry the credential and go with every request to ``url``'s
    origin, never elsewhere (``follow_redirects`` says which redirects and links to
    another origin are followed, without them). ``secrets`` are more values to mask in
    messages besides the headers'. Without a ``client``, one is made (with ``timeout``)
    and closed at the end; redirects are followed here, never by the client.
    ``items_pointer`` is a JSON pointer to the record list for pages of other shapes,
    ``next_pointer`` one to the next page's link or cursor, and ``rename`` renames record
    fields to the native names (``{"uuid": "id"}``), so a team's own endpoint needs no
    code. ``resume_from`` is a :attr:`Batch.position` of an earlier read: the read starts
    at the page after it. A page's body is never held past ``max_page_bytes``; a record
    holding ``NaN`` or an infinity is rejected with the field that held it.

    A batch's ``done`` counts records seen so far, ``total`` is the page's ``total`` if
    it has one, and ``position`` is the page's next URL or cursor (``None`` on the last
    page). Raises :class:`~triage.platforms.SourceError` when the endpoint cannot be read
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
    return _read_pages(
        first,
        source=source,
        client=client,
        timeout=timeout,
        credential=Credential.to(first, headers, follow_redirects, secrets),
        retrying=Retrying(max_retries=max_retries, backoff=backoff, sleep=sleep),
        pointer=pointer,
        pointer_text=items_pointer or "",
        resume_from=resume_from,
        next_tokens=parse_pointer(next_pointer) if next_pointer is not None else None,
        rename=dict(rename or {}),
        max_page_bytes=max_page_bytes,
    )


def _read_pages(
    first: httpx.URL,
    *,
    source: str,
    client: httpx.Client | None,
    timeout: float,
    credential: Credential,
    retrying: Retrying,
    pointer: tuple[str, ...] | None,
    pointer_text: str,
    resume_from: str | None,
    next_tokens: tuple[str, ...] | None = None,
    rename: dict[str, str] | None = None,
    max_page_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[Batch]:
    own = client is None
    http = httpx.Client(timeout=timeout) if client is None else client
    try:
        url = first if not resume_from else next_url(first, first, resume_from)
        if not credential.allows(url):
            raise credential.refused(
                url, how=f"the saved position of the read from {display_url(first)} is"
            )
        here = resume_from or None
        seen = {str(url)}
        done = 0
        while True:
            where = display_url(url)
            body, maybe_odd = fetch_json(
                http, url, where=where, retrying=retrying, credential=credential,
                max_bytes=max_page_bytes,
            )  # fmt: skip
            page = read_page(body, pointer, pointer_text=pointer_text, url=where)
            if next_tokens is not None:
                value = pointed(body, next_tokens)
                page = replace(page, next=str(value) if value not in (None, "") else None)
            records = renamed(page.records, rename or {})
            items, rejected = _parse_records(records, source, where, maybe_odd)
            done += len(page.records)
            following = position = None
            if page.next is not None:
                following = next_url(first, url, page.next)
                # A cursor is kept as given, a link resolved: either works as ``resume_from``.
                position = str(following) if is_link(page.next) else page.next
            if following is not None and not credential.allows(following):
                # Keep this page's items, stay at this page, and stop before the other origin.
                yield Batch(items, rejected, done, page.total, here)
                raise credential.refused(following, how=f"the page {where} links its next page to")
            yield Batch(items, rejected, done, page.total, position)
            if following is None:
                return
            if str(following) in seen:
                raise SourceError(
                    f"paging from {display_url(first)} goes round in a loop: the page "
                    f"{where} points back to {display_url(following)}, which was already read"
                )
            seen.add(str(following))
            url, here = following, position
    finally:
        if own:
            http.close()


def _parse_records(
    records: list[Any], source: str, where: str, maybe_odd: bool
) -> tuple[list[Item], list[Rejection]]:
    items: list[Item] = []
    rejected: list[Rejection] = []
    for index, record in enumerate(records, start=1):
        unfit = non_finite(record) if maybe_odd else None
        if unfit is not None:
            rejected.append(Rejection(where, index, str(unfit)))
            continue
        try:
            item = parse_record(record, source=source)
        except RecordError as error:
            rejected.append(Rejection(where, index, error.reason))
            continue
        if maybe_odd and unpaired_surrogate(record):
            rejected.append(Rejection(where, index, UNPAIRED_SURROGATE_REASON))
            continue
        items.append(item)
    return items, rejected
