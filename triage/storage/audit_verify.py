"""``triage audit verify``: walk the sealed chain and hold the rows it records to it.

One read transaction (a snapshot: ``REPEATABLE READ`` on PostgreSQL) streams the
entries in order and then the verdict rows with their entries, so the check runs in
constant memory on a log of millions; what the log says about failure modes and
answers to suggestions (hundreds) is held in memory. Every problem found is reported, not just the
first: runs of consecutive entries with the same problem are reported as one range,
and after :data:`LIMIT` problems the rest are only counted.

What is reported (``Problem.kind``): ``missing`` (entries absent), ``removed``
(entries missing from the end: the head counts more), ``altered`` (an entry's seal
does not match), ``legacy_altered`` (the same for an entry from before sealing),
``forged`` (an entry carries a plain hash where the key's seal belongs),
``unlinked`` (an entry does not follow the one before), ``extra`` (entries after the
head), ``head`` (the head does not match its seal or the last entry), ``key`` (no
key, or another key than the log was sealed with), ``unsealed`` (a database holding
data whose log is not sealed), ``row_altered`` / ``row_missing`` / ``row_unlogged``
(a verdict, failure mode or answer row edited, deleted, or written without an entry),
``ruleset_altered`` (a stored rule set whose files do not hash to its version).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from triage.storage import audit, seal
from triage.storage.convert import utc
from triage.storage.tables import audit_head_t, audit_t

LIMIT = 1000
"""Problems listed in full; any beyond are counted in ``AuditCheck.more``."""

_RUNS = {
    "missing": ("entry {a} is missing", "entries {a}–{b} are missing"),
    "removed": (
        "entry {a} is missing: it was removed from the end of the log",
        "entries {a}–{b} are missing: they were removed from the end of the log",
    ),
    "altered": (
        "entry {a} was altered (its seal does not match)",
        "entries {a}–{b} were altered (their seals do not match)",
    ),
    "legacy_altered": (
        "entry {a} was altered (its hash from before sealing does not match)",
        "entries {a}–{b} were altered (their hashes from before sealing do not match)",
    ),
    "forged": (
        "entry {a} is forged: it carries a plain hash where the key's seal belongs",
        "entries {a}–{b} are forged: they carry plain hashes where the key's seal belongs",
    ),
    "unlinked": (
        "entry {a} does not follow the entry before it",
        "entries {a}–{b} do not follow the entries before them",
    ),
    "extra": (
        "entry {a} comes after the head: it was added behind the log's back",
        "entries {a}–{b} come after the head: they were added behind the log's back",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One thing that does not match: an entry or a run of entries (``seq`` to
    ``last``), the head, the key, or a row (``table``, ``row``, and for verdicts the
    ``item`` as ``source:id``)."""

    kind: str
    message: str
    seq: int | None = None
    last: int | None = None
    table: str | None = None
    row: int | str | None = None
    item: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The problem for ``--json`` (fields that do not apply left out)."""
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        for name in ("seq", "last", "table", "row", "item"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass(frozen=True)
class AuditCheck:
    """Result of a verification. ``broken_at``/``problem`` name the first problem."""

    entries: int
    ok: bool
    broken_at: int | None = None
    problem: str = ""
    problems: tuple[Problem, ...] = ()
    more: int = 0
    """Problems found beyond :data:`LIMIT`, not listed."""
    key: str | None = None
    """Fingerprint of the key in force here (``None``: no key is set)."""
    key_origin: str | None = None
    sealed_with: str | None = None
    """Fingerprint the log is sealed with (``None``: not sealed)."""
    sealed_at: datetime | None = None
    legacy: int = 0
    """Entries from before sealing, checked as the old unkeyed chain."""
    rows: int = 0
    """Verdict, failure-mode, answer and rule-set rows checked against the log."""


@dataclass
class Findings:
    """The problems found so far (the first :data:`LIMIT`) and a count of the rest."""

    problems: list[Problem] = field(default_factory=list)
    more: int = 0

    def add(self, problem: Problem) -> None:
        """Keep ``problem`` (or only count it, past the limit)."""
        if len(self.problems) < LIMIT:
            self.problems.append(problem)
        else:
            self.more += 1

    def entry(self, kind: str, first: int, last: int | None = None) -> None:
        """Entries ``first``..``last`` have problem ``kind``; joined to the previous
        problem when it is the same kind and ends just before ``first``."""
        last = first if last is None else last
        prior = self.problems[-1] if self.problems else None
        if prior and prior.kind == kind and prior.last is not None and prior.last + 1 == first:
            first = prior.seq or first
            self.problems.pop()
        one, many = _RUNS[kind]
        text = one.format(a=first) if first == last else many.format(a=first, b=last)
        self.add(Problem(kind, text, seq=first, last=last))


@dataclass
class Covered:
    """What the log says about the small row sets, filled while walking it."""

    modes: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    answers: dict[int, tuple[int, str | None]] = field(default_factory=dict)


def verify(conn: Connection, key: seal.AuditKey | None = None) -> AuditCheck:
    """Check the log and the rows it records; ``key`` defaults to the one in force
    here (never created by verifying). Never raises for what it finds."""
    if conn.dialect.name == "postgresql" and not conn.in_transaction():
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    if key is None:
        key = seal.load_key(create=False)
    head = conn.execute(select(audit_head_t).where(audit_head_t.c.id == 1)).first()
    found = Findings()
    sealed = head is not None and head.key_id is not None
    legacy = (head.legacy_seq or 0) if sealed and head is not None else None
    can_mac = sealed and key is not None and head is not None and key.fingerprint == head.key_id
    if head is None:
        found.add(Problem("head", "the head row of the log is missing (it was deleted)"))
    elif not sealed:
        if audit.holds_data(conn):
            found.add(
                Problem(
                    "unsealed",
                    "the log is not sealed although the database holds data: it was "
                    "reset or replaced",
                )
            )
    elif key is None:
        found.add(
            Problem(
                "key",
                f"the log is sealed with the key {head.key_id} and no key is set here "
                f"({seal.key_source()}): sealed entries cannot be checked",
            )
        )
    elif not can_mac:
        found.add(
            Problem(
                "key",
                f"this database was sealed with another key (fingerprint {head.key_id}); "
                f"the key in force here ({key.origin}) is {key.fingerprint}",
            )
        )
    covered = Covered()
    entries, last_seq, last_hash = _walk(
        conn, key if can_mac else None, legacy, head, found, covered
    )
    if head is not None and sealed:
        if can_mac and key is not None and not _same(head.mac, audit.head_mac(key, head)):
            found.add(
                Problem("head", "the head does not match its seal: the log was cut short or reset")
            )
        if head.seq > last_seq:
            found.entry("removed", last_seq + 1, head.seq)
        elif head.seq == last_seq and entries and head.hash != last_hash:
            found.add(Problem("head", f"the head does not match entry {last_seq}, the last"))
    from triage.storage import audit_rows

    rows = audit_rows.check_verdicts(conn, legacy, found)
    rows += audit_rows.check_others(conn, covered, found)
    problems = tuple(found.problems)
    first = problems[0] if problems else None
    return AuditCheck(
        entries=entries,
        ok=not problems,
        broken_at=first.seq if first else None,
        problem=first.message if first else "",
        problems=problems,
        more=found.more,
        key=key.fingerprint if key else None,
        key_origin=key.origin if key else None,
        sealed_with=head.key_id if head is not None else None,
        sealed_at=utc(head.sealed_at) if head is not None and head.sealed_at else None,
        legacy=min(legacy or 0, entries) if sealed else entries,
        rows=rows,
    )


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a, b)


def stream(conn: Connection, stmt: Any) -> Iterator[Any]:
    """Rows of ``stmt`` a thousand at a time (a server-side cursor on PostgreSQL)."""
    yield from conn.execute(stmt.execution_options(yield_per=1000))


def _walk(
    conn: Connection,
    key: seal.AuditKey | None,
    legacy: int | None,
    head: Any,
    found: Findings,
    covered: Covered,
) -> tuple[int, int, str]:
    """Stream the entries; returns (count, last seq, last hash)."""
    table = audit_t
    prev, expected, count, flagged = audit.GENESIS, 1, 0, False
    for row in stream(conn, select(table).order_by(table.c.seq)):
        count += 1
        gap = row.seq > expected
        if gap:
            found.entry("missing", expected, row.seq - 1)
        bad = None
        if legacy is None or row.seq <= legacy:
            bad = None if _plain(row) == row.hash else "legacy_altered"
        elif key is not None and not _same(row.hash, audit.entry_mac(key, row.prev_hash, row)):
            bad = "forged" if _plain(row) == row.hash else "altered"
        if bad is None and head is not None and row.seq > head.seq:
            bad = "extra"
        if bad is not None:
            found.entry(bad, row.seq)
        elif row.prev_hash != prev and not gap and not flagged:
            found.entry("unlinked", row.seq)
        flagged = bad is not None
        if bad is None and (legacy is None or row.seq > legacy):
            _note(row, covered)
        prev, expected = row.hash, row.seq + 1
    return count, expected - 1, prev


def _plain(row: Any) -> str:
    """The unkeyed hash of an entry: what someone without the key can compute."""
    return audit.entry_hash(
        row.prev_hash, row.seq, row.at, row.actor, row.action, row.subject, row.payload
    )


def _note(row: Any, covered: Covered) -> None:
    """Remember what a sound sealed entry says about failure modes and answers
    (entries from before sealing are vouched for by the seal entry's snapshot)."""
    if row.action == "audit.seal":
        for mode_id, digest in (row.payload.get("failure_modes") or {}).items():
            covered.modes[mode_id] = (row.seq, digest)
        for pk, digest in (row.payload.get("answers") or {}).items():
            covered.answers[int(pk)] = (row.seq, digest)
    elif row.row_table == "failure_mode":
        covered.modes[row.subject] = (row.seq, row.row_hash)
    elif row.row_table == "suggestion_decision" and row.row_pk is not None:
        covered.answers[row.row_pk] = (row.seq, row.row_hash)
