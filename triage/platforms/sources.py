"""From what a user types after ``triage pull`` to a stream of item batches.

A SOURCE is a configured source name (``[sources.NAME]`` in triage.toml), an
``http(s)://`` URL, or a file or folder (native JSONL, OpenClaw transcripts or
trajectory exports, OTLP/JSON traces, promptfoo results: detected, or forced with
``--format``). Each is opened by its platform's adapter (:mod:`triage.platforms.registry`):
a configured source by the adapter of its ``kind``, a bare URL by the one that reads
URLs (the generic HTTP endpoint, which lends it a configured http source's credential
only when the URL is within that source: :mod:`triage.platforms.adapters.http`), a path
by the file formats (:mod:`triage.platforms.detect`). Credentials come from the
environment variables a configured source names. Configured sources remember how far
they got.

Every reader :func:`resolve` returns masks the secrets in force
(:class:`triage.platforms.secrets.Secrets`: every configured source's credential variables, and
the headers this read sends) in whatever leaves it: the message of a
:class:`~triage.errors.SourceError` and each rejection's place and reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from triage.config import Config
from triage.core.models import Rejection
from triage.platforms import Batch, SourceError, registry
from triage.platforms.base import Pullable, Reader, file_reader
from triage.platforms.secrets import Secrets

__all__ = ["Pullable", "Reader", "resolve"]


def resolve(
    spec: str, config: Config, *, source_name: str | None = None, fmt: str | None = None
) -> Pullable:
    """Turn one ``triage pull`` argument into something to read. Raises
    ``SourceError`` with a message fit for the user when it names nothing."""
    in_force = Secrets.from_sources(config.sources, os.environ)
    if spec in config.sources:
        source = config.sources[spec]
        adapter = registry.adapter(source.kind)
        found = adapter.open(spec, source, config, stored_as=source_name or spec, in_force=in_force)
    elif spec.startswith(("http://", "https://")):
        adapter = registry.url_adapter()
        found = adapter.open_url(spec, config, source_name=source_name, in_force=in_force)
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


def _file(spec: str, config: Config, source_name: str | None, fmt: str | None) -> Pullable:
    path = Path(spec).expanduser()
    if path.exists():
        name = source_name or "files"
        reader = file_reader(path, name, fmt, None, None, config.max_record_bytes)
        return Pullable(spec, name, reader)
    known = ", ".join(sorted(config.sources)) or "none configured"
    raise SourceError(
        f"{spec}: not a file, folder, http(s) URL or configured source (sources: {known})"
    )
