"""Import of 10,000 past verdicts from a CSV file (``triage verdict --from``).

Builds a workspace of 10,000 items (a generated JSON Lines file, pulled and triaged),
writes a 10,000-line CSV of verdicts (ok, fail with one or two failure modes,
escalate; each with its own past time) and times the import, then the same import
again (everything found, nothing written). On SQLite always; on PostgreSQL too when
``TRIAGE_BENCH_PG`` names a database URL or the local server's ``test`` database
(127.0.0.1:5432) answers, in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import sys
import uuid
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from _common import Timer, scratch, workspace

from triage.config import Config
from triage.demo import scale_records
from triage.service.workspace import Workspace, shipped_rules_dir

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MODES = ("wrong-amount", "made-up-fact", "rude-tone", "missed-question", "over-policy")


def write_items(path: Path) -> list[str]:
    records = list(islice(scale_records(N, seed=5), N))
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    return [str(r["id"]) for r in records]


def write_labels(path: Path, ids: list[str]) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "outcome", "modes", "note", "reviewer", "at"])
        for n, item_id in enumerate(ids):
            at = (start + timedelta(minutes=3 * n)).isoformat()
            if n % 10 < 6:
                writer.writerow([item_id, "ok", "", "", "ana", at])
            elif n % 10 < 9:
                modes = ";".join(MODES[(n + k) % len(MODES)] for k in range(1 + n % 2))
                writer.writerow([item_id, "fail", modes, f"seen in the old tool, #{n}", "bo", at])
            else:
                writer.writerow([item_id, "escalate", "", "legal should look", "cy", at])


def run(ws: Workspace, items: Path, labels: Path, name: str) -> None:
    with Timer() as pull:
        pulled = ws.pull([str(items)])
    assert pulled.new == N and not pulled.rejected, pulled
    with Timer() as first:
        report = ws.import_verdicts(labels)
    assert (report.imported, report.rejected) == (N, []), report.rejected[:3]
    with Timer() as again:
        second = ws.import_verdicts(labels)
    assert (second.imported, second.unchanged) == (0, N)
    with Timer() as verify:
        check = ws.verify_audit()
    assert check.ok, check.problems
    print(
        f"{name}: import of {N:,} verdicts {first.seconds:.2f} s "
        f"({N / first.seconds:,.0f} verdicts/s, {len(report.created_modes)} modes created); "
        f"the same file again {again.seconds:.2f} s (all unchanged); "
        f"audit verify after {verify.seconds:.2f} s; (pull + triage of the items "
        f"{pull.seconds:.1f} s, not counted)"
    )


def pg_url() -> str | None:
    """A PostgreSQL URL to measure on, or ``None`` when none answers."""
    from sqlalchemy import create_engine, text

    url = os.environ.get("TRIAGE_BENCH_PG") or PG_DEFAULT
    probe = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with probe.connect() as conn:
            conn.execute(text("select 1"))
    except Exception:  # noqa: BLE001 - no server, or not ours: measure SQLite only
        return None
    finally:
        probe.dispose()
    return url


def on_postgres(url: str, items: Path, labels: Path) -> None:
    from sqlalchemy import create_engine, text

    schema = f"triage_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        config = Config(
            database_url=f"{url}?options=-csearch_path%3D{schema}",
            rules_dir=shipped_rules_dir(),
            reviewer="bench",
        )
        ws = Workspace.open(config, write=True)
        try:
            run(ws, items, labels, "PostgreSQL")
        finally:
            ws.close()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    # A key of its own, so the benchmark never writes one into the real config folder.
    os.environ.setdefault("TRIAGE_AUDIT_KEY", secrets.token_hex(32))
    with scratch() as folder:
        items, labels = folder / "items.jsonl", folder / "labels.csv"
        write_labels(labels, write_items(items))
        ws = workspace(folder)
        try:
            run(ws, items, labels, "SQLite")
        finally:
            ws.close()
        url = pg_url()
        if url is None:
            print("PostgreSQL: no server answered (set TRIAGE_BENCH_PG); skipped")
        else:
            on_postgres(url, items, labels)


if __name__ == "__main__":
    main()
