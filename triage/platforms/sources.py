"""From what a user types after ``triage pull`` to a stream of item batches.

A SOURCE is a configured source name (``[sources.NAME]`` in triage.toml), an
``http(s)://`` URL, or a file or folder (native JSONL, OpenClaw transcripts or
trajectory exports, OTLP/JSON traces, promptfoo results: detected, or forced
with ``--format``). Credentials come from the environment variables a configured
source names. A bare URL uses a configured http source's credential (and name and
settings) only when it is at that source's origin (scheme, host and port, compared as
httpx sends them: :mod:`triage.platforms.origins`) and its path is the source's path or
below it at a ``/`` (a source at ``/api`` covers ``/api/items``, not ``/apikeys``); the
query does not matter. When several sources cover it, the one with the longest path
wins. Configured sources remember how far they got.

Every reader :func:`resolve` returns masks the secrets in force
(:class:`triage.platforms.secrets.Secrets`: every configured source's credential variables, and
the headers this read sends) in whatever leaves it: the message of a
:class:`~triage.errors.SourceError` and each rejection's place and reason.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from triage.config import Config
from triage.config.schema import SourceConfig
from triage.core.models import Rejection
from triage.platforms import Batch, SourceError
from triage.platforms.secrets import Secrets

if TYPE_CHECKING:
    import httpx

Reader = Callable[[datetime | None, str | None], Iterator[Batch]]
"""Called with (since, position): where to start; both ``None`` reads everything."""

FILE_FORMATS = {"otlp": "otlp", "promptfoo": "promptfoo", "openclaw": None}


@dataclass(frozen=True)
class Pullable:
    """One resolved source: a label for messages, the source name items are stored
    under, and how to read it."""

    label: str
    source: str
    read: Reader
    credential_env: str | None = None
    """The environment variable(s) the credential came from, to name in auth errors."""
    resumable: bool = False
    """A configured source: its progress is remembered between pulls."""
    secrets: Secrets = field(default_factory=Secrets)
    """The secrets ``read`` masks in its errors and rejections."""


def resolve(
    spec: str, config: Config, *, source_name: str | None = None, fmt: str | None = None
) -> Pullable:
    """Turn one ``triage pull`` argument into something to read. Raises
    ``SourceError`` with a message fit for the user when it names nothing."""
    in_force = Secrets.from_sources(config.sources, os.environ)
    if spec in config.sources:
        found = _configured(spec, config.sources[spec], config, source_name, in_force)
    elif spec.startswith(("http://", "https://")):
        found = _bare_url(spec, config, source_name, in_force)
    else:
        found = _file(spec, config, source_name, fmt)
    secrets = found.secrets | in_force
    return replace(found, read=_masking(found.read, secrets), secrets=secrets)


def _masking(read: Reader, secrets: Secrets) -> Reader:
    """``read`` with ``secrets`` masked in its errors and rejections."""

    def masked(since: datetime | None, position: str | None) -> Iterator[Batch]:
        try:
            for batch in read(since, position):
                if batch.rejected:
                    batch.rejected = [
                        Rejection(secrets.mask(r.source), r.line, secrets.mask(r.reason))
                        for r in batch.rejected
                    ]
                if batch.skipped:
                    batch.skipped = [secrets.mask(text) for text in batch.skipped]
                yield batch
        except SourceError as error:
            raise type(error)(secrets.mask(str(error))) from None

    return masked


def _bare_url(spec: str, config: Config, source_name: str | None, in_force: Secrets) -> Pullable:
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
    reader = _http_reader(spec, name, headers, cfg, secrets | in_force, config.max_record_bytes)
    return Pullable(_hidden(spec), name, reader, env, secrets=secrets)


def _hidden(spec: str) -> str:
    """A URL as typed, for messages: its password and secret-looking parameters hidden."""
    import httpx

    from triage.platforms.pages import display_url

    try:
        return display_url(httpx.URL(spec))
    except httpx.InvalidURL:
        return re.sub(r"//[^/?#]*@", "//", spec)


def _file(spec: str, config: Config, source_name: str | None, fmt: str | None) -> Pullable:
    path = Path(spec).expanduser()
    if path.exists():
        name = source_name or "files"
        reader = _file_reader(path, name, fmt, None, None, config.max_record_bytes)
        return Pullable(spec, name, reader)
    known = ", ".join(sorted(config.sources)) or "none configured"
    raise SourceError(
        f"{spec}: not a file, folder, http(s) URL or configured source (sources: {known})"
    )


def _configured(
    name: str, source: SourceConfig, config: Config, source_name: str | None, in_force: Secrets
) -> Pullable:
    stored_as = source_name or name
    kind = source.kind
    if kind == "http":
        if not source.url:
            raise SourceError(f"sources.{name}: an http source needs url")
        headers = _auth_headers(name, source)
        secrets = Secrets.from_headers(headers)
        reader = _http_reader(
            source.url, stored_as, headers, source, secrets | in_force, config.max_record_bytes
        )
        return Pullable(name, stored_as, reader, source.token_env, True, secrets)
    if kind == "langfuse":
        public = _secret(name, source.public_key_env, "public_key_env")
        secret = _secret(name, source.secret_key_env, "secret_key_env")
        envs = f"{source.public_key_env}/${source.secret_key_env}"
        return Pullable(name, stored_as, _langfuse(source, stored_as, public, secret), envs, True)
    if kind == "langsmith":
        key = _secret(name, source.token_env, "token_env")
        tenant = os.environ.get(source.tenant_env) if source.tenant_env else None
        reader = _langsmith(source, stored_as, key, tenant)
        return Pullable(name, stored_as, reader, source.token_env, resumable=True)
    if not source.path:
        raise SourceError(f"sources.{name}: a {kind} source needs path")
    path = config.source_path(source)
    if not path.exists():
        raise SourceError(f"sources.{name}: {path} does not exist")
    fmt = source.format or ("jsonl" if kind == "jsonl" else FILE_FORMATS.get(kind))
    reader = _file_reader(
        path, stored_as, fmt, source.agent, source.task_type_field, config.max_record_bytes
    )
    return Pullable(name, stored_as, reader, resumable=True)


def _secret(name: str, env: str | None, key: str) -> str:
    if not env:
        raise SourceError(f"sources.{name}: set {key} to the name of the environment variable")
    value = os.environ.get(env)
    if not value:
        raise SourceError(f"sources.{name}: environment variable {env} is not set")
    return value


def _owner_of_url(url: httpx.URL, config: Config) -> tuple[str, SourceConfig] | None:
    """The configured http source whose origin and path cover ``url`` (see the module)."""
    import httpx

    from triage.platforms.origins import within

    best: tuple[str, SourceConfig] | None = None
    depth = -1
    for name, source in config.sources.items():
        if source.kind != "http" or not source.url:
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


def _http_reader(
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


def _file_reader(
    path: Path,
    source: str,
    fmt: str | None,
    agent: str | None,
    task_field: str | None,
    limit: int | None,
) -> Reader:
    def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
        from triage.platforms.detect import read_file_source
        from triage.platforms.lines import DEFAULT_MAX_RECORD_BYTES

        return read_file_source(
            path, source=source, format=fmt, agent=agent, task_type_field=task_field,
            max_record_bytes=limit or DEFAULT_MAX_RECORD_BYTES,
        )  # fmt: skip

    return read


def _langfuse(config: SourceConfig, source: str, public: str, secret: str) -> Reader:
    def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
        from triage.platforms.langfuse import read_langfuse

        return read_langfuse(
            config, source=source, public_key=public, secret_key=secret,
            since=since, position=position,
        )  # fmt: skip

    return read


def _langsmith(config: SourceConfig, source: str, key: str, tenant: str | None) -> Reader:
    def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
        from triage.platforms.langsmith import read_langsmith

        return read_langsmith(
            config, source=source, api_key=key, tenant=tenant, since=since, position=position
        )

    return read
