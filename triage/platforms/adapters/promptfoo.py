"""promptfoo eval results (``promptfoo eval -o results.json``): one item per result.

``kind = "promptfoo"`` with a ``path``; ``--format promptfoo`` forces it on ``.json``
files. Recognised by ``evalId``, or a ``results`` object with ``version`` or ``table``,
in the document (a pretty-printed one by its first key: ``evalId``, or ``results``,
``config``, ``shareableUrl`` or ``metadata`` with ``promptIdx`` or ``table`` further on).
The mapping: :mod:`triage.platforms.promptfoo`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from triage.platforms.base import FileAdapter, FileFormat, Recognised, Strength

if TYPE_CHECKING:
    from triage.platforms.common import Context, Emitted

_OTHER_FIRST_KEYS = ("results", "config", "shareableUrl", "metadata")


def _read(path: Path, ctx: Context) -> Iterator[Emitted]:
    from triage.platforms.promptfoo import read_promptfoo

    return read_promptfoo(path, ctx)


class Promptfoo(FileAdapter):
    kind = "promptfoo"
    title = "promptfoo"
    formats = (
        FileFormat(
            "promptfoo",
            'promptfoo results ({"evalId":…,"results":{…}})',
            records=_read,
            suffixes=(".json",),
        ),
    )
    default_format = "promptfoo"

    def sniff(self, record: Mapping[str, object]) -> Recognised | None:
        results = record.get("results")
        if "evalId" in record or (
            isinstance(results, dict) and results.keys() & {"version", "table"}
        ):
            return Recognised("promptfoo", Strength.MARKER)
        return None

    def sniff_document(self, key: str, value: str | None, head: bytes) -> str | None:
        if key == "evalId":
            return "promptfoo"
        if key in _OTHER_FIRST_KEYS and (b'"promptIdx"' in head or b'"table"' in head):
            return "promptfoo"
        return None


ADAPTER = Promptfoo()
