"""Native items: JSON Lines files (``.jsonl``, ``.jsonl.gz``) or folders of them, one
item per line in triage's own shape (``id``, ``created_at``, ``agent``, ``task_type``,
``input``, ``output``, ``model``, …: :mod:`triage.platforms.native`).

``kind = "jsonl"`` with a ``path``; ``--format jsonl`` forces it. A file is recognised
by a first object with ``id`` and ``created_at`` (the weakest recognition: any other
format that matches wins), and a ``.jsonl`` file that no format recognises is read as
native items too, so its reader can say what is wrong with each line. Reading:
:func:`triage.platforms.jsonl.read_jsonl`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from triage.platforms.base import FileAdapter, FileFormat, Recognised, Strength

if TYPE_CHECKING:
    from triage.platforms import Batch
    from triage.platforms.common import Context


def _read(path: Path, ctx: Context, batch_size: int) -> Iterator[Batch]:
    from triage.platforms.jsonl import read_jsonl

    return read_jsonl(
        path, source=ctx.source, batch_size=batch_size, max_record_bytes=ctx.max_record_bytes
    )


class Jsonl(FileAdapter):
    kind = "jsonl"
    title = "native JSON Lines"
    formats = (
        FileFormat(
            "jsonl",
            'native JSON Lines items ({"id":…,"created_at":…})',
            batches=_read,
            suffixes=(".jsonl",),
            native=True,
        ),
    )
    default_format = "jsonl"

    def sniff(self, record: Mapping[str, object]) -> Recognised | None:
        if "id" in record and "created_at" in record:
            return Recognised("jsonl", Strength.GENERIC)
        return None


ADAPTER = Jsonl()
