"""The source kinds and file formats a ``[sources.NAME]`` table may name.

The platform adapters declare them (:mod:`triage.platforms.registry`);
:class:`~triage.config.schema.SourceConfig` asks :func:`source_names` when it validates
``kind`` and ``format``. That is configuration's one look upward, declared in the
import contracts: the registry is imported here, on first use only, so loading the
configuration costs nothing until a ``[sources]`` table is validated.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SourceNames", "source_names"]


@dataclass(frozen=True)
class SourceNames:
    """What ``kind`` and ``format`` may be."""

    kinds: tuple[str, ...]
    """Every platform's kind."""
    formats: tuple[str, ...]
    """The file formats a source may force with ``format`` (all but the native one,
    which is what a ``kind = "jsonl"`` source reads)."""


def source_names() -> SourceNames:
    """The kinds and formats the platforms in force declare."""
    from triage.platforms.registry import source_names as declared

    return declared()
