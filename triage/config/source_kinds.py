"""The source kinds and file formats a ``[sources.NAME]`` table may name.

They are declared by the platform adapters (:mod:`triage.platforms.registry`), but
configuration builds on nothing but the core, so it is told them: the package's
``__init__`` installs the registry's lookup here before any other module of triage
runs, and :class:`~triage.config.schema.SourceConfig` asks :func:`source_names` when it
validates ``kind`` and ``format``. The lookup runs (and the adapters are found) only
when a table is validated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SourceNames", "install", "source_names"]


@dataclass(frozen=True)
class SourceNames:
    """What ``kind`` and ``format`` may be."""

    kinds: tuple[str, ...]
    """Every platform's kind."""
    formats: tuple[str, ...]
    """The file formats a source may force with ``format`` (all but the native one,
    which is what a ``kind = "jsonl"`` source reads)."""


_lookup: Callable[[], SourceNames] | None = None


def install(lookup: Callable[[], SourceNames]) -> None:
    """Make ``lookup`` the answer of :func:`source_names` (done once, by ``triage``)."""
    global _lookup
    _lookup = lookup


def source_names() -> SourceNames:
    """The kinds and formats in force."""
    if _lookup is None:
        raise RuntimeError("the platform registry was not installed (triage/__init__.py does)")
    return _lookup()
