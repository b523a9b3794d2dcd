"""A credential goes to one origin only: pinning, and redirects followed by hand.

An **origin** is (scheme, host, port) as httpx reads a URL: the scheme and host in
lower case, the host IDNA-encoded, the default port (80 for http, 443 for https)
filled in. ``http://API.example.com:80/x`` and ``http://api.example.com/y`` share an
origin; ``http://127.0.0.1:1997`` and ``http://127.0.0.1:19978`` do not, nor do
``http://h`` and ``https://h``.

A :class:`Credential` is the headers that carry a secret, the origin they were made
for, and the source's ``follow_redirects`` setting. :func:`request` sends a request
with those headers only when its URL is at that origin, and follows redirects itself
(httpx is never asked to), at most :data:`MAX_REDIRECTS` of them:

- to the same origin: followed, with the credential;
- to another origin: refused with a :class:`~triage.errors.SourceError` naming both
  origins and what to do, unless the setting is ``any-without-credentials``: then it is
  followed without the credential;
- with ``never``: no redirect is followed; the redirect is the answer (and the caller
  reports it).

A request that carries no credential at all follows redirects anywhere (there is
nothing to protect), unless the setting is ``never``. The same rule holds for ``next``
page links (:mod:`triage.platforms.http` asks :meth:`Credential.allows` before following
one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import httpx

from triage.errors import SourceError
from triage.platforms.pages import display_url
from triage.platforms.secrets import Secrets

__all__ = ["MAX_REDIRECTS", "Credential", "Origin", "RedirectPolicy", "request", "within"]

RedirectPolicy = Literal["same-origin", "any-without-credentials", "never"]

MAX_REDIRECTS = 5
"""Redirects followed for one request at most."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ALLOW_HINT = 'Set follow_redirects = "any-without-credentials"'


class Origin(NamedTuple):
    """(scheme, host, port) of a URL, normalised as httpx sends it."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: httpx.URL | str) -> Origin:
        """The origin of ``url`` (raises ``httpx.InvalidURL`` for an unreadable one)."""
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        scheme = parsed.scheme.lower()
        host = parsed.raw_host.decode("ascii").lower()
        return cls(scheme, host, parsed.port or _DEFAULT_PORTS.get(scheme, 0))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == _DEFAULT_PORTS.get(self.scheme):
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"


def within(url: httpx.URL, base: httpx.URL) -> bool:
    """Whether ``url`` is at ``base``'s origin and under its path at a segment boundary
    (``/api`` holds ``/api`` and ``/api/items``, not ``/apikeys``). Queries are ignored."""
    if Origin.of(url) != Origin.of(base):
        return False
    root = base.path.rstrip("/")
    return not root or url.path == root or url.path.startswith(root + "/")


@dataclass(frozen=True)
class Credential:
    """Headers carrying a secret, pinned to ``origin``."""

    origin: Origin
    headers: Mapping[str, str] = field(default_factory=dict)
    redirects: RedirectPolicy = "same-origin"
    secrets: Secrets = field(default_factory=Secrets)
    """Values to hide in any text about these requests (the headers' values and the
    URL's password are always among them)."""

    @classmethod
    def to(
        cls,
        url: httpx.URL | str,
        headers: Mapping[str, str] | None = None,
        redirects: RedirectPolicy = "same-origin",
        secrets: Secrets | None = None,
    ) -> Credential:
        """``headers`` pinned to the origin of ``url``."""
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        given = dict(headers or {})
        hidden = Secrets.from_headers(given) | Secrets([parsed.password])
        return cls(Origin.of(parsed), given, redirects, hidden | (secrets or Secrets()))

    @property
    def carries(self) -> bool:
        """Whether there is a credential to protect (a password in the URL itself is
        never sent elsewhere: httpx sends it only with that URL)."""
        return bool(self.headers)

    def allows(self, url: httpx.URL) -> bool:
        """Whether a request to ``url`` may be made (with the credential, or without it)."""
        return (
            not self.carries
            or Origin.of(url) == self.origin
            or self.redirects == "any-without-credentials"
        )

    def headers_for(self, url: httpx.URL) -> dict[str, str]:
        """The credential headers for a request to ``url``: all at the origin, none
        elsewhere."""
        return dict(self.headers) if Origin.of(url) == self.origin else {}

    def refused(self, url: httpx.URL, *, how: str) -> SourceError:
        """The error for a request to ``url`` at another origin; ``how`` says how it
        was reached (``"… redirects to"``, ``"… links its next page to"``)."""
        return SourceError(
            f"{how} {display_url(url)}, on another origin than {self.origin}: the "
            f"credential is not sent there. {_ALLOW_HINT} to follow it without the "
            "credential, or make that address the source's url"
        )


def request(
    client: httpx.Client,
    method: str,
    url: httpx.URL,
    *,
    credential: Credential | None,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    where: str,
    stream: bool = False,
) -> httpx.Response:
    """The answer to ``method url``, redirects followed as the module says.

    ``headers`` go with every request; the credential's only to its origin. ``where``
    names the first request in messages. With ``stream`` the answer's body is not read
    yet: the caller reads it (in bounded pieces) and closes the response. Raises
    :class:`SourceError` for a refused redirect, too many redirects, or a first URL the
    credential may not go to; httpx's transport errors pass through.
    """
    pin = credential or Credential.to(url)
    current = url
    if not pin.allows(current):
        raise pin.refused(current, how=f"{where} is")
    for _ in range(MAX_REDIRECTS + 1):
        sent = {**dict(headers or {}), **pin.headers_for(current)}
        built = client.build_request(method, current, headers=sent, json=json_body)
        response = client.send(built, stream=stream, follow_redirects=False)
        if not response.has_redirect_location or pin.redirects == "never":
            return response
        try:
            target = current.join(response.headers["location"])
        except httpx.InvalidURL:
            return response
        if target.scheme not in _DEFAULT_PORTS:
            return response
        response.close()
        if not pin.allows(target):
            raise pin.refused(target, how=f"{display_url(current)} redirects to")
        if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
            method, json_body = "GET", None
        current = target
    raise SourceError(
        f"{where} redirects more than {MAX_REDIRECTS} times (last to {display_url(current)})"
    )
