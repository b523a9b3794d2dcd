"""Reading JSON Lines files, gzip files and folders."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from triage.core.models import Rejection
from triage.platforms import Batch, SourceError
from triage.platforms.jsonl import read_jsonl


def rec(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"r-{n}",
        "created_at": "2024-05-01T10:00:00Z",
        "agent": "support-bot",
        "task_type": "support_reply",
        "input": f"question {n}",
        "output": f"answer {n}",
        "model": "m-1",
        **fields,
    }


def line(n: int, **fields: Any) -> bytes:
    return json.dumps(rec(n, **fields)).encode() + b"\n"


def read_all(path: Path, **kwargs: Any) -> list[Batch]:
    return list(read_jsonl(path, source="files", **kwargs))


def ids(batches: list[Batch]) -> list[str]:
    return [item.id for batch in batches for item in batch.items]


def rejections(batches: list[Batch]) -> list[Rejection]:
    return [r for batch in batches for r in batch.rejected]


def test_mixed_good_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        line(1)  # 1
        + b"\n"  # 2: blank, skipped silently
        + b'{"id": "r-x" "created_at": 1}\n'  # 3: invalid JSON
        + line(2)  # 4
        + json.dumps(rec(3, created_at="yesterday")).encode()
        + b"\n"  # 5
        + b"[1, 2]\n"  # 6
        + b"   \t \r\n"  # 7: blank
        + line(4).replace(b"answer", b"answ\xff\xfer")  # 8: invalid UTF-8
        + json.dumps({k: v for k, v in rec(5).items() if k != "agent"}).encode()
        + b"\n"  # 9
        + line(6)[:-1]
        + b"\r\n"  # 10: CRLF is fine
        + line(7, tool_calls="lookup")  # 11
        + line(8)  # 12
        + line(9)[:40]  # 13: cut off mid-write
    )
    batches = read_all(path)
    assert ids(batches) == ["r-1", "r-2", "r-6", "r-8"]
    label = str(path)
    assert rejections(batches) == [
        Rejection(label, 3, "invalid JSON: Expecting ',' delimiter at column 14"),
        Rejection(label, 5, "'created_at' is not an ISO 8601 date-time: 'yesterday'"),
        Rejection(label, 6, "record is a JSON array, expected an object"),
        Rejection(label, 8, f"invalid UTF-8 at byte {line(4).index(b'answer') + 5}"),
        Rejection(label, 9, "missing required field 'agent'"),
        Rejection(label, 11, "'tool_calls' must be a list of objects"),
        Rejection(label, 13, "truncated record at end of file"),
    ]
    assert all(item.source == "files" for batch in batches for item in batch.items)


def test_last_line_without_newline_is_read_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(1) + line(2).rstrip(b"\n"))
    batches = read_all(path)
    assert ids(batches) == ["r-1", "r-2"]
    assert rejections(batches) == []


def test_truncated_last_line_inside_a_multibyte_character(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    cut = json.dumps(rec(2, output="größer"), ensure_ascii=False).encode()
    path.write_bytes(line(1) + cut[: cut.index("ö".encode()) + 1])
    assert rejections(read_all(path)) == [
        Rejection(str(path), 2, "truncated record at end of file")
    ]


def test_invalid_json_in_the_last_line_with_newline_is_not_truncation(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(1) + b'{"id": \n')
    # Column 8: just past the line's last character (the line end is not counted).
    assert rejections(read_all(path)) == [
        Rejection(str(path), 2, "invalid JSON: Expecting value at column 8")
    ]


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line(1) + line(2))
    assert ids(read_all(path)) == ["r-1", "r-2"]


def test_unpaired_surrogate_escape_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        line(1, output="\U0001f600")  # json.dumps escapes it as a valid pair
        + line(2).replace(b"answer 2", b"answer \\ud800")
    )
    batches = read_all(path)
    assert ids(batches) == ["r-1"]
    assert [item.output for item in batches[0].items] == ["\U0001f600"]
    assert rejections(batches) == [
        Rejection(
            str(path),
            2,
            "contains an unpaired UTF-16 surrogate escape (such as \\ud800), "
            "which is not valid text",
        )
    ]


def test_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(line(1) + b"nope\n" + line(2)))
    batches = read_all(path)
    assert ids(batches) == ["r-1", "r-2"]
    assert rejections(batches) == [
        Rejection(str(path), 2, "invalid JSON: Expecting value at column 1")
    ]
    assert batches[-1].done == batches[-1].total == path.stat().st_size


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(gzip.compress(line(1)))
    assert ids(read_all(path)) == ["r-1"]


def test_truncated_gzip_keeps_what_was_readable(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    whole = gzip.compress(b"".join(line(n) for n in range(1, 2001)))
    path.write_bytes(whole[: len(whole) // 2])
    batches = read_all(path)
    got = ids(batches)
    assert 0 < len(got) < 2000
    assert got == [f"r-{n}" for n in range(1, len(got) + 1)]
    [rejection] = rejections(batches)
    assert rejection.source == str(path)
    assert rejection.line > len(got)
    assert rejection.reason.startswith("corrupt or truncated gzip data: ")


def test_folder_is_read_recursively_in_path_order(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    (root / "b").mkdir(parents=True)
    (root / "a" / "deep").mkdir(parents=True)
    (root / "b" / "2.jsonl").write_bytes(line(4) + b"{bad\n")
    (root / "a" / "deep" / "1.jsonl.gz").write_bytes(gzip.compress(line(2)))
    (root / "a" / "0.jsonl").write_bytes(line(1))
    (root / "a" / "notes.txt").write_bytes(b"not a record\n")
    (root / "a" / "old.json").write_bytes(line(99))
    (root / "z.jsonl").write_bytes(line(5))
    (root / "a" / "deep" / "3.jsonl").write_bytes(line(3))
    batches = read_all(root)
    assert ids(batches) == ["r-1", "r-2", "r-3", "r-4", "r-5"]
    assert rejections(batches) == [
        Rejection(
            str(root / "b" / "2.jsonl"),
            2,
            "invalid JSON: Expecting property name enclosed in double quotes at column 2",
        )
    ]
    sizes = sum(
        (root / p).stat().st_size
        for p in ["a/0.jsonl", "a/deep/1.jsonl.gz", "a/deep/3.jsonl", "b/2.jsonl", "z.jsonl"]
    )
    assert {batch.total for batch in batches} == {sizes}
    assert batches[-1].done == sizes


def test_rejection_source_is_the_path_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "sub" / "x.jsonl").write_bytes(b"{}\n")
    monkeypatch.chdir(tmp_path)
    [rejection] = rejections(read_all(Path("in")))
    assert rejection == Rejection("in/sub/x.jsonl", 1, "missing required field 'id'")


def test_batches_are_bounded_and_report_progress(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = [line(n) if n % 5 else b"bad\n" for n in range(1, 24)]
    path.write_bytes(b"".join(lines))
    batches = read_all(path, batch_size=5)
    assert [len(b.items) + len(b.rejected) for b in batches] == [5, 5, 5, 5, 3]
    assert ids(batches) == [f"r-{n}" for n in range(1, 24) if n % 5]
    assert [r.line for r in rejections(batches)] == [5, 10, 15, 20]
    size = path.stat().st_size
    assert [b.done for b in batches] == [
        sum(len(x) for x in lines[:5]),
        sum(len(x) for x in lines[:10]),
        sum(len(x) for x in lines[:15]),
        sum(len(x) for x in lines[:20]),
        size,
    ]
    assert all(b.total == size and b.position is None for b in batches)


def test_empty_file_ends_with_one_empty_batch(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\n\n")
    assert read_all(path) == [Batch([], [], 2, 2)]


def test_missing_path_raises_source_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(SourceError) as caught:
        read_jsonl(missing, source="files")
    assert str(caught.value) == f"cannot open {missing}: no such file or folder"


def test_folder_without_jsonl_files_raises_source_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SourceError) as caught:
        read_jsonl(tmp_path, source="files")
    assert str(caught.value) == f"no .jsonl or .jsonl.gz files in folder {tmp_path}"


def test_file_that_vanishes_before_reading_is_skipped_and_named(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(line(1))
    (tmp_path / "b.jsonl").write_bytes(line(2))
    (tmp_path / "c.jsonl").write_bytes(line(3))
    batches = read_jsonl(tmp_path, source="files", batch_size=1)
    assert ids([next(batches)]) == ["r-1"]
    (tmp_path / "b.jsonl").unlink()  # listed, then gone before it was read
    rest = list(batches)
    assert ids(rest) == ["r-3"]
    assert [message for batch in rest for message in batch.skipped] == [
        f"cannot open {tmp_path / 'b.jsonl'}: no such file or directory"
    ]


def test_a_single_file_that_vanishes_before_reading_raises_source_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(1))
    batches = read_jsonl(path, source="files")
    path.unlink()
    with pytest.raises(SourceError) as caught:
        next(batches)
    assert str(caught.value) == f"cannot open {path}: no such file or directory"


def test_package_exports_readers_lazily() -> None:
    import triage.platforms as ingest
    from triage.platforms import native

    assert ingest.read_jsonl is read_jsonl
    assert ingest.parse_record is native.parse_record
    assert ingest.RecordError is native.RecordError
    code = (
        "import sys, triage.platforms\n"
        "assert 'httpx' not in sys.modules\n"
        "assert 'pydantic' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_batch_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        read_jsonl(tmp_path, source="files", batch_size=0)


@pytest.mark.parametrize("end", [b"\r", b"\r\n", b"\n"])
def test_every_line_end_splits_lines(tmp_path: Path, end: bytes) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(end.join([line(1).rstrip(), line(2).rstrip(), b"{", line(3).rstrip()]) + end)
    batches = read_all(path)
    assert ids(batches) == ["r-1", "r-2", "r-3"]
    assert [(r.line, r.reason.split(":")[0]) for r in rejections(batches)] == [(3, "invalid JSON")]


def test_a_crlf_split_between_two_reads_is_one_line_end(tmp_path: Path) -> None:
    from triage.platforms.lines import split_lines

    first = line(1).rstrip()
    data = first + b"\r\n" + line(2).rstrip() + b"\r\r\n"
    import io

    lines = list(split_lines(io.BytesIO(data), chunk=len(first) + 1))  # cut after the \r
    assert [(entry.number, entry.data[:9]) for entry in lines] == [
        (1, b'{"id": "r'),
        (2, b'{"id": "r'),
        (3, b""),  # the lone \r ends an empty line before the \r\n
    ]
    assert lines[-1].end == len(data)


def test_nan_infinity_and_huge_numbers_reject_the_record_naming_the_field(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        line(1)
        + line(2).replace(b'"m-1"', b'"m-1", "meta": {"amount": NaN}')
        + line(3).replace(b'"m-1"', b'"m-1", "score": -Infinity')
        + line(4).replace(
            b'"m-1"', b'"m-1", "tool_calls": [{"name": "t", "arguments": {"x": [1e999]}}]'
        )
        + line(5).replace(b'"m-1"', b'"m-1", "meta": {"tiny": 1e-999, "big": 1e308}')
        + line(6).replace(b'"m-1"', b'"m-1", "meta": {"n": Infinity}').rstrip()  # last line
    )
    batches = read_all(path)
    assert ids(batches) == ["r-1", "r-5"]
    assert [(r.line, r.reason) for r in rejections(batches)] == [
        (2, "'meta.amount' is NaN, which is not a number JSON can carry"),
        (3, "'score' is -Infinity, which is not a number JSON can carry"),
        (
            4,
            "'tool_calls[0].arguments.x[0]' is 1e999, a number beyond the range that can be stored",
        ),
        (6, "'meta.n' is Infinity, which is not a number JSON can carry"),
    ]
