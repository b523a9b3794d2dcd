"""From what a user types after ``triage pull`` to a stream of item batches.

A SOURCE is a configured source name (``[sources.NAME]`` in triage.toml), an
``http(s)://`` URL, or a ``.jsonl`` file or folder. Credentials come from the
environment variable a configured source names; a bare URL that starts with a
configured source's URL uses that source's credential too.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.config import Config
from triage.config_schema import SourceConfig
from triage.ingest import Batch, SourceError


@dataclass(frozen=True)
class Pullable:
    """One resolved source: a label for messages, the source name items are stored
    under, and how to read it."""

    label: str
    source: str
    read: Callable[[], Iterator[Batch]]
    credential_env: str | None = None
    """The environment variable the credential came from, to name in auth errors."""


def resolve(spec: str, config: Config, *, source_name: str | None = None) -> Pullable:
    """Turn one ``triage pull`` argument into something to read. Raises
    ``SourceError`` with a message fit for the user when it names nothing."""
    if spec in config.sources:
        return _configured(spec, config.sources[spec], config, source_name)
    if spec.startswith(("http://", "https://")):
        owner = _owner_of_url(spec, config)
        headers = _auth_headers(*owner) if owner else {}
        pointer = owner[1].items_pointer if owner else None
        name = source_name or (owner[0] if owner else _url_source(spec))
        env = owner[1].token_env if owner else None
        return Pullable(spec, name, _http_reader(spec, name, headers, pointer), env)
    path = Path(spec).expanduser()
    if path.exists():
        name = source_name or "files"
        return Pullable(spec, name, _jsonl_reader(path, name))
    known = ", ".join(sorted(config.sources)) or "none configured"
    raise SourceError(
        f"{spec}: not a file, folder, http(s) URL or configured source (sources: {known})"
    )


def _configured(
    name: str, source: SourceConfig, config: Config, source_name: str | None
) -> Pullable:
    stored_as = source_name or name
    if source.kind == "http":
        if not source.url:
            raise SourceError(f"sources.{name}: an http source needs url")
        headers = _auth_headers(name, source)
        reader = _http_reader(source.url, stored_as, headers, source.items_pointer)
        return Pullable(name, stored_as, reader, source.token_env)
    if not source.path:
        raise SourceError(f"sources.{name}: a jsonl source needs path")
    path = config.source_path(source)
    if not path.exists():
        raise SourceError(f"sources.{name}: {path} does not exist")
    return Pullable(name, stored_as, _jsonl_reader(path, stored_as))


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
    url: str, source: str, headers: dict[str, str], pointer: str | None
) -> Callable[[], Iterator[Batch]]:
    from triage.ingest.http import read_http

    def read() -> Iterator[Batch]:
        return read_http(url, source=source, headers=headers, items_pointer=pointer)

    return read


def _jsonl_reader(path: Path, source: str) -> Callable[[], Iterator[Batch]]:
    from triage.ingest.jsonl import read_jsonl

    def read() -> Iterator[Batch]:
        return read_jsonl(path, source=source)

    return read
