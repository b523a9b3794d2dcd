"""Pull of 100,000 items from a local HTTP endpoint into SQLite, against a bare
``sqlite3.executemany`` of the same rows into a table of the same shape.

Prints both times and the ratio (goal: pull ≤ 3× executemany), plus the same
pull with triage on (rules + novelty for every item as it lands).
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import multiprocessing.queues
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from urllib.parse import parse_qs, urlsplit

from _common import Timer, scratch, workspace

from triage.demo import scale_records
from triage.platforms.native import parse_record
from triage.storage.convert import prepare
from triage.storage.engine import make_engine, migrate

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
PAGE = 5000
ROUNDS = 3


def serve_forever(pages: list[bytes], port: multiprocessing.queues.Queue[int]) -> None:
    server = serve(pages)
    port.put(server.server_address[1])
    threading.Event().wait()


def serve_elsewhere(pages: list[bytes]) -> tuple[multiprocessing.Process, int]:
    """The endpoint in a process of its own, as a real one would be."""
    ports: multiprocessing.queues.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=serve_forever, args=(pages, ports), daemon=True)
    process.start()
    return process, ports.get(timeout=60)


def serve(pages: list[bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            query = parse_qs(urlsplit(self.path).query)
            page = int(query.get("page", ["0"])[0])
            body = pages[page]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def build_pages(records: list[dict[str, object]]) -> list[bytes]:
    pages = []
    count = (len(records) + PAGE - 1) // PAGE
    for i in range(count):
        chunk = records[i * PAGE : (i + 1) * PAGE]
        nxt = f"?page={i + 1}" if i + 1 < count else None
        pages.append(json.dumps({"items": chunk, "next": nxt}).encode())
    return pages


def bare_executemany(records: list[dict[str, object]], path: str, *, schema: bool) -> float:
    """The reference: the same rows, already parsed, straight into SQLite; into a
    plain table, or (``schema``) into triage's own ``item`` table with its indexes."""
    rows = []
    for record in records:
        p = prepare(parse_record(record, source="bench"))
        rows.append(
            (
                p.item.source, p.item.id, p.created_at.isoformat(), p.item.agent,
                p.item.task_type, p.item.model, p.item.input, p.item.output, p.tool_calls,
                p.transcript, p.meta, p.digest,
            )
        )  # fmt: skip
    if schema:
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    if not schema:
        conn.execute(
            "CREATE TABLE item (pk INTEGER PRIMARY KEY, source TEXT, item_id TEXT,"
            " created_at TEXT, agent TEXT, task_type TEXT, model TEXT, input TEXT, output TEXT,"
            " tool_calls TEXT, transcript TEXT, meta TEXT, content_hash TEXT,"
            " revision INTEGER, pulled_at TEXT, updated_at TEXT, risk REAL,"
            " UNIQUE(source, item_id))"
        )
    when = "2026-11-21 00:00:00.000000"
    with Timer() as t:
        conn.executemany(
            "INSERT INTO item (source, item_id, created_at, agent, task_type, model, input,"
            " output, tool_calls, transcript, meta, content_hash, revision, pulled_at,"
            " updated_at, risk) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*row, 1, when, when, 0.0) for row in rows],
        )
        conn.commit()
    conn.close()
    return t.seconds


def main() -> None:
    records = list(islice(scale_records(N, seed=3), N))
    size = sum(len(json.dumps(r)) for r in records) / len(records)
    pages = build_pages(records)
    server, port = serve_elsewhere(pages)
    # The fixtures above live in this process too; keep the collector off them
    # so it costs the pull what it would cost in a process of its own.
    gc.collect()
    gc.freeze()
    url = f"http://127.0.0.1:{port}/items"
    # Best of three for both sides: the ratio should measure the code, not the
    # machine's other load at that moment.
    references, schema_refs, pulls = [], [], []
    for _ in range(ROUNDS):
        with scratch() as folder:
            references.append(bare_executemany(records, str(folder / "bare.db"), schema=False))
            schema_refs.append(bare_executemany(records, str(folder / "s.db"), schema=True))
            ws = workspace(folder)
            with Timer() as pull:
                report = ws.pull([url], triage=False)
            ws.close()
            assert report.new == N and not report.rejected and not report.errors
            pulls.append(pull.seconds)
    reference, schema_ref, best = min(references), min(schema_refs), min(pulls)
    with scratch() as folder:
        ws = workspace(folder)
        with Timer() as pull_triage:
            report = ws.pull([url], triage=True)
        ws.close()
    server.terminate()
    print(f"pull {N:,} items (~{size:.0f} B each) over local HTTP into SQLite")
    print(f"  bare sqlite3.executemany (best of {ROUNDS})     : {reference:6.2f} s  (plain table)")
    print(f"  the same into triage's item table        : {schema_ref:6.2f} s  (its four indexes)")
    print(
        f"  triage pull --no-triage (best of {ROUNDS})      : {best:6.2f} s"
        f"  ({best / reference:.2f}x the plain executemany, goal <= 3x;"
        f" {best / schema_ref:.2f}x into the same table)"
    )
    print(
        f"  triage pull, triaging as it lands        : {pull_triage.seconds:6.2f} s"
        f"  ({N / pull_triage.seconds:,.0f} items/s)"
    )


if __name__ == "__main__":
    main()
