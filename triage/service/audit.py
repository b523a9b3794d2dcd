"""The audit log's key as the command line reaches it: which key is in force, and
a fresh one for a team to share. (Verifying the log is :meth:`Workspace.verify_audit`;
the key itself is never shown, only its fingerprint.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triage.storage.audit_verify import AuditCheck as AuditCheck
    from triage.storage.seal import AuditKey


def key_in_force() -> AuditKey | None:
    """The audit key in force here (``TRIAGE_AUDIT_KEY``, else the key file), without
    creating one; ``None`` when there is none yet."""
    from triage.storage import seal

    return seal.load_key(create=False)


def key_source() -> str:
    """Where a key is looked for, and created on first use: the environment variable
    or the key file's path."""
    from triage.storage import seal

    return seal.key_source()


def new_key() -> str:
    """A fresh random key, as the hex digits ``TRIAGE_AUDIT_KEY`` takes."""
    import secrets

    from triage.storage import seal

    return secrets.token_hex(seal.MIN_BYTES)
