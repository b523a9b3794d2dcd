"""triage: decide which AI-agent outputs a human reads closely, glances at, or lets pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

from triage.config import source_kinds as _source_kinds

if TYPE_CHECKING:
    from triage.config.source_kinds import SourceNames

__version__ = "0.1.0"


def _source_names() -> SourceNames:
    # Configuration cannot import the platforms (it sits below them), so it is handed
    # the registry's names here; they are read when a [sources.NAME] table is validated.
    from triage.platforms.registry import source_names

    return source_names()


_source_kinds.install(_source_names)
