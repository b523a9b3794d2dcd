"""Verdicts back to the platform an item came from: what every write-back shares.

Each platform that takes verdicts says in its adapter what it is sent
(:meth:`~triage.platforms.base.Adapter.payload`, :meth:`~triage.platforms.base.Adapter.request`:
Langfuse scores, LangSmith feedback). Shared here: the stable id a verdict's score or
feedback gets (:func:`platform_id`, so re-sending is an update, not a second one), the
comment and metadata every payload carries, the value an undo sends, and the sending
itself: :func:`open_target` readies a configured source (its credential, its client) and
:func:`deliver` sends one payload and says what came of it. Queueing, the order of
entries and retries are the service's (:mod:`triage.service.writeback`), over the
database's outbox.

Credentials come from the environment variables the source's settings name, when an
entry is sent; they go only to the origin of the source's ``url`` (a redirect elsewhere is
refused unless ``follow_redirects`` allows it, and then followed without them:
:mod:`triage.platforms.origins`). They are never stored, logged or put in a message.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from triage.core.models import Item, Outcome, VerdictRecord
from triage.errors import InvalidInput, SourceError
from triage.platforms import registry
from triage.platforms.base import Adapter, Missing

if TYPE_CHECKING:
    import httpx

    from triage.config.schema import SourceConfig
    from triage.platforms.origins import Credential
    from triage.platforms.retry import Retrying
    from triage.platforms.secrets import Secrets

__all__ = [
    "COMMENT_LIMIT",
    "UNDONE",
    "Delivery",
    "Target",
    "comment",
    "deliver",
    "metadata",
    "open_target",
    "platform_id",
    "request_for",
    "scored",
    "value",
]

UNDONE = "undone"
"""The value an undo gives the withdrawn verdict's score or feedback."""

COMMENT_LIMIT = 1000
"""Characters of a comment (failure modes and note) sent at most."""

_NAMESPACE = uuid.UUID("6f0a7c52-3d0e-5b8f-9a61-2c4d8e1b7f30")


# --- what every payload carries ---------------------------------------------------------


def platform_id(verdict_key: str) -> str:
    """The score / feedback id for the verdict with key ``verdict_key``: a UUID derived
    from it, the same every time (so re-sending is an update, not a second score)."""
    return str(uuid.uuid5(_NAMESPACE, f"triage-verdict:{verdict_key}"))


def scored(verdict: VerdictRecord, undoes: VerdictRecord | None) -> VerdictRecord:
    """The verdict whose score a payload is about: the withdrawn one for an undo."""
    return undoes if verdict.outcome == Outcome.UNDO and undoes is not None else verdict


def value(verdict: VerdictRecord) -> str:
    """The value sent: the outcome, or :data:`UNDONE` for an undo."""
    return UNDONE if verdict.outcome == Outcome.UNDO else str(verdict.outcome)


def comment(verdict: VerdictRecord) -> str:
    """The failure modes and note, at most :data:`COMMENT_LIMIT` characters (an undo
    says it withdraws the verdict)."""
    if verdict.outcome == Outcome.UNDO:
        text = "verdict withdrawn in triage"
    else:
        parts = []
        if verdict.modes:
            parts.append("failure modes: " + ", ".join(verdict.modes))
        if verdict.note.strip():
            parts.append(verdict.note.strip())
        text = "\n".join(parts)
    if len(text) > COMMENT_LIMIT:
        text = text[: COMMENT_LIMIT - 1] + "…"
    return text


def metadata(verdict: VerdictRecord, item: Item, undoes: VerdictRecord | None) -> dict[str, Any]:
    """Where the verdict came from: triage, its key, outcome, reviewer, modes, lane, rule
    set version, time and item (and the verdict an undo withdraws); unset values left out."""
    data: dict[str, Any] = {
        "origin": "triage",
        "verdict_key": verdict.key,
        "outcome": verdict.outcome,
        "reviewer": verdict.reviewer,
        "failure_modes": list(verdict.modes),
        "lane": verdict.lane,
        "rules_version": verdict.rules_version,
        "recorded_at": verdict.recorded_at.astimezone(UTC).isoformat(),
        "item": f"{item.source}:{item.id}",
    }
    if undoes is not None:
        data["undoes"] = undoes.key
    return {k: v for k, v in data.items() if v is not None}


# --- sending ------------------------------------------------------------------------------


def request_for(
    kind: str, payload: Mapping[str, Any], host: str | None = None
) -> tuple[str, httpx.URL, dict[str, Any]]:
    """(method, URL, body) that sends ``payload`` to a ``kind`` platform at ``host``
    (default: its cloud host). Raises :class:`~triage.errors.InvalidInput` for a kind
    that takes no verdicts."""
    from triage.platforms.api import api_base

    adapter = _writing(kind)
    return adapter.request(payload, api_base(host, adapter.default_host or ""))


def _writing(kind: str) -> Adapter:
    adapter = registry.find(kind)
    if adapter is None or not adapter.writes_back:
        raise InvalidInput(f"verdicts cannot be written back to a {kind} source")
    return adapter


@dataclass
class Target:
    """One source being sent to: its adapter, settings, credential and client."""

    name: str
    adapter: Adapter
    config: SourceConfig
    base: httpx.URL
    credential: Credential
    envs: str
    """The environment variables the credential comes from, to name when it is refused."""
    client: httpx.Client
    halted: str | None = None
    """Why nothing more is sent to it in this run (platform down, login refused)."""


def open_target(
    name: str,
    kind: str,
    sources: Mapping[str, SourceConfig],
    env: Mapping[str, str],
    clients: Mapping[str, httpx.Client],
    stack: ExitStack,
    timeout: float,
    secrets: Secrets,
) -> Target | str:
    """The configured source ``name`` (of ``kind`` when its entries were queued) ready
    to send to, or why it is not. A client made here is closed with ``stack``."""
    import httpx

    from triage.platforms.api import api_base
    from triage.platforms.origins import Credential

    config = sources.get(name)
    if config is None:
        return f"source {name} is no longer configured in triage.toml"
    if config.kind != kind:
        return f"source {name} is now a {config.kind} source, not {kind}"
    if not config.write_back:
        return f"write_back is off for source {name}"
    adapter = _writing(kind)
    keys = adapter.keys(config, env)
    if isinstance(keys, Missing):
        return keys.for_push(name)
    headers = adapter.headers(keys, config, env)
    try:
        base = api_base(config.url, adapter.default_host or "")
    except SourceError as error:
        return f"source {name} has an unusable url: {error}"
    credential = Credential.to(base, headers, config.follow_redirects, secrets)
    client = clients.get(name)
    if client is None:
        client = stack.enter_context(httpx.Client(timeout=timeout, follow_redirects=False))
    envs = " / ".join(adapter.variables(config))
    return Target(name, adapter, config, base, credential, envs, client)


@dataclass(frozen=True)
class Delivery:
    """What came of sending one payload."""

    error: str | None = None
    """Why it was not taken (``None``: it was)."""
    halt: bool = False
    """Whether to send nothing more to the target in this run."""
    note: str | None = None
    """A remark on a payload that was taken (``already there (HTTP 409)``)."""


def deliver(target: Target, payload: Mapping[str, Any], retrying: Retrying) -> Delivery:
    """Send ``payload`` to ``target``: a 2xx, or a 409 to a POST (an earlier attempt got
    through), is taken; a platform that stays down or a refused login halts the target;
    any other refusal fails this payload only."""
    from triage.platforms.pages import display_url
    from triage.platforms.retry import GaveUp, refusal, send

    method, url, body = target.adapter.request(payload, target.base)
    where = display_url(url)
    try:
        response = send(
            target.client,
            method,
            url,
            retrying=retrying,
            headers={"Accept": "application/json"},
            credential=target.credential,
            json_body=body,
            where=where,
        )
    except GaveUp as gave_up:
        return Delivery(gave_up.describe(where), halt=True)
    except SourceError as error:
        return Delivery(str(error), halt=True)
    status = response.status_code
    if 200 <= status < 300:
        return Delivery()
    if status == 409 and method == "POST":
        return Delivery(note="already there (HTTP 409)")
    if status in (401, 403):
        message = (
            f"{where} refused authentication (HTTP {status}); check the credentials in "
            f"{target.envs}"
        )
        return Delivery(message, halt=True)
    return Delivery(refusal(response, where, target.credential.secrets))
