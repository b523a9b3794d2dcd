"""The secret values in force, and the one way to hide them in text we print or store.

A :class:`Secrets` holds values that must never appear in a message, a stored error or
a report: the values of the environment variables the configured sources name
(``token_env``, ``public_key_env``, ``secret_key_env``, ``tenant_env``, any ``*_env``
setting) and the credential header values actually sent (``Authorization``, a named
API-key header). :meth:`Secrets.mask` replaces every occurrence with ``***``.

Each value is also hidden in the forms it travels in: URL-encoded (``%2F``, ``+``),
JSON-escaped, base64 (as HTTP Basic sends ``user:password``), and for a
``user:password`` value its password alone. A Basic header's token is decoded, so the
pair it carries is hidden too.

Short values: a secret of :data:`ANYWHERE` (8) characters or more is hidden wherever it
occurs, inside a longer word too (a token is often glued to other text in a URL or an
echo). A shorter one is hidden only where it stands as a whole token (not touching a
letter, digit, ``_`` or ``-``): hiding a 3-letter value inside every word that happens
to contain it would garble messages without protecting anything a whole-token match
misses. Empty values are never secrets.

The source layer applies this where text leaves it (:func:`triage.platforms.sources.resolve`
wraps every reader; write-back masks every outcome and every stored error), so callers
do not have to remember it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["ANYWHERE", "MASK", "Secrets", "credential_headers"]

MASK = "***"
"""What a secret is replaced with."""

ANYWHERE = 8
"""Secrets at least this long are hidden inside longer words too; shorter ones only as
whole tokens."""

_PLAIN_HEADERS = frozenset(
    {
        "accept", "accept-encoding", "accept-language", "connection", "content-length",
        "content-type", "host", "user-agent",
    }
)  # fmt: skip
_SCHEMES = ("basic ", "bearer ", "token ")


def credential_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers of ``headers`` that may carry a credential: all but the standard
    ones that never do (``Accept``, ``Content-Type``, ``User-Agent`` …)."""
    return {name: value for name, value in headers.items() if name.lower() not in _PLAIN_HEADERS}


class Secrets:
    """A set of secret values; :meth:`mask` hides them (see the module's contract)."""

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        forms: set[str] = set()
        for value in values:
            if value:
                forms.update(_forms(value))
        self._forms = frozenset(form for form in forms if form)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str] | Any) -> Secrets:
        """The credential values in request headers: each value, and for
        ``Basic``/``Bearer``/``Token`` schemes the token (a Basic token decoded too)."""
        values: list[str] = []
        for value in credential_headers(dict(headers.items())).values():
            values.append(value)
            lowered = value.lower()
            for scheme in _SCHEMES:
                if lowered.startswith(scheme):
                    token = value[len(scheme) :].strip()
                    values.append(token)
                    if scheme == "basic ":
                        values.append(_decoded(token))
        return cls(values)

    @classmethod
    def from_sources(cls, sources: Mapping[str, Any], environ: Mapping[str, str]) -> Secrets:
        """The values of every environment variable the configured ``sources`` name in
        a ``*_env`` setting, and the Basic pair of a public and a secret key."""
        values: list[str] = []
        for source in sources.values():
            fields = getattr(type(source), "model_fields", {})
            for name in fields:
                variable = getattr(source, name) if name.endswith("_env") else None
                if variable and environ.get(variable):
                    values.append(environ[variable])
            public = _env(environ, getattr(source, "public_key_env", None))
            secret = _env(environ, getattr(source, "secret_key_env", None))
            if public and secret:
                values.append(f"{public}:{secret}")
        return cls(values)

    def __or__(self, other: Secrets) -> Secrets:
        joined = Secrets()
        joined._forms = self._forms | other._forms
        return joined

    def __bool__(self) -> bool:
        return bool(self._forms)

    def __contains__(self, value: object) -> bool:
        return value in self._forms

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self._forms:
            return None
        # Longest first: a secret inside a longer one is not replaced half-way.
        ordered = sorted(self._forms, key=lambda form: (-len(form), form))
        parts = [
            re.escape(form) if len(form) >= ANYWHERE else rf"(?<![\w-]){re.escape(form)}(?![\w-])"
            for form in ordered
        ]
        return re.compile("|".join(parts))

    def mask(self, text: str) -> str:
        """``text`` with every secret replaced by :data:`MASK`."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)


def _env(environ: Mapping[str, str], name: str | None) -> str | None:
    return environ.get(name) if name else None


def _forms(value: str) -> set[str]:
    forms = {value}
    if ":" in value:
        forms.add(value.split(":", 1)[1])  # the password of user:password
    for form in list(forms):
        forms.add(quote(form, safe=""))
        forms.add(quote(form))  # "/" kept, as in a URL path
        forms.add(quote_plus(form))
        forms.add(json.dumps(form)[1:-1])
        forms.add(json.dumps(form, ensure_ascii=False)[1:-1])
    forms.add(base64.b64encode(value.encode()).decode("ascii"))
    return forms


def _decoded(token: str) -> str:
    try:
        return base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return ""
