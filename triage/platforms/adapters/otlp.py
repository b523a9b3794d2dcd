"""OpenTelemetry GenAI spans exported as OTLP/JSON: one ``{"resourceSpans":[…]}``
document, or one per line as the collector's file exporter writes them.

``kind = "otlp"`` with a ``path``; ``--format otlp`` forces it on files (``.json``,
``.jsonl``, ``.ndjson``, gzip-compressed too). Recognised by ``resourceSpans`` in the
first object (or as a pretty-printed document's first key). What becomes an item, and
how: :mod:`triage.platforms.otlp`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from triage.platforms.base import FileAdapter, FileFormat, Recognised, Strength

if TYPE_CHECKING:
    from triage.platforms.common import Context, Emitted


def _read(path: Path, ctx: Context) -> Iterator[Emitted]:
    from triage.platforms.otlp import read_otlp

    return read_otlp(path, ctx)


class Otlp(FileAdapter):
    kind = "otlp"
    title = "OpenTelemetry (OTLP/JSON)"
    formats = (FileFormat("otlp", 'OTLP/JSON traces ({"resourceSpans":[…]})', records=_read),)
    default_format = "otlp"

    def sniff(self, record: Mapping[str, object]) -> Recognised | None:
        return Recognised("otlp", Strength.MARKER) if "resourceSpans" in record else None

    def sniff_document(self, key: str, value: str | None, head: bytes) -> str | None:
        return "otlp" if key == "resourceSpans" else None


ADAPTER = Otlp()
