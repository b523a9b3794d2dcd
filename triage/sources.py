"""From what a user types after ``triage pull`` to a stream of item batches.

A SOURCE is a configured source name (``[sources.NAME]`` in triage.toml), an
``http(s)://`` URL, or a file or folder (native JSONL, OpenClaw transcripts or
trajectory exports, OTLP/JSON traces, promptfoo results: detected, or forced
with ``--format``). Credentials come from the environment variables a configured
source names; a bare URL that starts with a configured source's URL uses that
source's credential too. Configured sources remember how far they got.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from triage.config import Config
from triage.config_schema import SourceConfig
from triage.ingest import Batch, SourceError

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


def resolve(
    spec: str, config: Config, *, source_name: str | None = None, fmt: str | None = None
) -> Pullable:
    """Turn one ``triage pull`` argument into something to read. Raises
    ``SourceError`` with a message fit for the user when it names nothing."""
    if spec in config.sources:
        return _configured(spec, config.sources[spec], config, source_name)
    if spec.startswith(("http://", "https://")):
        owner = _owner_of_url(spec, config)
        headers = _auth_headers(*owner) if owner else {}
        cfg = owner[1] if owner else None
        name = source_name or (owner[0] if owner else _url_source(spec))
        env = cfg.token_env if cfg else None
        return Pullable(spec, name, _http_reader(spec, name, headers, cfg), env)
    path = Path(spec).expanduser()
    if path.exists():
        name = source_name or "files"
        return Pullable(spec, name, _file_reader(path, name, fmt, None, None))
    known = ", ".join(sorted(config.sources)) or "none configured"
    raise SourceError(
        f"{spec}: not a file, folder, http(s) URL or configured source (sources: {known})"
    )


def _configured(
    name: str, source: SourceConfig, config: Config, source_name: str | None
) -> Pullable:
    stored_as = source_name or name
    kind = source.kind
    if kind == "http":
        if not source.url:
            raise SourceError(f"sources.{name}: an http source needs url")
        headers = _auth_headers(name, source)
        reader = _http_reader(source.url, stored_as, headers, source)
        return Pullable(name, stored_as, reader, source.token_env, resumable=True)
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
    reader = _file_reader(path, stored_as, fmt, source.agent, source.task_type_field)
    return Pullable(name, stored_as, reader, resumable=True)


def _secret(name: str, env: str | None, key: str) -> str:
    if not env:
        raise SourceError(f"sources.{name}: set {key} to the name of the environment variable")
    value = os.environ.get(env)
    if not value:
        raise SourceError(f"sources.{name}: environment variable {env} is not set")
    return value


def _owner_of_url(url: str, config: Config) -> tuple[str, SourceConfig] | None:
    best: tuple[str, SourceConfig] | None = None
    for name, source in config.sources.items():
        if source.kind == "http" and source.url and url.startswith(source.url.split("?")[0]):
            if best is None or len(source.url) > len(best[1].url or ""):
                best = (name, source)
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


def _url_source(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}".rstrip("/")


def _http_reader(
    url: str, source: str, headers: dict[str, str], config: SourceConfig | None
) -> Reader:
    def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
        from triage.ingest.http import read_http

        return read_http(
            url,
            source=source,
            headers=headers,
            items_pointer=config.items_pointer if config else None,
            next_pointer=config.next_field if config else None,
            rename=config.rename if config else None,
            resume_from=position,
        )

    return read


def _file_reader(
    path: Path, source: str, fmt: str | None, agent: str | None, task_field: str | None
) -> Reader:
    def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
        from triage.ingest.detect import read_file_source

        return read_file_source(
            path, source=source, format=fmt, agent=agent, task_type_field=task_field
        )

    return read


def _langfuse(config: SourceConfig, source: str, public: str, secret: str) -> Reader:
    def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
        from triage.ingest.langfuse import read_langfuse

        return read_langfuse(
            config, source=source, public_key=public, secret_key=secret,
            since=since, position=position,
        )  # fmt: skip

    return read


def _langsmith(config: SourceConfig, source: str, key: str, tenant: str | None) -> Reader:
    def read(since: datetime | None, position: str | None) -> Iterator[Batch]:
        from triage.ingest.langsmith import read_langsmith

        return read_langsmith(
            config, source=source, api_key=key, tenant=tenant, since=since, position=position
        )

    return read
