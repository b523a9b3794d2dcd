"""The rows the audit log records, held to it (the second half of
``triage audit verify``; see :mod:`triage.storage.audit_verify`).

Verdict rows are streamed in key order beside their tags and joined to the entry
that recorded each: a row with no entry was written behind the log's back, an entry
whose row is gone names a deleted row, and a row whose content no longer hashes to
what its entry recorded was altered (entries from before sealing carry no hash, so
those rows are compared field by field with the entry's payload). Failure modes
and answers to suggestions are held to the newest entry about them (or to the seal
entry's snapshot); a stored rule set must hash to its own version.
"""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, and_, exists, select

from triage.core.rules_version import version_of
from triage.storage import row_hashes
from triage.storage.audit_verify import Covered, Findings, Problem, stream
from triage.storage.tables import (
    audit_t,
    items_t,
    modes_t,
    rulesets_t,
    suggestion_decisions_t,
    verdict_modes_t,
    verdicts_t,
)


def check_verdicts(conn: Connection, legacy: int | None, found: Findings) -> int:
    """Hold every verdict row (with its modes) to the entry that recorded it: rows
    and tags are two streams in verdict order, merged as they go."""
    v, a, i = verdicts_t, audit_t.alias("a"), items_t
    joined = (
        select(
            v,
            i.c.source,
            i.c.item_id,
            a.c.seq.label("a_seq"),
            a.c.row_hash.label("a_hash"),
            a.c.payload.label("a_payload"),
            a.c.actor.label("a_actor"),
        )
        .outerjoin(i, i.c.pk == v.c.item_pk)
        .outerjoin(a, and_(a.c.row_table == "verdict", a.c.row_pk == v.c.pk))
        .order_by(v.c.pk, a.c.seq)
    )
    vm = verdict_modes_t
    modes = stream(conn, select(vm.c.verdict_pk, vm.c.mode_id).order_by(vm.c.verdict_pk))
    pending = next(modes, None)
    checked = 0
    for pk, group in groupby(stream(conn, joined), key=attrgetter("pk")):
        rows = list(group)
        tags: list[str] = []
        while pending is not None and pending.verdict_pk <= pk:
            if pending.verdict_pk == pk:
                tags.append(pending.mode_id)
            pending = next(modes, None)
        checked += 1
        row, item = rows[0], _item(rows[0])
        if row.a_seq is None:
            found.add(
                Problem(
                    "row_unlogged",
                    f"verdict row {pk} (item {item}) is not in the log: it was written "
                    "behind its back",
                    table="verdict",
                    row=pk,
                    item=item,
                )
            )
        elif not any(_verdict_matches(r, tags, legacy) for r in rows):
            found.add(
                Problem(
                    "row_altered",
                    f"verdict row {pk} (item {item}) was altered after entry {row.a_seq} "
                    "recorded it",
                    seq=row.a_seq,
                    table="verdict",
                    row=pk,
                    item=item,
                )
            )
    orphans = (
        select(a.c.seq, a.c.row_pk, a.c.subject)
        .where(a.c.row_table == "verdict", ~exists().where(v.c.pk == a.c.row_pk))
        .order_by(a.c.seq)
    )
    for row in stream(conn, orphans):
        found.add(
            Problem(
                "row_missing",
                f"verdict row {row.row_pk} (item {row.subject}), recorded by entry "
                f"{row.seq}, is missing: it was deleted",
                seq=row.seq,
                table="verdict",
                row=row.row_pk,
                item=row.subject,
            )
        )
    return checked


def _item(row: Any) -> str:
    """The verdict's item as ``source:id`` (``?`` when the item row is gone)."""
    return f"{row.source}:{row.item_id}" if row.source is not None else "?"


def _verdict_matches(row: Any, tags: list[str], legacy: int | None) -> bool:
    """Whether the verdict row agrees with the entry joined to it: by content hash
    for sealed entries, field by field for entries from before sealing."""
    if legacy is None or row.a_seq > legacy:
        return bool(row.a_hash is not None and row.a_hash == row_hashes.verdict_hash(row, tags))
    payload = row.a_payload or {}
    return bool(
        payload.get("verdict") == row.pk
        and payload.get("outcome") == row.outcome
        and sorted(payload.get("modes") or ()) == sorted(tags)
        and payload.get("note", "") == row.note
        and payload.get("supersedes") == row.supersedes
        and payload.get("rules_version") == row.rules_version
        and row.a_actor == row.reviewer
    )


def check_others(conn: Connection, covered: Covered, found: Findings) -> int:
    """Failure modes and answers against the log; rule sets against their version."""
    checked = 0
    seen_modes: set[str] = set()
    for row in stream(conn, select(modes_t).order_by(modes_t.c.id)):
        checked += 1
        seen_modes.add(row.id)
        entry = covered.modes.get(row.id)
        _hold(
            found,
            "failure_mode",
            f"failure mode {row.id}",
            row.id,
            entry,
            row_hashes.mode_hash(row),
        )
    for mode_id, (seq, _) in sorted(covered.modes.items()):
        if mode_id not in seen_modes:
            _gone(found, "failure_mode", f"failure mode {mode_id}", mode_id, seq)
    seen_answers: set[int] = set()
    for row in stream(conn, select(suggestion_decisions_t).order_by(suggestion_decisions_t.c.pk)):
        checked += 1
        seen_answers.add(row.pk)
        what = f"answer {row.pk} to suggestion {row.suggestion}"
        entry = covered.answers.get(row.pk)
        _hold(found, "suggestion_decision", what, row.pk, entry, row_hashes.answer_hash(row))
    for pk, (seq, _) in sorted(covered.answers.items()):
        if pk not in seen_answers:
            _gone(found, "suggestion_decision", f"answer {pk} to a suggestion", pk, seq)
    for row in stream(conn, select(rulesets_t.c.version, rulesets_t.c.files)):
        checked += 1
        if version_of(row.files or {}) != row.version:
            found.add(
                Problem(
                    "ruleset_altered",
                    f"rule set {row.version}: its stored files do not hash to its version "
                    "(they were altered)",
                    table="ruleset",
                    row=row.version,
                )
            )
    return checked


def _hold(
    found: Findings,
    table: str,
    what: str,
    key: int | str,
    entry: tuple[int, str | None] | None,
    digest: str,
) -> None:
    if entry is None:
        found.add(
            Problem(
                "row_unlogged",
                f"{what} is not in the log: it was written behind its back",
                table=table,
                row=key,
            )
        )
    elif entry[1] is not None and entry[1] != digest:
        found.add(
            Problem(
                "row_altered",
                f"{what} was altered after entry {entry[0]} recorded it",
                seq=entry[0],
                table=table,
                row=key,
            )
        )


def _gone(found: Findings, table: str, what: str, key: int | str, seq: int) -> None:
    found.add(
        Problem(
            "row_missing",
            f"{what}, recorded by entry {seq}, is missing: it was deleted",
            seq=seq,
            table=table,
            row=key,
        )
    )
