"""Records over the size limit are skipped while they are read and reported, whatever
the format or compression; memory stays bounded by the limit, not by the record."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from factories import record

from triage.core.models import Item, Rejection
from triage.platforms.common import Context
from triage.platforms.detect import read_file_source
from triage.platforms.jsonl import read_jsonl
from triage.platforms.lines import DEFAULT_MAX_RECORD_BYTES, split_lines
from triage.platforms.otlp import read_otlp
from triage.platforms.promptfoo import read_promptfoo

ROOT = Path(__file__).resolve().parent.parent


def line(n: int, **overrides: object) -> bytes:
    return json.dumps(record(n, **overrides)).encode() + b"\n"


def read(path: Path, **kwargs: object) -> tuple[list[str], list[Rejection]]:
    ids: list[str] = []
    rejected: list[Rejection] = []
    for batch in read_jsonl(path, source="files", **kwargs):  # type: ignore[arg-type]
        ids += [item.id for item in batch.items]
        rejected += batch.rejected
    return ids, rejected


def test_the_default_limit_is_far_above_the_outputs_promised() -> None:
    assert DEFAULT_MAX_RECORD_BYTES == 64 * 1024 * 1024
    assert DEFAULT_MAX_RECORD_BYTES >= 6 * 10_000_000


def test_a_line_over_the_limit_is_reported_with_its_line_and_length(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    big = line(2, output="x" * 5000)
    path.write_bytes(line(1) + big + line(3))
    ids, rejected = read(path, max_record_bytes=4000)
    assert ids == ["rec-0001", "rec-0003"]
    assert rejected == [
        Rejection(
            str(path),
            2,
            f"record is {len(big) - 1:,} bytes long, over the limit of 4,000 bytes "
            "(max_record_bytes)",
        )
    ]


def test_an_over_long_line_spanning_many_chunks_is_counted_not_held() -> None:
    data = b'{"a":1}\n' + b" " * 10_000 + b"x\r\n" + b'{"b":2}'
    lines = list(split_lines(io.BytesIO(data), limit=100, chunk=64))
    assert [(entry.number, entry.data, entry.ended) for entry in lines] == [
        (1, b'{"a":1}', True),
        (2, b"", True),
        (3, b'{"b":2}', False),
    ]
    assert lines[1].problem is not None and "10,001 bytes long" in lines[1].problem
    assert lines[-1].end == len(data)


def test_a_gzip_bomb_line_is_skipped_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as out:
        out.write(line(1))
        for _ in range(64):
            out.write(b" " * 65536)  # 4 MiB of spaces on line 2, no newline yet
        out.write(b"\n" + line(3))
    assert path.stat().st_size < 64 * 1024
    ids, rejected = read(path, max_record_bytes=1024 * 1024)
    assert ids == ["rec-0001", "rec-0003"]
    assert [(r.line, r.reason.split(",")[0]) for r in rejected] == [
        (2, "record is 4")  # 4,194,304 bytes
    ]
    assert "4,194,304 bytes long" in rejected[0].reason


def test_every_line_format_applies_the_limit(tmp_path: Path) -> None:
    session = tmp_path / "s.jsonl"
    header = {"type": "session", "version": 3, "id": "s1", "timestamp": "2026-01-05T10:00:00Z"}
    session.write_text(
        json.dumps(header) + "\n" + json.dumps({"type": "custom", "x": "y" * 500}) + "\n"
    )
    found = list(read_file_source(session, source="files", max_record_bytes=200))
    reasons = [(r.line, r.reason) for batch in found for r in batch.rejected]
    assert reasons and reasons[0][0] == 2 and "over the limit of 200 bytes" in reasons[0][1]

    spans = tmp_path / "t.jsonl"
    export = {"resourceSpans": []}
    spans.write_text(json.dumps(export) + "\n" + json.dumps({**export, "pad": "p" * 500}) + "\n")
    rejected = [r for r in read_otlp(spans, Context("files", max_record_bytes=200))]
    assert [(r.line, "over the limit" in r.reason) for r in rejected] == [(2, True)]  # type: ignore[union-attr]


def test_a_whole_document_over_the_limit_is_rejected_even_compressed(tmp_path: Path) -> None:
    document = {"evalId": "e", "results": {"version": 3, "results": []}, "pad": " " * 5000}
    plain = tmp_path / "results.json"
    plain.write_text(json.dumps(document))
    packed = tmp_path / "packed.json"
    packed.write_bytes(gzip.compress(json.dumps(document).encode()))
    ctx = Context("files", max_record_bytes=1000)
    [too_big] = list(read_promptfoo(plain, ctx))
    assert isinstance(too_big, Rejection)
    assert too_big.reason.startswith(f"document is {plain.stat().st_size:,} bytes long, over")
    [inflated] = list(read_promptfoo(packed, ctx))
    assert isinstance(inflated, Rejection)
    assert inflated.reason == (
        "document is over 1,000 bytes, over the limit of 1,000 bytes (max_record_bytes)"
    )
    otlp = tmp_path / "trace.json"
    otlp.write_text(json.dumps({"resourceSpans": [], "pad": " " * 5000}))
    [rejected] = list(read_otlp(otlp, ctx))
    assert isinstance(rejected, Rejection) and "over the limit" in rejected.reason
    assert not [x for x in read_otlp(otlp, Context("files")) if not isinstance(x, Item)]


CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from triage.platforms.jsonl import read_jsonl
    ids, rejected = [], []
    for batch in read_jsonl(Path(sys.argv[1]), source="f"):
        ids += [item.id for item in batch.items]
        rejected += [r.line for r in batch.rejected]
    # VmHWM is this process's own high-water mark; getrusage's ru_maxrss would also count
    # the parent's, which exec carries over (a full test run's parent is hundreds of MiB).
    status = Path("/proc/self/status").read_text()
    peak = int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")))
    print(json.dumps({"ids": ids, "rejected": rejected, "peak_kib": peak}))
    """
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_memory_stays_bounded_by_the_limit_not_by_a_gzip_bomb(tmp_path: Path) -> None:
    """A 1 GiB line of spaces in a ~1 MiB gzip file: the reader's peak memory stays near
    the 64 MiB default limit (held before the line is known to be over it); reading the
    line whole, as ``for line in file`` does, needs more than the gigabyte."""
    path = tmp_path / "bomb.jsonl.gz"
    spaces = b" " * (1024 * 1024)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(line(1))
        for _ in range(1024):
            out.write(spaces)
        out.write(b"\n" + line(3))
    assert path.stat().st_size < 8 * 1024 * 1024
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=600,  # a safety net only: the assertions are on what was read
        check=True,
        cwd=ROOT,
    )
    seen = json.loads(done.stdout)
    assert (seen["ids"], seen["rejected"]) == (["rec-0001", "rec-0003"], [2])
    assert seen["peak_kib"] < 256 * 1024, f"peak RSS {seen['peak_kib']} KiB"


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_byte_is_refused(tmp_path: Path, limit: int) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(1))
    with pytest.raises(ValueError, match="max_record_bytes"):
        read_jsonl(path, source="files", max_record_bytes=limit)
