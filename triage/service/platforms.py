"""What the faces may know of the platforms without reaching into them: their names.

The command line offers ``triage pull --format`` from here; the names come from the
platform registry (:mod:`triage.platforms.registry`), asked only when they are needed,
so starting the command line loads no platform.
"""

from __future__ import annotations

__all__ = ["file_formats"]


def file_formats() -> tuple[str, ...]:
    """The formats files can be read as (``triage pull --format``), in platform order."""
    from triage.platforms.registry import format_names

    return format_names()
