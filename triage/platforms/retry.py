"""Requests that retry what may pass: shared by every HTTP reader and by write-back.

What may pass: HTTP 429, any 5xx, a transport error (refused or reset connection, a
timeout) and, for JSON reads, a body that is not valid JSON (typically cut off). Each is
retried after the server's ``Retry-After`` when it gives one (at most
:data:`MAX_RETRY_AFTER`), else after an exponential backoff with full jitter: a random
wait between 0 and ``backoff * 2**attempt`` seconds.

What will not pass fails at once: a refused login (401/403), other 4xx answers and
redirects that are not followed. Redirects are followed by
:func:`triage.platforms.origins.request`: a credential goes only to the origin it was made
for, never across a redirect or a link.

Request headers are never written anywhere (messages, exceptions, logs): they carry the
credentials. Messages name a request by a display URL that hides secret-looking query
parameters (:func:`triage.platforms.pages.display_url`), and a body quoted in a message has
the credential's values (and the caller's other secrets) masked before it is cut short.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from triage.core import jsonio
from triage.platforms import AuthRefused, SourceError
from triage.platforms.lines import DEFAULT_MAX_RECORD_BYTES
from triage.platforms.origins import Credential, request
from triage.platforms.pages import display_url, excerpt
from triage.platforms.secrets import Secrets

__all__ = [
    "MAX_RETRY_AFTER",
    "GaveUp",
    "Retrying",
    "Transient",
    "fetch_json",
    "refusal",
    "retry_after",
    "send",
    "transport_problem",
]

MAX_RETRY_AFTER = 60.0
"""Seconds: the longest wait honoured from a ``Retry-After`` header, or from backoff."""

T = TypeVar("T")


class Transient(Exception):
    """A failure that may pass: retry after ``wait`` seconds (``None``: back off).

    Control flow inside the retry machinery, not one of :mod:`triage.errors`: raised
    by an attempt and caught by :meth:`Retrying.call`, it never leaves this module."""

    def __init__(self, problem: str, wait: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait = wait


class GaveUp(Exception):
    """Every attempt failed with something that may pass; ``problem`` is the last one.

    Internal to the platforms: whoever calls :func:`send` or :meth:`Retrying.call`
    turns it into a :class:`~triage.errors.SourceError` or a retry later (as
    :func:`fetch_json` and the write-back do); it never reaches the service."""

    def __init__(self, problem: str, attempts: int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.attempts = attempts

    def describe(self, where: str) -> str:
        """``giving up on WHERE after N attempts; last error: PROBLEM``."""
        tries = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
        return f"giving up on {where} after {tries}; last error: {self.problem}"


@dataclass(frozen=True)
class Retrying:
    """How often and how patiently to retry: at most ``max_retries`` retries after the
    first attempt, waiting with ``sleep`` (injectable, so waits can be observed)."""

    max_retries: int = 5
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        """The backoff before retry number ``attempt + 1``: full jitter."""
        return random.uniform(0, min(self.backoff * 2**attempt, MAX_RETRY_AFTER))

    def call(self, attempt: Callable[[], T]) -> T:
        """``attempt()``'s result, calling it again while it raises :class:`Transient`.

        Raises :class:`GaveUp` once the retries are spent; anything else ``attempt``
        raises passes through at once.
        """
        retries = max(0, self.max_retries)
        done = 0
        while True:
            try:
                return attempt()
            except Transient as failure:
                if done >= retries:
                    raise GaveUp(failure.problem, done + 1) from None
                wait = failure.wait if failure.wait is not None else self.delay(done)
            self.sleep(wait)
            done += 1


def transport_problem(error: httpx.TransportError) -> str:
    """``ReadTimeout: timed out``: the error's type, and its message when it has one."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def send(
    client: httpx.Client,
    method: str,
    url: httpx.URL | str,
    *,
    retrying: Retrying,
    headers: Mapping[str, str] | None = None,
    credential: Credential | None = None,
    json_body: Any = None,
    where: str | None = None,
) -> httpx.Response:
    """The first answer that is neither 429 nor 5xx, retrying those and transport errors.

    ``headers`` go with every request, ``credential``'s headers only to its origin
    (redirects followed as :func:`triage.platforms.origins.request` says). Raises
    :class:`GaveUp` when the retries are spent, and :class:`SourceError` when the
    request cannot be made at all (an unsupported URL scheme, a refused redirect).
    ``where`` names the request in messages (default: its display URL).
    """
    target = httpx.URL(url)
    name = where or display_url(target)

    def attempt() -> httpx.Response:
        try:
            response = request(
                client, method, target, credential=credential, headers=headers,
                json_body=json_body, where=name,
            )  # fmt: skip
        except httpx.UnsupportedProtocol as error:
            raise SourceError(f"cannot request {name}: {error}") from error
        except httpx.TransportError as error:
            raise Transient(transport_problem(error)) from error
        status = response.status_code
        if status == 429 or status >= 500:
            raise Transient(f"HTTP {status}", retry_after(response.headers.get("retry-after")))
        return response

    return retrying.call(attempt)


def fetch_json(
    client: httpx.Client,
    url: httpx.URL,
    *,
    where: str,
    retrying: Retrying,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    credential: Credential | None = None,
    json_body: Any = None,
    max_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> tuple[Any, bool]:
    """The decoded JSON body of a successful answer, and whether it may hold an unpaired
    surrogate escape (see :mod:`triage.platforms.surrogates`) or a number JSON cannot carry:
    only then need its records be searched for either. A 204 answer is ``[]``.

    The body is read in pieces and never held past ``max_bytes`` (counted after any
    ``Content-Encoding`` is undone, so a compressed bomb costs no more): a longer one
    is a :class:`SourceError`. Numbers JSON cannot carry (``NaN``, infinities) are kept
    as floats, for the caller to reject record by record (:func:`triage.core.jsonio.non_finite`).

    ``headers`` go with every request, ``credential``'s only to its origin. Raises
    :class:`SourceError` with a message naming ``where`` (the display URL, never a
    credential): at once on 401/403 ("refused authentication …; check the
    credentials"), on other 4xx, on redirects not followed or refused; after the
    retries on what may pass.
    """
    secrets = credential.secrets if credential is not None else Secrets()

    def attempt() -> tuple[Any, bool]:
        try:
            response = request(
                client, method, url, credential=credential, headers=headers,
                json_body=json_body, where=where, stream=True,
            )  # fmt: skip
        except httpx.UnsupportedProtocol as error:
            raise SourceError(f"cannot request {where}: {error}") from error
        except httpx.TransportError as error:
            raise Transient(transport_problem(error)) from error
        try:
            return _answer(response, where, secrets, max_bytes)
        except httpx.TransportError as error:  # while reading the body
            raise Transient(transport_problem(error)) from error
        finally:
            response.close()

    try:
        return retrying.call(attempt)
    except GaveUp as gave_up:
        raise SourceError(gave_up.describe(where)) from None


def _answer(
    response: httpx.Response, where: str, secrets: Secrets, max_bytes: int
) -> tuple[Any, bool]:
    """What :func:`fetch_json` makes of one (streamed) answer."""
    status = response.status_code
    if status in (401, 403):
        raise AuthRefused(f"{where} refused authentication (HTTP {status}); check the credentials")
    if status == 429 or status >= 500:
        raise Transient(f"HTTP {status}", retry_after(response.headers.get("retry-after")))
    if status >= 300:
        text = _read_at_most(response, REFUSAL_BYTES)[0].decode("utf-8", "replace")
        raise SourceError(refusal(response, where, secrets, text=text))
    if status == 204:
        return [], False
    content, whole = _read_at_most(response, max_bytes)
    if not whole:
        raise SourceError(
            f"{where} answered with a body over {max_bytes:,} bytes, the longest page read "
            "([limits] max_record_bytes in triage.toml); ask the source for smaller pages"
        )
    try:
        return jsonio.parse_page(content)
    except (ValueError, RecursionError) as error:
        raise Transient(f"the body is not valid JSON ({_json_problem(error)})") from None


REFUSAL_BYTES = 64 * 1024
"""Bytes of a refusal's body read for its excerpt."""


def _read_at_most(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the (decoded) body, and whether that was all of it."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and "content-encoding" not in response.headers:
        if int(declared) > limit:
            return b"", False
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: len(chunk) - (size - limit)])
            return b"".join(chunks), False
        chunks.append(chunk)
    return b"".join(chunks), True


def refusal(
    response: httpx.Response,
    where: str,
    secrets: Secrets | None = None,
    *,
    text: str | None = None,
) -> str:
    """``WHERE answered HTTP 404 Not Found: <a safe excerpt of the body>``.

    The credential values the request carried, and ``secrets``, are masked in the body
    before it is cut short (so no part of one can show). ``text`` is the body when the
    response was streamed (default: the response's own text)."""
    status = f"HTTP {response.status_code}"
    if response.reason_phrase:
        status += f" {response.reason_phrase}"
    hidden = _sent_secrets(response) | (secrets or Secrets())
    if 300 <= response.status_code < 400:
        location = response.headers.get("location")
        if location is None:
            return f"{where} answered {status} (a redirect without a Location)"
        try:
            target = display_url(_request_url(response).join(location))
        except httpx.InvalidURL:
            target = excerpt(location, 120)
        return hidden.mask(
            f"{where} answered {status}, a redirect to {target} that was not followed "
            '(the source\'s follow_redirects is "never", or the address is not http(s))'
        )
    shown = excerpt(hidden.mask(response.text if text is None else text))
    return f"{where} answered {status}: {shown}" if shown else f"{where} answered {status}"


def _request_url(response: httpx.Response) -> httpx.URL:
    try:
        return response.request.url
    except RuntimeError:  # a response made by hand, never sent
        return httpx.URL()


def _sent_secrets(response: httpx.Response) -> Secrets:
    try:
        sent = response.request
    except RuntimeError:  # a response made by hand, never sent
        return Secrets()
    return Secrets.from_headers(sent.headers) | Secrets([sent.url.password])


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
