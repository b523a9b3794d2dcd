"""The shape of ``triage.toml``, validated with pydantic (imported only when a
file is read, so starting the app without one stays quick)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from triage.config.source_kinds import source_names


class SourceConfig(BaseModel):
    """One ``[sources.NAME]`` table: where a team's agents log, and how to read it.
    Credentials are never here: only the names of the environment variables that
    hold them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    """The platform, one of the kinds :mod:`triage.platforms.registry` lists: ``jsonl``
    (native files), ``http`` (a JSON endpoint), ``langfuse``, ``langsmith`` (their APIs),
    ``otlp`` (OTLP/JSON trace exports), ``promptfoo`` (``results.json``), ``openclaw``
    (session transcripts or trajectory exports)."""
    url: str | None = None
    """For ``http``: the endpoint. For ``langfuse``/``langsmith``: the host
    (default: their cloud hosts)."""
    path: str | None = None
    """For file kinds: a file or folder, relative to the config file."""
    token_env: str | None = None
    """``http``/``langsmith``: the variable holding the API key or token."""
    public_key_env: str | None = None
    """``langfuse``: the variable holding the public key (``pk-lf-…``)."""
    secret_key_env: str | None = None
    """``langfuse``: the variable holding the secret key (``sk-lf-…``)."""
    tenant_env: str | None = None
    """``langsmith``: the variable holding the workspace id, for multi-workspace keys."""
    auth: Literal["bearer", "header", "basic"] = "bearer"
    """``http``: how the credential is sent: ``Authorization: Bearer``, a named header,
    or Basic (``token_env`` then holds ``user:password``)."""
    header: str = "X-Api-Key"
    """``http``: header name when ``auth = "header"``."""
    follow_redirects: Literal["same-origin", "any-without-credentials", "never"] = "same-origin"
    """``http``, ``langfuse``, ``langsmith`` (pulls and write-back): where redirects, and
    an ``http`` source's ``next`` page links, may lead. The credential only ever goes to
    the origin (scheme, host, port) of the source's ``url``. ``same-origin``: follow them
    there, with the credential; one to another origin is refused, naming both.
    ``any-without-credentials``: also follow them to other origins, without the
    credential. ``never``: follow no redirect (links on the same origin still page)."""
    items_pointer: str | None = None
    """``http``: JSON pointer to the item list in each page, when not ``items``/``data``."""
    next_field: str | None = None
    """``http``: JSON pointer to the next page's URL or cursor, when not ``next``."""
    rename: dict[str, str] = Field(default_factory=dict)
    """``http``: field renames applied to each record (``{"uuid": "id"}``)."""
    project: str | None = None
    """``langsmith``: the project (name or id) whose root runs are pulled."""
    api: Literal["v2", "v3"] = "v2"
    """``langfuse``: ``v2`` observations (current) or ``v3`` traces (older self-hosted)."""
    agent: str | None = None
    """The agent name to give items when the source does not say (default: the
    source's own name for it, else the source name)."""
    task_type_field: str | None = None
    """Where the task type is in the source's records (a dotted path such as
    ``metadata.task_type`` or ``name``)."""
    format: str | None = None
    """For file kinds: force a format instead of detecting it (any file format of the
    platforms but the native one: ``openclaw-session``, ``openclaw-trajectory``,
    ``otlp``, ``promptfoo``)."""
    write_back: bool = False
    """``langfuse``/``langsmith``: send each verdict back as a score / feedback."""
    score_name: str = "reviewer_verdict"
    """The score or feedback key verdicts are written back under."""

    @field_validator("kind", mode="before")
    @classmethod
    def _known_kind(cls, value: object) -> object:
        return _one_of(value, source_names().kinds)

    @field_validator("format", mode="before")
    @classmethod
    def _known_format(cls, value: object) -> object:
        return value if value is None else _one_of(value, source_names().formats)


def _one_of(value: object, names: Sequence[str]) -> object:
    """``value`` when it is one of ``names``; else the error pydantic gives a value
    outside a ``Literal`` (same type, same words)."""
    if isinstance(value, str) and value in names:
        return value
    quoted = [repr(name) for name in names]
    expected = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": expected})


Minutes = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
"""Review minutes for one item: a finite number, zero or more (``true``, ``"5"``,
``-1``, ``nan`` and ``inf`` are refused)."""


class _Lanes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    minutes: dict[Literal["deep", "scan", "pass"], Minutes] = Field(default_factory=dict)
    """``[lanes.minutes]``: the minutes a reviewer spends on an item of each lane."""


class _Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    max_record_bytes: Annotated[int, Field(ge=1024, strict=True)] | None = None
    """``[limits] max_record_bytes``: the longest record read (a line of a JSON Lines
    file, a whole JSON document, one HTTP page), in bytes after decompression;
    default 64 MiB. A longer one is skipped as it is read and reported."""


class _Roles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    leads: list[str] = Field(default_factory=list)
    reviewers: list[str] = Field(default_factory=list)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    database: str | None = None
    rules: str | None = None
    reviewer: str | None = None
    lanes: _Lanes = Field(default_factory=_Lanes)
    keys: dict[str, str] = Field(default_factory=dict)
    roles: _Roles = Field(default_factory=_Roles)
    limits: _Limits = Field(default_factory=_Limits)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
