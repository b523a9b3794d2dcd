"""The shape of one page from an HTTP JSON endpoint, and where the next page is.

A page is either a JSON list of records, or an object holding the records under
``items`` (or ``data``) with an optional link to the next page under ``next`` (or
``next_cursor``, or ``cursor``) and an optional ``total``. Endpoints with other shapes
name the list with an RFC 6901 JSON pointer (``/result/records``); ``next`` and ``total``
are then looked up at the top of the page first, then beside the list.

A ``next`` value that looks like a URL (it has a ``scheme://``, or starts with ``/`` or
``?``) is resolved against the URL of the page; any other text (or number) is a cursor,
sent back to the first URL as the query parameter ``cursor``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from triage.core.inert import one_line
from triage.platforms import SourceError

__all__ = [
    "Page", "display_url", "excerpt", "is_link", "next_url", "parse_pointer", "pointed",
    "read_page", "renamed",
]  # fmt: skip

_ITEM_KEYS = ("items", "data")
_NEXT_KEYS = ("next", "next_cursor", "cursor")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_WORD = re.compile(r"[^a-z0-9]+")
_SECRET_WORDS = frozenset(
    {"key", "apikey", "auth", "sig", "signature", "credential", "credentials", "pwd", "session"}
)
_SECRET_PARTS = ("token", "secret", "passw", "apikey")


@dataclass(frozen=True, slots=True)
class Page:
    """The records of one page, the raw ``next`` value (``None`` at the end) and ``total``."""

    records: list[Any]
    next: str | None
    total: int | None


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """The reference tokens of the JSON pointer ``pointer`` (``""`` is the whole page)."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise SourceError(
            f"items_pointer {pointer!r} is not a JSON pointer: it must start with '/', "
            "as in '/result/records'"
        )
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/"))


def read_page(
    body: object, pointer: tuple[str, ...] | None, *, pointer_text: str, url: str
) -> Page:
    """Split a decoded page into its records, next link and total.

    ``url`` is the page's display URL, used in error messages only.
    """
    if pointer is not None:
        records, parent = _resolve(body, pointer, pointer_text=pointer_text, url=url)
        holders = [body] if parent is body else [body, parent]
    elif isinstance(body, list):
        return Page(body, None, None)
    elif isinstance(body, dict):
        key = next((k for k in _ITEM_KEYS if k in body), None)
        if key is None:
            raise SourceError(
                f"the page from {url} has no 'items' or 'data' list; "
                "set items_pointer to where its records are"
            )
        records = body[key]
        if not isinstance(records, list):
            raise SourceError(
                f"'{key}' in the page from {url} is not a list; "
                "set items_pointer to where its records are"
            )
        holders = [body]
    else:
        raise SourceError(f"the page from {url} is not a list of records or an object holding one")
    return Page(records, _next_value(holders, url), _total(holders))


def _resolve(
    body: object, tokens: tuple[str, ...], *, pointer_text: str, url: str
) -> tuple[list[Any], object]:
    parent: object = body
    value: object = body
    for token in tokens:
        parent = value
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif (
            isinstance(value, list)
            and token.isascii()
            and token.isdigit()
            and int(token) < len(value)
        ):
            value = value[int(token)]
        else:
            raise SourceError(
                f"items_pointer {pointer_text!r} finds nothing in the page from {url}"
            )
    if not isinstance(value, list):
        raise SourceError(f"items_pointer {pointer_text!r} finds no list in the page from {url}")
    return value, parent


def _next_value(holders: list[object], url: str) -> str | None:
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        for key in _NEXT_KEYS:
            if key not in holder:
                continue
            value = holder[key]
            if value is None or value == "":
                return None
            if isinstance(value, str):
                return value
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
            raise SourceError(f"'{key}' in the page from {url} is neither text nor null")
    return None


def _total(holders: list[object]) -> int | None:
    for holder in holders:
        if isinstance(holder, dict):
            value = holder.get("total")
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
    return None


def next_url(first: httpx.URL, current: httpx.URL, value: str) -> httpx.URL:
    """The URL to request for the ``next`` value ``value`` found on the page at ``current``.

    ``first`` is the endpoint's own URL (with its parameters), which a cursor is added to.
    """
    if is_link(value):
        return current.join(value)
    return first.copy_set_param("cursor", value)


def is_link(value: str) -> bool:
    """Whether a ``next`` value is a URL (absolute, or relative to the page) or a cursor."""
    return value.startswith(("/", "?")) or _SCHEME.match(value) is not None


def display_url(url: httpx.URL) -> str:
    """``url`` for messages and rejections: password and secret-looking parameters hidden.

    A token passed as a query parameter (``api_key=…``) must not end up in a stored
    rejection or on screen.
    """
    if url.password:
        url = url.copy_with(username=url.username or None, password="***")
    params = url.params
    if any(_secret(name) for name in params):
        url = url.copy_with(
            params=[
                (name, "redacted" if _secret(name) else value)
                for name, value in params.multi_items()
            ]
        )
    return str(url)


def _secret(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in _SECRET_PARTS) or not _SECRET_WORDS.isdisjoint(
        _WORD.split(lowered)
    )


def excerpt(text: str, width: int = 200) -> str:
    """A short single line of ``text`` with control characters made visible."""
    return one_line(" ".join(text[: width * 8].split()), width)


def pointed(body: object, tokens: tuple[str, ...]) -> object:
    """The value at ``tokens`` (a parsed JSON pointer) in ``body``, or ``None``."""
    value: object = body
    for token in tokens:
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return None
    return value


def renamed(records: list[Any], rename: dict[str, str]) -> list[Any]:
    """Records with fields renamed (``{"uuid": "id"}``), for endpoints whose records
    are native items under other names. Non-object records pass through unchanged
    (they are rejected later with their position)."""
    if not rename:
        return records
    out: list[Any] = []
    for record in records:
        if isinstance(record, dict):
            record = {rename.get(key, key): value for key, value in record.items()}
        out.append(record)
    return out
