"""What storage does with NUL characters in the values people and platforms hand it.

PostgreSQL ``text`` cannot hold U+0000, and a NUL in a name is never meant. So
that both backends behave the same, every write and lookup outside item ingest
follows one rule per kind of value (items follow :mod:`triage.platforms.common`:
a NUL in an id or name refuses the record, bodies keep it exactly):

- **Names and ids** (a reviewer's or lead's name, a failure-mode id, a task
  type, a checklist key, a suggestion id, a source name): a NUL refuses the
  write with :class:`~triage.errors.InvalidInput`, for example "reviewer name
  'ana\\x00' may not contain a NUL character", before anything is written
  (:func:`refuse_nul`).
- **Free text** (notes, failure-mode titles, descriptions and what to look for,
  reasons, checklist answers, error remarks): each NUL is stored as ``␀``
  (U+2400, the stand-in the app shows for a NUL and that its text fields already
  put in its place); the rest is kept (:func:`visible_nul`).
- **Lookups** by a name or id with a NUL find nothing: no stored name has one
  (:func:`has_nul`).

Opaque values that must come back exactly (a source's resume point) are stored
with NUL escaped on PostgreSQL (:mod:`triage.storage.types`); JSON documents
(audit payloads, rule set files, write-back payloads) keep NUL as ``\\u0000``,
which PostgreSQL's ``json`` type (unlike ``jsonb``) stores and returns intact.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from triage.errors import InvalidInput

NUL: Final = "\x00"
STAND_IN: Final = "\u2400"
"""``␀``: what a NUL in free text is stored as."""


def has_nul(value: str | None) -> bool:
    """Does ``value`` contain a NUL character (``None`` does not)?"""
    return value is not None and NUL in value


def refuse_nul(value: str, what: str) -> str:
    """``value`` itself; :class:`InvalidInput` ("``what`` 'a\\x00b' may not contain
    a NUL character", the value shown escaped) when it has one."""
    if NUL in value:
        shown = repr(value) if len(value) <= 60 else repr(value[:57]) + "…"
        raise InvalidInput(f"{what} {shown} may not contain a NUL character")
    return value


def refuse_nul_in(values: Iterable[str], what: str) -> None:
    """:func:`refuse_nul` on each of ``values``."""
    for value in values:
        refuse_nul(value, what)


def visible_nul(text: str) -> str:
    """Free text as it is stored: each NUL replaced by ``␀`` (U+2400)."""
    return text.replace(NUL, STAND_IN) if NUL in text else text


def visible_nul_json(value: Any) -> Any:
    """A JSON value of free text (a checklist's answers) with :func:`visible_nul`
    applied to every string in it, keys of nested objects included."""
    if isinstance(value, str):
        return visible_nul(value)
    if isinstance(value, dict):
        return {visible_nul(str(k)): visible_nul_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [visible_nul_json(v) for v in value]
    return value
