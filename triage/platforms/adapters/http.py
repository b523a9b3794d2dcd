"""A generic HTTP JSON endpoint: pages of native-shaped records (``kind = "http"``), or
a bare ``http(s)://`` URL given to ``triage pull``.

Settings: ``url`` (required), ``token_env`` (the credential, optional), ``auth`` (how it
is sent: ``Authorization: Bearer``, a named ``header``, or Basic with ``token_env``
holding ``user:password``), ``items_pointer``, ``next_field``, ``rename``,
``follow_redirects``. The credential goes only to the origin of ``url``
(:mod:`triage.platforms.origins`). Reading, paging and retries:
:func:`triage.platforms.http.read_http`.

A bare URL uses a configured http source's credential (and name and settings) only when
it is at that source's origin (scheme, host and port, compared as httpx sends them) and
its path is the source's path or below it at a ``/`` (a source at ``/api`` covers
``/api/items``, not ``/apikeys``); the query does not matter. When several sources cover
it, the one with the longest path wins. Otherwise it is read without a credential and
stored under ``host[:port]/path``.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from triage.errors import SourceError
from triage.platforms.base import Adapter, Pullable, Reader
from triage.platforms.secrets import Secrets

if TYPE_CHECKING:
    import httpx

    from triage.config import Config
    from triage.config.schema import SourceConfig
    from triage.platforms import Batch


class Http(Adapter):
    kind = "http"
    title = "HTTP JSON endpoint"
    opens_urls = True

    def open(
        self, name: str, source: SourceConfig, config: Config, *, stored_as: str, in_force: Secrets
    ) -> Pullable:
        if not source.url:
            raise SourceError(f"sources.{name}: an http source needs url")
        headers = _auth_headers(name, source)
        secrets = Secrets.from_headers(headers)
        reader = _reader(
            source.url, stored_as, headers, source, secrets | in_force, config.max_record_bytes
        )
        return Pullable(name, stored_as, reader, source.token_env, True, secrets)

    def open_url(
        self, spec: str, config: Config, *, source_name: str | None, in_force: Secrets
    ) -> Pullable:
        import httpx

        try:
            url = httpx.URL(spec)
        except httpx.InvalidURL as error:
            raise SourceError(f"not a valid URL: {_hidden(spec)} ({error})") from error
        owner = _owner_of_url(url, config)
        headers = _auth_headers(*owner) if owner else {}
        cfg = owner[1] if owner else None
        name = source_name or (owner[0] if owner else _url_source(url))
        env = cfg.token_env if cfg else None
        secrets = Secrets.from_headers(headers) | Secrets([url.password])
        reader = _reader(spec, name, headers, cfg, secrets | in_force, config.max_record_bytes)
        return Pullable(_hidden(spec), name, reader, env, secrets=secrets)


ADAPTER = Http()


def _hidden(spec: str) -> str:
    """A URL as typed, for messages: its password and secret-looking parameters hidden."""
    import httpx

    from triage.platforms.pages import display_url

    try:
        return display_url(httpx.URL(spec))
    except httpx.InvalidURL:
        return re.sub(r"//[^/?#]*@", "//", spec)


def _owner_of_url(url: httpx.URL, config: Config) -> tuple[str, SourceConfig] | None:
    """The configured http source whose origin and path cover ``url`` (see the module)."""
    import httpx

    from triage.platforms.origins import within

    best: tuple[str, SourceConfig] | None = None
    depth = -1
    for name, source in config.sources.items():
        if source.kind != ADAPTER.kind or not source.url:
            continue
        try:
            base = httpx.URL(source.url)
        except httpx.InvalidURL:
            continue
        if within(url, base) and len(base.path.rstrip("/")) > depth:
            best, depth = (name, source), len(base.path.rstrip("/"))
    return best


def _auth_headers(name: str, source: SourceConfig) -> dict[str, str]:
    if not source.token_env:
        return {}
    secret = os.environ.get(source.token_env)
    if not secret:
        raise SourceError(
            f"sources.{name}: environment variable {source.token_env} is not set "
            f"(it should hold the credential for {source.url or name})"
        )
    if source.auth == "header":
        return {source.header: secret}
    if source.auth == "basic":
        return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
    return {"Authorization": f"Bearer {secret}"}


def _url_source(url: httpx.URL) -> str:
    """``host[:port]/path`` of ``url``: never a user name or password it carries."""
    host = url.host if ":" not in url.host else f"[{url.host}]"
    port = f":{url.port}" if url.port is not None else ""
    return f"{host}{port}{url.path}".rstrip("/")


def _reader(
    url: str,
    source: str,
    headers: dict[str, str],
    config: SourceConfig | None,
    secrets: Secrets,
    limit: int | None,
) -> Reader:
    def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
        from triage.platforms.http import read_http
        from triage.platforms.lines import DEFAULT_MAX_RECORD_BYTES

        return read_http(
            url,
            source=source,
            headers=headers,
            items_pointer=config.items_pointer if config else None,
            next_pointer=config.next_field if config else None,
            rename=config.rename if config else None,
            resume_from=position,
            follow_redirects=config.follow_redirects if config else "same-origin",
            secrets=secrets,
            max_page_bytes=limit or DEFAULT_MAX_RECORD_BYTES,
        )

    return read
