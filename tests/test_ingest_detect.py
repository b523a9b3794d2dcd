"""Telling file formats apart, reading folders, forcing a format, batching and progress."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from triage.platforms import Batch, SourceError
from triage.platforms.detect import FORMATS, detect_format, read_file_source

SOURCES = Path(__file__).parent / "fixtures" / "sources"
SESSIONS = SOURCES / "openclaw" / "agents" / "main" / "sessions"
SID = "b7300bff-a214-4c11-97ae-eab26883c67a"
EXPORTS = SOURCES / "openclaw" / "trajectory-exports"
EXPORT = EXPORTS / "openclaw-trajectory-b7300bff-2026-04-08T08-00-00"


def read_all(path: Path, **kwargs: Any) -> list[Batch]:
    return list(read_file_source(path, source="src", **kwargs))


def ids(batches: list[Batch]) -> list[str]:
    return [item.id for batch in batches for item in batch.items]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (SESSIONS / f"{SID}.jsonl", "openclaw-session"),
        (SESSIONS / "c0ffee00-1111-4222-8333-444455556666.jsonl", "openclaw-session"),
        (EXPORT, "openclaw-trajectory"),
        (EXPORT / "events.jsonl", "openclaw-trajectory"),
        (SOURCES / "otlp" / "agent_trace.jsonl", "otlp"),
        (SOURCES / "otlp" / "chat_aliases.json", "otlp"),
        (SOURCES / "promptfoo" / "results_v3.json", "promptfoo"),
        (SOURCES / "promptfoo" / "results_v2.json", "promptfoo"),
        (SOURCES / "native" / "items.jsonl", "jsonl"),
        (SESSIONS / "sessions.json", None),
        (SESSIONS, None),
    ],
)
def test_detect_format(path: Path, expected: str | None) -> None:
    assert detect_format(path) == expected


def test_detection_looks_past_a_broken_first_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    lines = (SESSIONS / f"{SID}.jsonl").read_text().splitlines()
    path.write_text('{"type":"session","version":\n' + "\n".join(lines[1:]) + "\n")
    assert detect_format(path) == "openclaw-session"
    batches = read_all(path)
    assert ids(batches)[0] == "s:e1"  # no header: the file name is the session id
    assert [r.line for b in batches for r in b.rejected] == [1, 13]


def test_whole_folder_of_mixed_formats() -> None:
    batches = read_all(SOURCES)
    items = [item for batch in batches for item in batch.items]
    assert {item.source for item in items} == {"src"}
    assert ids(batches) == [
        "n-1",
        f"{SID}:e1",
        f"{SID}:e9",
        f"{SID}:e15",
        "c0ffee00-1111-4222-8333-444455556666:2",
        "c0ffee00-1111-4222-8333-444455556666:5",
        f"{SID}:run-7f3a",
        f"{SID}:run-8b21",
        "5b8efff798038103d269b633813fc60c:a1a1a1a1a1a1a1a1",
        "0af7651916cd43dd8448eb211c80319c:e457b5a2e4d86bd1",
        "1f2e3d4c5b6a79880f1e2d3c4b5a6978:0102030405060708",
        "results_v2:0:0",
        "results_v2:0:1",
        "eval-7Xk-2026-04-08T09:00:00:0:0",
        "eval-7Xk-2026-04-08T09:00:00:1:0",
        "eval-7Xk-2026-04-08T09:00:00:2:0",
    ]
    assert not any(item.id.startswith("0a1b2c3d") for item in items)  # *.deleted.* skipped
    rejected = [(Path(r.source).name, r.line) for b in batches for r in b.rejected]
    assert rejected == [
        (f"{SID}.jsonl", 13),
        ("events.jsonl", 7),
        ("agent_trace.jsonl", 2),
        ("chat_aliases.json", 2),
        ("results_v2.json", 2),
        ("results_v3.json", 4),
    ]
    read_files = [
        p
        for p in SOURCES.rglob("*")
        if p.is_file() and ".deleted." not in p.name and p.name != "sessions.json"
    ]
    total = sum(p.stat().st_size for p in read_files)
    assert {b.total for b in batches} == {total}
    assert batches[-1].done == total
    dones = [b.done for b in batches]
    assert dones == sorted(dones)


def test_small_batches_keep_everything_and_count_progress() -> None:
    batches = read_all(SOURCES, batch_size=2)
    assert all(len(b.items) + len(b.rejected) <= 2 for b in batches)
    assert len(ids(batches)) == 16
    assert sum(len(b.rejected) for b in batches) == 6
    dones = [b.done for b in batches]
    assert dones == sorted(dones) and dones[-1] == batches[-1].total


def test_forced_format_reads_what_detection_cannot_tell(tmp_path: Path) -> None:
    document = json.loads((SOURCES / "otlp" / "chat_aliases.json").read_text())
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"schemaUrl": "x", **document}, indent=2))
    with pytest.raises(SourceError) as caught:
        read_file_source(path, source="src")
    assert str(caught.value).startswith(f"cannot tell the format of {path}: looked for ")
    batches = read_all(path, format="otlp")
    assert ids(batches) == ["1f2e3d4c5b6a79880f1e2d3c4b5a6978:0102030405060708"]


def test_forced_format_on_a_folder_reads_every_candidate_file(tmp_path: Path) -> None:
    shutil.copy(SOURCES / "promptfoo" / "results_v3.json", tmp_path / "a.json")
    (tmp_path / "notes.json").write_text('{"hello": "world"}')
    (tmp_path / "notes.txt").write_text("not json at all")
    assert ids(read_all(tmp_path)) == [
        "eval-7Xk-2026-04-08T09:00:00:0:0",
        "eval-7Xk-2026-04-08T09:00:00:1:0",
        "eval-7Xk-2026-04-08T09:00:00:2:0",
    ]
    batches = read_all(tmp_path, format="promptfoo")
    assert len(ids(batches)) == 3
    assert [(Path(r.source).name, r.reason) for b in batches for r in b.rejected][-1] == (
        "notes.json",
        "not a promptfoo results file (no 'results' object)",
    )


def test_forced_jsonl_delegates_to_the_native_reader(tmp_path: Path) -> None:
    batches = read_all(SOURCES / "native", format="jsonl")
    assert ids(batches) == ["n-1"]
    # Read as native items, a session transcript is only rejections.
    batches = read_all(SESSIONS / f"{SID}.jsonl", format="jsonl")
    assert ids(batches) == []
    assert len([r for b in batches for r in b.rejected]) == 20


def test_unknown_formats_and_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "thing.json"
    path.write_text('{"foo": 1}\n')
    with pytest.raises(SourceError, match="looked for an OpenClaw session transcript"):
        read_file_source(path, source="src")
    with pytest.raises(SourceError, match="no files of a known format in folder"):
        read_file_source(tmp_path, source="src")
    with pytest.raises(SourceError, match="no such file or folder"):
        read_file_source(tmp_path / "missing.json", source="src")
    with pytest.raises(SourceError, match="unknown format 'csv'"):
        read_file_source(path, source="src", format="csv")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("{}")
    with pytest.raises(SourceError, match="no otlp files in folder"):
        read_file_source(other, source="src", format="otlp")
    with pytest.raises(ValueError, match="batch_size"):
        read_file_source(path, source="src", batch_size=0)
    assert set(FORMATS) == {
        "openclaw-session",
        "openclaw-trajectory",
        "otlp",
        "promptfoo",
        "jsonl",
    }


def test_sidecar_next_to_its_transcript_is_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "agents" / "ops" / "sessions"
    folder.mkdir(parents=True)
    shutil.copy(SESSIONS / f"{SID}.jsonl", folder / f"{SID}.jsonl")
    shutil.copy(EXPORT / "events.jsonl", folder / f"{SID}.trajectory.jsonl")
    (folder / f"{SID}.trajectory-path.json").write_text('{"traceSchema":"x"}')
    batches = read_all(tmp_path)
    assert ids(batches) == [f"{SID}:e1", f"{SID}:e9", f"{SID}:e15"]
    assert {item.agent for b in batches for item in b.items} == {"ops"}
    (folder / f"{SID}.jsonl").unlink()
    assert ids(read_all(tmp_path)) == [f"{SID}:run-7f3a", f"{SID}:run-8b21"]


def test_gzip_compressed_files(tmp_path: Path) -> None:
    raw = (SOURCES / "otlp" / "agent_trace.jsonl").read_bytes()
    path = tmp_path / "traces.jsonl.gz"
    path.write_bytes(gzip.compress(raw))
    assert detect_format(path) == "otlp"
    batches = read_all(tmp_path)
    assert ids(batches) == [
        "5b8efff798038103d269b633813fc60c:a1a1a1a1a1a1a1a1",
        "0af7651916cd43dd8448eb211c80319c:e457b5a2e4d86bd1",
    ]
    assert batches[-1].done == batches[-1].total == path.stat().st_size


def test_export_folder_inside_a_folder_is_read_as_one(tmp_path: Path) -> None:
    shutil.copytree(EXPORT, tmp_path / "exports" / "one")
    batches = read_all(tmp_path)
    assert ids(batches) == [f"{SID}:run-7f3a", f"{SID}:run-8b21"]
    # metadata.json and the other bundle files are not read as sources of their own.
    assert [Path(r.source).name for b in batches for r in b.rejected] == ["events.jsonl"]


def test_jsonl_file_of_no_platform_format_is_read_as_native_items(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text('{"hello": "world"}\n[1]\n')
    assert detect_format(path) == "jsonl"
    batches = read_all(path)
    assert ids(batches) == []
    assert [(r.line, r.reason) for b in batches for r in b.rejected] == [
        (1, "missing required field 'id'"),
        (2, "record is a JSON array, expected an object"),
    ]
    # The same content under another name is not guessed at.
    other = tmp_path / "odd.ndjson"
    shutil.copy(path, other)
    assert detect_format(other) is None


def test_first_line_longer_than_the_part_looked_at(tmp_path: Path) -> None:
    long_text = "x" * 200_000
    otlp = tmp_path / "big.jsonl"
    record = json.loads((SOURCES / "otlp" / "agent_trace.jsonl").read_text().splitlines()[0])
    record["resourceSpans"][0]["resource"]["attributes"].append(
        {"key": "padding", "value": {"stringValue": long_text}}
    )
    otlp.write_text(json.dumps(record) + "\n")
    assert detect_format(otlp) == "otlp"
    trajectory = tmp_path / "run.trajectory.jsonl"
    event = {"traceSchema": "openclaw-trajectory", "schemaVersion": 1, "data": long_text}
    trajectory.write_text(json.dumps(event) + "\n")
    assert detect_format(trajectory) == "openclaw-trajectory"
    session = tmp_path / "s.jsonl"
    session.write_text(json.dumps({"type": "message", "message": {"content": long_text}}) + "\n")
    assert detect_format(session) == "openclaw-session"


def test_a_folder_reads_what_it_can_and_names_each_file_it_cannot(tmp_path: Path) -> None:
    """Real failures that bind root too: a read error (a link to ``/proc/self/mem``,
    whose first page is not mapped), a link to a missing file, gzip data damaged from
    the start, and files removed between listing and reading, in every format."""
    root = tmp_path / "in"
    shutil.copytree(SOURCES, root)
    eio = root / "native" / "bad-disk.jsonl"
    eio.symlink_to("/proc/self/mem")
    dangling = root / "otlp" / "moved.json"
    dangling.symlink_to(tmp_path / "nowhere.json")
    damaged = root / "promptfoo" / "damaged.json.gz"
    damaged.write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    batches = read_file_source(root, source="src")  # the folder is listed here
    session = root / "openclaw" / "agents" / "main" / "sessions" / f"{SID}.jsonl"
    trace = root / "otlp" / "chat_aliases.json"
    results = root / "promptfoo" / "results_v2.json"
    for path in (session, trace, results):
        path.unlink()
    got = list(batches)
    skipped = [message for batch in got for message in batch.skipped]
    assert sorted(skipped) == sorted(
        [
            f"cannot read {eio}: input/output error",
            f"cannot open {dangling}: a link to a missing file",
            f"cannot read {damaged}: corrupt or truncated gzip data: unknown compression method",
            f"cannot open {session}: no such file or directory",
            f"cannot open {trace}: no such file or directory",
            f"cannot open {results}: no such file or directory",
        ]
    )
    assert not any("errno" in message.lower() for message in skipped)
    assert ids(got) == [  # everything of test_whole_folder_of_mixed_formats but the removed
        "n-1",
        "c0ffee00-1111-4222-8333-444455556666:2",
        "c0ffee00-1111-4222-8333-444455556666:5",
        f"{SID}:run-7f3a",
        f"{SID}:run-8b21",
        "5b8efff798038103d269b633813fc60c:a1a1a1a1a1a1a1a1",
        "0af7651916cd43dd8448eb211c80319c:e457b5a2e4d86bd1",
        "eval-7Xk-2026-04-08T09:00:00:0:0",
        "eval-7Xk-2026-04-08T09:00:00:1:0",
        "eval-7Xk-2026-04-08T09:00:00:2:0",
    ]
    assert got[-1].done == got[-1].total  # progress still ends at the total


def test_a_single_unreadable_file_is_an_error_that_says_why(tmp_path: Path) -> None:
    path = tmp_path / "bad-disk.json"
    path.symlink_to("/proc/self/mem")
    with pytest.raises(SourceError) as caught:
        read_all(path)
    assert str(caught.value) == f"cannot read {path}: input/output error"


def test_a_link_back_up_the_tree_is_read_once(tmp_path: Path) -> None:
    shutil.copytree(SOURCES / "native", tmp_path / "native")
    (tmp_path / "native" / "again").symlink_to(tmp_path)
    assert ids(read_all(tmp_path)) == ["n-1"]
    assert ids(read_all(tmp_path, format="jsonl")) == ["n-1"]


@pytest.mark.parametrize("end", [b"\r", b"\r\n"])
def test_old_mac_and_windows_line_ends_read_like_unix_ones(tmp_path: Path, end: bytes) -> None:
    for source in (SESSIONS / f"{SID}.jsonl", SOURCES / "otlp" / "agent_trace.jsonl"):
        converted = tmp_path / source.name
        converted.write_bytes(source.read_bytes().replace(b"\n", end))
        assert detect_format(converted) == detect_format(source)
        want, got = read_all(source), read_all(converted)
        assert ids(got) == ids(want) and ids(got)
        assert [(r.line, r.reason) for b in got for r in b.rejected] == [
            (r.line, r.reason) for b in want for r in b.rejected
        ]
