"""The platforms: reading items from sources, and sending verdicts back.

Every platform is one adapter module of :mod:`triage.platforms.adapters` (``jsonl``,
``http``, ``openclaw``, ``otlp``, ``promptfoo``, ``langfuse``, ``langsmith``), which
declares everything about it (:mod:`triage.platforms.base`: its kind, its file formats
and how they are recognised, how a source is read, its credentials, its write-back);
:mod:`triage.platforms.registry` finds them. Around them:

- :mod:`~triage.platforms.sources`: a ``triage pull`` argument → something to read;
  :mod:`~triage.platforms.detect` and :mod:`~triage.platforms.sniff`: files of any format;
  :mod:`~triage.platforms.writeback`: what every write-back shares;
- the readers behind the adapters (:mod:`~triage.platforms.jsonl`,
  :mod:`~triage.platforms.http`, :mod:`~triage.platforms.openclaw`, …) and their shared
  plumbing: :mod:`~triage.platforms.common`, :mod:`~triage.platforms.values`,
  :mod:`~triage.platforms.lines`, :mod:`~triage.platforms.chat` (chat messages),
  :mod:`~triage.platforms.api` (API hosts and resume positions),
  :mod:`~triage.platforms.pages`, :mod:`~triage.platforms.retry`,
  :mod:`~triage.platforms.origins` (a credential goes to one origin only) and
  :mod:`~triage.platforms.secrets` (masking).

Every reader yields :class:`Batch` objects: the items that parsed, the records
that did not (each with where it was and why), the files of a folder that could
not be read (skipped; the others are read), and progress. A bad record or an
unreadable file in a folder never stops a read; a source that cannot be read at
all raises :class:`SourceError`.

The readers are imported on first use, so importing this package stays cheap:

- :func:`triage.platforms.native.parse_record`: one native record → an item
- :func:`triage.platforms.jsonl.read_jsonl`: ``.jsonl`` / ``.jsonl.gz`` files or a folder of them
- :func:`triage.platforms.http.read_http`: a paginated HTTP JSON endpoint
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from triage.core.models import Item, Rejection
from triage.errors import AuthRefused, SourceError

if TYPE_CHECKING:
    from triage.platforms.http import read_http
    from triage.platforms.jsonl import read_jsonl
    from triage.platforms.native import RecordError, parse_record

__all__ = [
    "AuthRefused",
    "Batch",
    "RecordError",
    "SourceError",
    "parse_record",
    "read_http",
    "read_jsonl",
]


@dataclass(slots=True)
class Batch:
    """One step of a read: what parsed, what was rejected, and how far along the read is."""

    items: list[Item]
    """Records that parsed, in source order."""
    rejected: list[Rejection]
    """Records that did not parse, each with its file (or page URL), line (or index) and reason."""
    done: int
    """Progress so far: bytes read (files) or records seen (HTTP)."""
    total: int | None
    """Total bytes of all files, or the record count the server announced, else ``None``."""
    position: str | None = None
    """HTTP: the next URL or cursor after this batch, to resume from; ``None`` at the end and
    for files."""
    skipped: list[str] = field(default_factory=list)
    """Files or folders of the source that could not be read and were skipped (the rest
    was read), each a message naming it and saying why: ``cannot read F: permission denied``."""


_LAZY = {
    "RecordError": "triage.platforms.native",
    "parse_record": "triage.platforms.native",
    "read_jsonl": "triage.platforms.jsonl",
    "read_http": "triage.platforms.http",
}


def __getattr__(name: str) -> object:
    # The readers pull in pydantic and httpx; load them only when asked for.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
