"""The append-only audit log, sealed with a key the database never holds.

Each entry carries a MAC: HMAC-SHA256 under the audit key (:mod:`triage.storage.seal`)
of the previous entry's MAC and its own fields (:func:`entry_mac`). The single
``audit_head`` row holds the tip (the last sequence number and MAC) and a MAC of its
own (:func:`head_mac`), so the log cannot be cut short, reset or extended without
the key. Entries that record a row (a verdict with its failure modes, a failure
mode, an answer to a suggestion) also carry that row's content hash
(:mod:`triage.storage.row_hashes`), so ``triage audit verify`` can tell a row
edited, deleted or inserted behind the log's back.

Writers first bump the head row, which takes the write lock on SQLite and a row
lock on PostgreSQL, so two processes can never both append after the same entry.
The entry is written in the caller's transaction: the audited change and its audit
record commit together or not at all. Appending checks the head's MAC first and
refuses (nothing is written) when the head was tampered with, or when this machine's
key is not the one the log is sealed with.

Sealing: a new database's head is sealed when it is first opened
(:func:`seal_new`); a database from before sealing is sealed by migration 0007,
whose entries up to then stay verifiable as the old unkeyed SHA-256 chain
(``legacy_seq``), chained into the keyed part by its first entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, insert, select, update

from triage.core.jsonio import dumps_sorted, loads
from triage.errors import ConfigError, StorageError
from triage.storage import seal
from triage.storage.convert import now, utc
from triage.storage.engine import writing
from triage.storage.nul import refuse_nul
from triage.storage.row_hashes import row_hash
from triage.storage.tables import (
    audit_head_t,
    audit_t,
    items_t,
    modes_t,
    suggestion_decisions_t,
    verdicts_t,
)

if TYPE_CHECKING:
    from triage.storage.audit_verify import AuditCheck as AuditCheck

GENESIS = "0" * 64
ENTRY_TAG = "triage-audit-entry-1"
HEAD_TAG = "triage-audit-head-1"


def entry_hash(
    prev: str, seq: int, at: datetime, actor: str, action: str, subject: str, payload: Any
) -> str:
    """The plain SHA-256 an unkeyed entry (from before sealing) must carry."""
    body = json.dumps(
        {
            "seq": seq,
            "at": utc(at).isoformat(),
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload": payload,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev + body).encode("utf-8", "surrogatepass")).hexdigest()


def entry_mac(key: seal.AuditKey, prev: str, row: Any) -> str:
    """The MAC a sealed entry must carry, given the previous entry's MAC (or plain
    hash, for the first sealed entry after the unkeyed ones). ``row`` has the audit
    table's fields (``seq``, ``at``, ``actor``, ``action``, ``subject``, ``payload``,
    ``row_table``, ``row_pk``, ``row_hash``)."""
    return seal.mac(
        key,
        [
            ENTRY_TAG,
            prev,
            row.seq,
            utc(row.at).isoformat(),
            row.actor,
            row.action,
            row.subject,
            row.payload,
            row.row_table,
            row.row_pk,
            row.row_hash,
        ],
    )


def head_mac(key: seal.AuditKey, head: Any) -> str:
    """The MAC the head row must carry: over its tip, where sealing began, when, and
    the key's fingerprint."""
    sealed_at = utc(head.sealed_at).isoformat() if head.sealed_at is not None else None
    return seal.mac(key, [HEAD_TAG, head.seq, head.hash, head.legacy_seq, sealed_at, head.key_id])


# -- writing ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry for :func:`append_many` (the arguments of :func:`append`)."""

    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    at: datetime
    row: tuple[str, int | str] | None = None
    """The row the entry records, ``(table, key)`` (see :func:`append`)."""
    row_hash: str | None = None
    """That row's content hash, when the caller has read it in this transaction
    (:mod:`~triage.storage.row_hashes`); otherwise it is read here."""


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any],
    at: datetime,
    row: tuple[str, int | str] | None = None,
) -> int:
    """Append one sealed entry inside the caller's transaction; returns its sequence
    number. ``row`` names the row the entry records, ``(table, key)`` with ``table``
    one of :data:`~triage.storage.row_hashes.COVERED` (a failure mode's key is its
    id, the others' their pk); its content hash, read in this transaction, goes
    into the entry. Refuses with :class:`StorageError` when the head is missing,
    unsealed or does not match its MAC (a log cut short or reset is never extended
    and so sealed again), and with :class:`ConfigError` when no key, or another key
    than the log's, is in force here.

    A NUL in ``actor`` or ``subject`` (names: see :mod:`triage.storage.nul`) raises
    :class:`~triage.errors.InvalidInput` before anything is written. The payload is
    kept exactly, NUL characters included: the column is JSON (PostgreSQL's
    ``json``, which stores ``\\u0000``; ``jsonb`` would refuse it)."""
    entry = Entry(actor=actor, action=action, subject=subject, payload=payload, at=at, row=row)
    return append_many(conn, [entry])[0]


def append_many(conn: Connection, entries: Sequence[Entry]) -> list[int]:
    """Append ``entries`` in order inside the caller's transaction, as :func:`append`
    appends one (same checks, same chain), with one bump of the head and one insert;
    returns their sequence numbers."""
    for entry in entries:
        refuse_nul(entry.actor, "reviewer name")
        refuse_nul(entry.subject, "audit subject")
    if not entries:
        return []
    count = len(entries)
    bumped = conn.execute(
        update(audit_head_t).where(audit_head_t.c.id == 1).values(seq=audit_head_t.c.seq + count)
    )
    if bumped.rowcount == 0:
        raise StorageError(
            "the audit log's head row is missing, so nothing can be recorded; "
            "`triage audit verify` says more"
        )
    head = conn.execute(select(audit_head_t).where(audit_head_t.c.id == 1)).one()
    key = key_for(head)
    before = dict(head._mapping, seq=head.seq - count)
    if not hmac.compare_digest(head.mac or "", head_mac(key, _Fields(before))):
        raise StorageError(
            "the audit log's head does not match its seal (the log was cut short or "
            "reset), so nothing was recorded; `triage audit verify` says more"
        )
    first = int(head.seq) - count + 1
    prev = head.hash or GENESIS
    rows = []
    for seq, entry in enumerate(entries, start=first):
        row_table, row_pk, content = None, None, None
        if entry.row is not None:
            row_table = entry.row[0]
            row_pk = entry.row[1] if isinstance(entry.row[1], int) else None
            content = entry.row_hash or row_hash(conn, entry.row[0], entry.row[1])
        fields = _Fields(
            {
                "seq": seq,
                "at": utc(entry.at),
                "actor": entry.actor,
                "action": entry.action,
                "subject": entry.subject,
                "payload": loads(dumps_sorted(entry.payload)) if entry.payload else {},
                "row_table": row_table,
                "row_pk": row_pk,
                "row_hash": content,
            }
        )
        digest = entry_mac(key, prev, fields)
        rows.append({**fields.values, "prev_hash": prev, "hash": digest})
        prev = digest
    conn.execute(insert(audit_t), rows)
    after = dict(head._mapping, hash=prev)
    conn.execute(
        update(audit_head_t)
        .where(audit_head_t.c.id == 1)
        .values(hash=prev, mac=head_mac(key, _Fields(after)))
    )
    return list(range(first, first + count))


class _Fields:
    """Attribute access over a dict, so rows and values to be written share one MAC."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def key_for(head: Any) -> seal.AuditKey:
    """The key to append with: the one in force here, which must be the key the log
    is sealed with (``StorageError`` when the log is not sealed at all)."""
    if head.key_id is None:
        raise StorageError(
            "the audit log of this database is not sealed although it holds data (its "
            "head was reset or replaced), so nothing was recorded; `triage audit verify` "
            "says more"
        )
    key = seal.load_key(create=False)
    if key is None:
        raise ConfigError(
            f"this database's audit log is sealed with the key {head.key_id}, and no key "
            f"is set here: set {seal.ENV} to that key (or restore {seal.key_source()})"
        )
    if key.fingerprint != head.key_id:
        raise ConfigError(
            f"this database's audit log is sealed with the key {head.key_id}, but the key "
            f"in force here ({key.origin}) is {key.fingerprint}: set {seal.ENV} to the "
            "key the database was sealed with"
        )
    return key


def seal_head(conn: Connection, key: seal.AuditKey, *, at: datetime) -> None:
    """Seal the (locked, unsealed) head with ``key``: entries so far stay unkeyed."""
    head = conn.execute(select(audit_head_t).where(audit_head_t.c.id == 1)).one()
    values = {"key_id": key.fingerprint, "legacy_seq": head.seq, "sealed_at": utc(at)}
    sealed = _Fields(dict(head._mapping, **values))
    conn.execute(
        update(audit_head_t)
        .where(audit_head_t.c.id == 1)
        .values(**values, mac=head_mac(key, sealed))
    )


def holds_data(conn: Connection) -> bool:
    """Whether anything an audit log would vouch for is stored (a database that
    holds nothing may be sealed afresh)."""
    for table in (audit_t, verdicts_t, items_t, modes_t, suggestion_decisions_t):
        if conn.execute(select(1).select_from(table).limit(1)).first() is not None:
            return True
    return False


def seal_new(engine: Engine) -> None:
    """Seal the head of a database that holds nothing yet (called on opening; the
    key file is created if needed). A sealed head is left alone, and so is an
    unsealed one in a database holding data: that is a reset log, for
    ``triage audit verify`` to report, not to paper over."""
    with engine.connect() as conn:
        head = conn.execute(select(audit_head_t.c.key_id).where(audit_head_t.c.id == 1)).first()
    if head is None or head.key_id is not None:
        return
    with writing(engine) as conn:
        head = conn.execute(
            select(audit_head_t.c.key_id).where(audit_head_t.c.id == 1).with_for_update()
        ).first()
        if head is None or head.key_id is not None or holds_data(conn):
            return
        key = seal.load_key(create=True)
        assert key is not None
        seal_head(conn, key, at=now())


def verify(conn: Connection, key: seal.AuditKey | None = None) -> AuditCheck:
    """Check the log and the rows it records; see :mod:`triage.storage.audit_verify`."""
    from triage.storage.audit_verify import verify as check

    return check(conn, key)
