"""The shape of ``triage.toml``, validated with pydantic (imported only when a
file is read, so starting the app without one stays quick)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SourceConfig(BaseModel):
    """One ``[sources.NAME]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["jsonl", "http"]
    """``jsonl`` (a file or folder) or ``http`` (a JSON endpoint)."""
    url: str | None = None
    """For ``http``: the endpoint returning items."""
    path: str | None = None
    """For ``jsonl``: a file or folder, relative to the config file."""
    token_env: str | None = None
    """Name of the environment variable holding the credential (never the credential)."""
    auth: Literal["bearer", "header", "basic"] = "bearer"
    """How the credential is sent: ``Authorization: Bearer``, a named header, or Basic
    (``token_env`` then holds ``user:password``)."""
    header: str = "X-Api-Key"
    """Header name when ``auth = "header"``."""
    items_pointer: str | None = None
    """JSON pointer to the item list in each page, when it is not ``items``/``data``."""


class _Lanes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    minutes: dict[Literal["deep", "scan", "pass"], float] = Field(default_factory=dict)


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
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
