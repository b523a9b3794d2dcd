"""Verdicts back to the platform the item came from: Langfuse scores, LangSmith feedback.

Opt-in per source (``write_back = true`` in its ``[sources.NAME]`` table). Recording a
verdict queues it (:func:`queue_verdict`) in the database's outbox
(:mod:`triage.storage.outbox`); :func:`push` sends what is due. A platform that is down
or refuses an entry never loses a verdict: the entry stays queued with its error and is
tried again later, with exponentially growing waits.

What is sent:

- **Langfuse**: ``POST /api/public/scores`` with a ``CATEGORICAL`` score named after the
  source's ``score_name`` on the trace (and the observation, for items read from the
  observations API), value ``ok``, ``fail`` or ``escalate``. The score's ``id`` is
  derived from the verdict's key, so sending it again (after a lost answer) updates the
  same score instead of adding one. An undo sends the undone verdict's score again with
  the value ``undone``. The score's ``source`` is ``API``: Langfuse accepts
  ``ANNOTATION`` only together with a score config id.
- **LangSmith**: ``POST /api/v1/feedback`` on the run, ``key`` = ``score_name``,
  ``score`` 1 for ok and 0 for fail (none for escalate), ``value`` the outcome, with an
  ``id`` derived from the verdict's key. An answer of 409 (that id exists already) means
  an earlier attempt got through. An undo updates that feedback
  (``PATCH /api/v1/feedback/{id}``): value ``undone``, no score.

A later verdict on the same item (a correction) is a score or feedback of its own, as it
is a record of its own here. Entries for the same score or feedback are sent in the
order they were queued: an undo never overtakes the verdict it withdraws.

Credentials come from the environment variables the source's settings name, when an
entry is sent; they go only to the origin of the source's ``url`` (a redirect elsewhere is
refused unless ``follow_redirects`` allows it, and then followed without them:
:mod:`triage.platforms.origins`). They are never stored, logged or put in a message: every
reason a push reports or stores has the secrets in force masked
(:class:`triage.platforms.secrets.Secrets`), should a platform echo one back.
"""

from __future__ import annotations

import base64
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from triage.core.models import Item, VerdictRecord
from triage.platforms import SourceError
from triage.platforms.langfuse import api_base
from triage.platforms.origins import Credential
from triage.platforms.pages import display_url
from triage.platforms.retry import GaveUp, Retrying, refusal, send
from triage.platforms.secrets import Secrets

if TYPE_CHECKING:
    from triage.config.schema import SourceConfig
    from triage.service.workspace import Workspace
    from triage.storage.outbox import OutboxEntry

__all__ = [
    "KINDS",
    "PushOutcome",
    "PushReport",
    "feedback_payload",
    "next_attempt_at",
    "platform_id",
    "push",
    "queue_verdict",
    "request_for",
    "score_payload",
]

log = logging.getLogger("triage.platforms.writeback")

KINDS = ("langfuse", "langsmith")
"""Source kinds verdicts can be written back to."""

UNDONE = "undone"
"""The value an undo gives the withdrawn verdict's score or feedback."""

COMMENT_LIMIT = 1000
"""Characters of a comment (failure modes and note) sent at most."""

FIRST_RETRY = 60.0
"""Seconds before the first retry of a failed entry; each failure doubles it ..."""
LAST_RETRY = 6 * 3600.0
"""... up to this."""

_NAMESPACE = uuid.UUID("6f0a7c52-3d0e-5b8f-9a61-2c4d8e1b7f30")
_HOSTS = {"langfuse": "https://cloud.langfuse.com", "langsmith": "https://api.smith.langchain.com"}


# --- payloads -------------------------------------------------------------------------


def platform_id(verdict_key: str) -> str:
    """The score / feedback id for the verdict with key ``verdict_key``: a UUID derived
    from it, the same every time (so re-sending is an update, not a second score)."""
    return str(uuid.uuid5(_NAMESPACE, f"triage-verdict:{verdict_key}"))


def score_payload(
    verdict: VerdictRecord,
    item: Item,
    *,
    score_name: str,
    undoes: VerdictRecord | None = None,
) -> dict[str, Any]:
    """The body of ``POST /api/public/scores`` for ``verdict`` on ``item`` (read from
    Langfuse: its ``meta`` has ``langfuse_trace_id``). For an undo, ``undoes`` is the
    verdict it withdraws: its score is sent again with the value ``undone``."""
    trace_id = item.meta.get("langfuse_trace_id")
    if not isinstance(trace_id, str) or not trace_id:
        raise ValueError(f"item {item.source}:{item.id} has no langfuse_trace_id in its meta")
    scored = _scored(verdict, undoes)
    body: dict[str, Any] = {
        "id": platform_id(scored.key),
        "traceId": trace_id,
    }
    observation = item.meta.get("langfuse_observation_id")
    if isinstance(observation, str) and observation:
        body["observationId"] = observation
    body.update(
        {
            "name": score_name,
            "value": _value(verdict),
            "dataType": "CATEGORICAL",
            "source": "API",
        }
    )
    comment = _comment(verdict)
    if comment:
        body["comment"] = comment
    body["metadata"] = _metadata(verdict, item, undoes)
    return body


def feedback_payload(
    verdict: VerdictRecord,
    item: Item,
    *,
    score_name: str,
    undoes: VerdictRecord | None = None,
) -> dict[str, Any]:
    """The body of ``POST /api/v1/feedback`` for ``verdict`` on ``item`` (read from
    LangSmith: its ``meta`` has ``langsmith_run_id``). For an undo, ``undoes`` is the
    verdict it withdraws, and the body is an update of that verdict's feedback (it has
    no ``run_id``: see :func:`request_for`)."""
    run_id = item.meta.get("langsmith_run_id")
    if not isinstance(run_id, str) or not run_id:
        raise ValueError(f"item {item.source}:{item.id} has no langsmith_run_id in its meta")
    comment = _comment(verdict)
    if verdict.outcome == "undo" and undoes is not None:
        update: dict[str, Any] = {
            "id": platform_id(undoes.key),
            "score": None,
            "value": UNDONE,
        }
        if comment:
            update["comment"] = comment
        return update
    body: dict[str, Any] = {"id": platform_id(verdict.key), "run_id": run_id}
    trace_id = item.meta.get("langsmith_trace_id")
    if isinstance(trace_id, str) and trace_id:
        body["trace_id"] = trace_id
    body["key"] = score_name
    score = {"ok": 1, "fail": 0}.get(verdict.outcome)
    if score is not None:
        body["score"] = score
    body["value"] = _value(verdict)
    if comment:
        body["comment"] = comment
    body["feedback_source"] = {"type": "api", "metadata": _metadata(verdict, item, undoes)}
    return body


def _scored(verdict: VerdictRecord, undoes: VerdictRecord | None) -> VerdictRecord:
    return undoes if verdict.outcome == "undo" and undoes is not None else verdict


def _value(verdict: VerdictRecord) -> str:
    return UNDONE if verdict.outcome == "undo" else verdict.outcome


def _comment(verdict: VerdictRecord) -> str:
    if verdict.outcome == "undo":
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


def _metadata(verdict: VerdictRecord, item: Item, undoes: VerdictRecord | None) -> dict[str, Any]:
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


# --- queueing -------------------------------------------------------------------------


def queue_verdict(workspace: Workspace, verdict: VerdictRecord, item: Item) -> bool:
    """Queue ``verdict`` for the platform ``item`` came from. Returns whether it is
    queued: only when the item's source is a configured Langfuse or LangSmith source
    with ``write_back = true``, the item carries the platform's id for it, and (for an
    undo) the verdict it withdraws was queued there. Queueing twice changes nothing."""
    from triage.storage.convert import now
    from triage.storage.outbox import Outbox

    config = workspace.config.sources.get(item.source)
    if config is None or config.kind not in KINDS or not config.write_back:
        return False
    outbox = Outbox(workspace.store.engine)
    undoes: VerdictRecord | None = None
    if verdict.outcome == "undo":
        undoes = _undone(workspace, verdict)
        if undoes is None or outbox.get(undoes.pk, item.source) is None:
            return False
    try:
        if config.kind == "langfuse":
            payload = score_payload(verdict, item, score_name=config.score_name, undoes=undoes)
        else:
            payload = feedback_payload(verdict, item, score_name=config.score_name, undoes=undoes)
    except ValueError as error:
        log.info("verdict %s not queued for %s: %s", verdict.pk, item.source, error)
        return False
    outbox.enqueue(verdict.pk, item.source, config.kind, payload, at=now())
    return True


def _undone(workspace: Workspace, verdict: VerdictRecord) -> VerdictRecord | None:
    if verdict.supersedes is None:
        return None
    for record in workspace.reviews.for_item(verdict.item_pk):
        if record.pk == verdict.supersedes:
            return record
    return None


# --- sending --------------------------------------------------------------------------


def request_for(
    kind: str, payload: Mapping[str, Any], host: str | None = None
) -> tuple[str, httpx.URL, dict[str, Any]]:
    """(method, URL, body) that sends ``payload`` to a ``kind`` platform at ``host``
    (default: its cloud host). A LangSmith body without ``run_id`` updates the feedback
    ``id`` (an undo); every other body is created (or, on Langfuse, updated) by POST."""
    if kind not in _HOSTS:
        raise ValueError(f"verdicts cannot be written back to a {kind} source")
    base = api_base(host, _HOSTS[kind])
    if kind == "langfuse":
        return "POST", base.join("api/public/scores"), dict(payload)
    if "run_id" not in payload:
        body = {k: v for k, v in payload.items() if k != "id"}
        return "PATCH", base.join(f"api/v1/feedback/{payload['id']}"), body
    return "POST", base.join("api/v1/feedback"), dict(payload)


def next_attempt_at(attempts: int, now: datetime) -> datetime:
    """When to try an entry again after its ``attempts``-th failed attempt: one minute
    after the first, doubling with each, at most six hours."""
    wait = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)
    return now + timedelta(seconds=wait)


@dataclass(frozen=True)
class PushOutcome:
    """What happened to one queued entry in a push."""

    verdict_pk: int
    target: str
    reason: str | None = None
    """Why it failed or was not tried (``None`` when sent)."""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    """When it will be tried again (failed and pending entries)."""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdict": self.verdict_pk, "target": self.target}
        if self.reason is not None:
            out["reason"] = self.reason
            out["attempts"] = self.attempts
        if self.next_attempt_at is not None:
            out["next_attempt_at"] = self.next_attempt_at.isoformat()
        return out


@dataclass
class PushReport:
    """What a push did. Every entry still queued afterwards is in ``failed`` (tried now,
    not taken) or ``pending`` (not tried now, with the reason)."""

    sent: list[PushOutcome] = field(default_factory=list)
    failed: list[PushOutcome] = field(default_factory=list)
    pending: list[PushOutcome] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "sent": [o.as_json() for o in self.sent],
            "failed": [o.as_json() for o in self.failed],
            "pending": [o.as_json() for o in self.pending],
        }

    def summary(self) -> str:
        """A few lines for people: counts, then each failure and why entries wait."""
        lines = [f"sent {len(self.sent)}, failed {len(self.failed)}, pending {len(self.pending)}"]
        for outcome in self.failed:
            lines.append(f"  failed: verdict {outcome.verdict_pk} → {outcome.target}: "
                         f"{outcome.reason}")  # fmt: skip
        reasons: dict[tuple[str, str], int] = {}
        for outcome in self.pending:
            key = (outcome.target, outcome.reason or "")
            reasons[key] = reasons.get(key, 0) + 1
        for (target, reason), count in reasons.items():
            lines.append(f"  pending: {count} for {target}: {reason}")
        return "\n".join(lines)


@dataclass
class _Target:
    """One source being pushed to in this run."""

    name: str
    config: SourceConfig
    credential: Credential
    envs: str
    client: httpx.Client
    halted: str | None = None
    """Why nothing more is sent to it in this run (platform down, login refused)."""


def push(
    workspace: Workspace,
    *,
    clients: Mapping[str, httpx.Client] | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_retries: int = 2,
    backoff: float = 0.5,
    environ: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> PushReport:
    """Send every due entry of the outbox; returns what was sent, what failed and what
    waits, with reasons.

    ``clients`` maps source names to HTTP clients (default: one per source, closed at
    the end). A 429/5xx answer or a transport error is retried ``max_retries`` times at
    once (honouring ``Retry-After``, waiting with ``sleep``); if it persists the entry
    fails, and nothing more is sent to that source in this push. A refused login
    (401/403) also stops that source. Any failure keeps the entry, counts the attempt
    and schedules the next one (:func:`next_attempt_at`).
    """
    from triage.storage.outbox import Outbox

    moment = (now or datetime.now(UTC)).astimezone(UTC)
    env = os.environ if environ is None else environ
    secrets = Secrets.from_sources(workspace.config.sources, env)
    outbox = Outbox(workspace.store.engine, mask=secrets.mask)
    retrying = Retrying(max_retries=max_retries, backoff=backoff, sleep=sleep)
    report = PushReport()
    targets: dict[str, _Target | str] = {}
    waiting: set[tuple[str, str]] = set()
    """(target, score/feedback id) with an earlier entry still unsent: later ones wait."""
    with ExitStack() as stack:

        def target_for(name: str, kind: str) -> _Target | str:
            if name not in targets:
                targets[name] = _open_target(
                    name, kind, workspace, env, clients or {}, stack, timeout, secrets
                )
            return targets[name]

        for entry in outbox.pending():
            subject = (entry.target, str(entry.payload.get("id", entry.pk)))
            reason: str | None = None
            target: _Target | str | None = None
            if subject in waiting:
                reason = "waits for an earlier entry for the same score to be sent"
            elif entry.next_attempt_at > moment:
                reason = _not_due(entry)
            else:
                target = target_for(entry.target, entry.kind)
                if isinstance(target, str):
                    reason = target
                elif target.halted is not None:
                    reason = f"not tried: {target.halted}"
            if reason is not None or not isinstance(target, _Target):
                waiting.add(subject)
                report.pending.append(
                    PushOutcome(
                        entry.verdict_pk,
                        entry.target,
                        secrets.mask(reason or "not tried"),
                        entry.attempts,
                        entry.next_attempt_at,
                    )
                )
                continue
            error, halt, note = _deliver(target, entry, retrying)
            if error is None:
                outbox.mark_sent(entry.pk, moment, note=note)
                report.sent.append(PushOutcome(entry.verdict_pk, entry.target))
                log.info("sent verdict %s to %s", entry.verdict_pk, entry.target)
                continue
            error = secrets.mask(error)
            attempts = entry.attempts + 1
            retry_at = next_attempt_at(attempts, moment)
            outbox.mark_failed(entry.pk, error, retry_at)
            report.failed.append(
                PushOutcome(entry.verdict_pk, entry.target, error, attempts, retry_at)
            )
            log.warning(
                "could not send verdict %s to %s: %s", entry.verdict_pk, entry.target, error
            )
            waiting.add(subject)
            if halt:
                target.halted = error
    return report


def _not_due(entry: OutboxEntry) -> str:
    when = entry.next_attempt_at.isoformat(timespec="seconds")
    if entry.last_error:
        return f"next attempt at {when}; last error: {entry.last_error}"
    return f"next attempt at {when}"


def _open_target(
    name: str,
    kind: str,
    workspace: Workspace,
    env: Mapping[str, str],
    clients: Mapping[str, httpx.Client],
    stack: ExitStack,
    timeout: float,
    secrets: Secrets,
) -> _Target | str:
    """The source ``name`` ready to send to, or why it is not."""
    config = workspace.config.sources.get(name)
    if config is None:
        return f"source {name} is no longer configured in triage.toml"
    if config.kind != kind:
        return f"source {name} is now a {config.kind} source, not {kind}"
    if not config.write_back:
        return f"write_back is off for source {name}"
    needed: list[tuple[str, str | None]]
    if kind == "langfuse":
        needed = [
            ("public_key_env", config.public_key_env),
            ("secret_key_env", config.secret_key_env),
        ]
    else:
        needed = [("token_env", config.token_env)]
    values: list[str] = []
    for setting, variable in needed:
        if not variable:
            return f"source {name} has no {setting} (the environment variable with its key)"
        value = env.get(variable)
        if not value:
            return f"environment variable {variable} is not set (source {name})"
        values.append(value)
    headers: dict[str, str] = {}
    if kind == "langfuse":
        token = base64.b64encode(f"{values[0]}:{values[1]}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    else:
        headers["x-api-key"] = values[0]
        tenant = env.get(config.tenant_env) if config.tenant_env else None
        if tenant:
            headers["X-Tenant-Id"] = tenant
    try:
        base = api_base(config.url, _HOSTS[kind])
    except SourceError as error:
        return f"source {name} has an unusable url: {error}"
    credential = Credential.to(base, headers, config.follow_redirects, secrets)
    client = clients.get(name)
    if client is None:
        client = stack.enter_context(httpx.Client(timeout=timeout, follow_redirects=False))
    envs = " / ".join(v for _, v in needed if v)
    return _Target(name, config, credential, envs, client)


def _deliver(
    target: _Target, entry: OutboxEntry, retrying: Retrying
) -> tuple[str | None, bool, str | None]:
    """(error or ``None``, whether to stop sending to the target, a note when sent)."""
    method, url, body = request_for(entry.kind, entry.payload, target.config.url)
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
        return gave_up.describe(where), True, None
    except SourceError as error:
        return str(error), True, None
    status = response.status_code
    if 200 <= status < 300:
        return None, False, None
    if status == 409 and method == "POST":
        return None, False, "already there (HTTP 409)"
    if status in (401, 403):
        message = (
            f"{where} refused authentication (HTTP {status}); check the credentials in "
            f"{target.envs}"
        )
        return message, True, None
    return refusal(response, where, target.credential.secrets), False, None
