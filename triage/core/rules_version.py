"""The version of a rule set: a stable hash of its files' contents.

It lives in the core because two layers compute it: the rules loader stamps it on
every rule set it builds, and storage checks stored rule-set snapshots against it
when the audit log is verified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def version_of(files: Mapping[str, str]) -> str:
    """``r-`` + the first 12 hex digits of SHA-256 over each rule file's relative path and
    UTF-8 bytes, in path order (each length-prefixed, so no two folders collide by
    moving bytes from one file to the next)."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        data = files[rel].encode("utf-8")
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return "r-" + digest.hexdigest()[:12]
