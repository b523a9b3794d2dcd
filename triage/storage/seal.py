"""The key that seals the audit log, and the MAC made with it.

The audit log (:mod:`triage.storage.audit`) is an HMAC-SHA256 chain. Its key never
enters the database, so someone who can write the database but does not hold the
key cannot add, alter, remove or reorder entries without ``triage audit verify``
noticing. The key comes from, in order:

1. ``TRIAGE_AUDIT_KEY``: for teams sharing one database, everyone sets the same
   value. It is 32 or more random bytes written as hex (64+ hex digits) or as
   base64 (standard or URL-safe, padding optional); anything shorter, malformed or
   visibly not random (few distinct bytes) is refused with a :class:`ConfigError`.
   ``python -c "import secrets; print(secrets.token_hex(32))"`` makes one.
2. The key file ``audit.key`` in the user config directory
   (:func:`triage.config.locations.audit_key_path`), created on first use: 32 random bytes
   as hex, written atomically with owner-only permissions (0600, in a 0700
   directory). A key file others may read is refused.

The database stores only the key's *fingerprint* (:func:`fingerprint`), so a
database sealed with one key and checked with another says so instead of reporting
every entry as altered. The key itself is never printed, logged or stored
(:class:`AuditKey` hides it from ``repr``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.core.jsonio import dumps_sorted
from triage.errors import ConfigError

ENV = "TRIAGE_AUDIT_KEY"
"""The environment variable a team's shared key comes from."""

MIN_BYTES = 32
"""The shortest key accepted, in bytes (256 bits)."""

MIN_DISTINCT = 16
"""Fewer distinct byte values than this in a key means it was not drawn at random
(32 random bytes have about 30; ``00…00`` or a repeated word has a handful)."""

_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True)
class AuditKey:
    """A loaded key: the secret (kept out of ``repr``), its fingerprint, and where it
    came from (``TRIAGE_AUDIT_KEY`` or the key file's path), for messages."""

    secret: bytes = field(repr=False)
    fingerprint: str
    origin: str


def fingerprint(secret: bytes) -> str:
    """A short public name for a key: 16 hex digits of an HMAC of a fixed label.
    Equal keys give equal fingerprints; the key cannot be recovered from it."""
    return hmac.new(secret, b"triage audit key fingerprint", hashlib.sha256).hexdigest()[:16]


def mac(key: AuditKey, parts: list[Any]) -> str:
    """HMAC-SHA256 (hex) of the canonical JSON of ``parts`` (keys sorted, compact)."""
    return hmac.new(key.secret, dumps_sorted(parts), hashlib.sha256).hexdigest()


def parse_key(text: str, origin: str) -> AuditKey:
    """The key written in ``text`` (hex, or base64); :class:`ConfigError` naming
    ``origin`` (never the value) when it is malformed, short or weak."""
    value = text.strip()
    secret = _decode(value)
    if secret is None:
        raise ConfigError(
            f"{origin} is not a key: write {MIN_BYTES} or more random bytes as hex "
            f"({2 * MIN_BYTES}+ hex digits) or base64, e.g. the output of "
            '`python -c "import secrets; print(secrets.token_hex(32))"`'
        )
    if len(secret) < MIN_BYTES:
        raise ConfigError(
            f"{origin} holds {len(secret)} bytes; an audit key needs at least {MIN_BYTES} "
            f"random bytes ({2 * MIN_BYTES} hex digits)"
        )
    if len(set(secret)) < MIN_DISTINCT:
        raise ConfigError(
            f"{origin} is too weak (it repeats a few byte values, so it was not drawn at "
            'random): use `python -c "import secrets; print(secrets.token_hex(32))"`'
        )
    return AuditKey(secret, fingerprint(secret), origin)


def _decode(value: str) -> bytes | None:
    if not value:
        return None
    if _HEX.fullmatch(value) and len(value) % 2 == 0:
        return bytes.fromhex(value)
    # URL-safe base64 is standard base64 with two letters swapped; padding optional.
    standard = value.replace("-", "+").replace("_", "/")
    padded = standard + "=" * (-len(standard) % 4)
    try:
        return base64.b64decode(padded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def load_key(*, create: bool) -> AuditKey | None:
    """The key in force: ``TRIAGE_AUDIT_KEY`` when set, else the key file. A missing
    key file is created when ``create`` (the first sealing write), else ``None``."""
    from triage.config.locations import audit_key_path

    value = os.environ.get(ENV)
    if value is not None:
        return parse_key(value, ENV)
    path = audit_key_path()
    if not path.exists():
        if not create:
            return None
        _create_key_file(path)
    return _read_key_file(path)


def key_source() -> str:
    """Where a key would come from here (for messages when there is none)."""
    from triage.config.locations import audit_key_path

    return ENV if ENV in os.environ else str(audit_key_path())


def _read_key_file(path: Path) -> AuditKey:
    try:
        info = path.stat()
        if os.name == "posix" and info.st_mode & 0o077:
            raise ConfigError(
                f"the audit key file {path} may be read by others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`"
            )
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read the audit key file {path}: {err}") from None
    return parse_key(text, str(path))


def _create_key_file(path: Path) -> None:
    """Write a fresh key to ``path`` without ever exposing a partial file: written
    to a private temporary file, then linked into place. If another process made the
    file first, its key is kept (link refuses to replace it). A key file that cannot
    be written raises :class:`~triage.errors.ConfigError` naming it."""
    try:
        _write_key_file(path)
    except OSError as err:
        raise ConfigError(f"cannot create the audit key file {path}: {err}") from None


def _write_key_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(MIN_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process created the key first: theirs is the key
    finally:
        temp.unlink(missing_ok=True)
