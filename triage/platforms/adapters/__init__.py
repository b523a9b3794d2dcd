"""One module per platform, each defining ``ADAPTER`` (a
:class:`triage.platforms.base.Adapter`): everything triage knows about that platform,
found by :mod:`triage.platforms.registry` without being listed anywhere.

An adapter module stays light: it imports its reader (and httpx, pydantic) only when it
reads or sends, so listing the platforms costs next to nothing.
"""
