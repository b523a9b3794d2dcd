"""The platforms triage reads from and writes back to: every module of
:mod:`triage.platforms.adapters` that defines ``ADAPTER``.

Nothing lists them by hand. Validating ``triage.toml`` (``kind`` and ``format``), telling
a file's format, the choices of ``triage pull --format``, opening a named source and
``triage push`` all ask this module, so a platform added as one new adapter module is
known everywhere at once. The adapters are found once, on first use, in module-name
order (which is also the order ties are broken in when two formats recognise a file),
and checked: each declares a kind, kinds and format names are unique.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from triage.config.source_kinds import SourceNames
from triage.errors import ConfigError
from triage.platforms import adapters as _package
from triage.platforms.base import Adapter, FileFormat, Recognised

__all__ = [
    "adapter",
    "adapters",
    "file_format",
    "file_formats",
    "find",
    "format_names",
    "kinds",
    "looked_for",
    "sniff",
    "sniff_document",
    "source_names",
    "url_adapter",
]


@cache
def adapters() -> tuple[Adapter, ...]:
    """Every platform, in module-name order."""
    found: list[Adapter] = []
    names = sorted(info.name for info in pkgutil.iter_modules(_package.__path__))
    for name in names:
        module = importlib.import_module(f"{_package.__name__}.{name}")
        declared = getattr(module, "ADAPTER", None)
        if declared is None:
            continue  # a helper module shared by adapters
        if not isinstance(declared, Adapter) or not getattr(declared, "kind", ""):
            raise TypeError(f"{module.__name__}.ADAPTER is not an Adapter with a kind")
        found.append(declared)
    _check_unique([a.kind for a in found], "kind")
    _check_unique([f.name for a in found for f in a.formats], "format")
    return tuple(found)


def _check_unique(names: list[str], what: str) -> None:
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise TypeError(f"two platforms declare the {what} {', '.join(twice)}")


def kinds() -> tuple[str, ...]:
    """The source kinds ``triage.toml`` accepts."""
    return tuple(a.kind for a in adapters())


def find(kind: str) -> Adapter | None:
    """The platform of sources of ``kind``, if one declares it."""
    return next((candidate for candidate in adapters() if candidate.kind == kind), None)


def adapter(kind: str) -> Adapter:
    """The platform of sources of ``kind``. Raises :class:`~triage.errors.ConfigError`
    for a kind no platform declares."""
    found = find(kind)
    if found is not None:
        return found
    raise ConfigError(f"no platform reads sources of kind {kind!r} (kinds: {', '.join(kinds())})")


def url_adapter() -> Adapter:
    """The platform that reads a bare ``http(s)://`` URL given to ``triage pull``."""
    for candidate in adapters():
        if candidate.opens_urls:
            return candidate
    raise ConfigError("no platform reads bare URLs")


def file_formats() -> tuple[FileFormat, ...]:
    """Every file format, in platform order."""
    return tuple(f for a in adapters() for f in a.formats)


def format_names() -> tuple[str, ...]:
    """The names ``triage pull --format`` accepts, in platform order."""
    return tuple(f.name for f in file_formats())


def file_format(name: str) -> FileFormat | None:
    """The file format called ``name``, if any."""
    for candidate in file_formats():
        if candidate.name == name:
            return candidate
    return None


def by_recognition() -> tuple[FileFormat, ...]:
    """The file formats as messages list them: those recognised by what is in a file
    first, the native format (what is left) last."""
    formats = file_formats()
    return tuple(f for f in formats if not f.native) + tuple(f for f in formats if f.native)


def looked_for() -> str:
    """What detection looks for, in words, for a message about a file of no known format."""
    parts = [f.looked_for for f in by_recognition()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def source_names() -> SourceNames:
    """The kinds and forceable formats, for validating ``[sources.NAME]`` tables."""
    forced = tuple(f.name for f in file_formats() if not f.native)
    return SourceNames(kinds=kinds(), formats=forced)


def sniff(record: dict[str, object]) -> str | None:
    """The format of a file whose first JSON object is ``record``: the strongest
    recognition of any platform, ties going to the first."""
    best: Recognised | None = None
    for candidate in adapters():
        found = candidate.sniff(record)
        if found is not None and (best is None or found.strength > best.strength):
            best = found
    return best.format if best is not None else None


def sniff_document(key: str, value: str | None, head: bytes) -> str | None:
    """The format of a pretty-printed document from its first key (see
    :meth:`~triage.platforms.base.Adapter.sniff_document`)."""
    for candidate in adapters():
        found = candidate.sniff_document(key, value, head)
        if found is not None:
            return found
    return None
