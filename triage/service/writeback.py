"""Verdicts back to the platform their item came from, through the database's outbox.

Opt-in per source (``write_back = true`` in its ``[sources.NAME]`` table, for a platform
that takes verdicts: Langfuse scores, LangSmith feedback). Recording a verdict queues it
(:func:`queue_verdict`) in the outbox (:mod:`triage.storage.outbox`); :func:`push` sends
what is due. A platform that is down or refuses an entry never loses a verdict: the
entry stays queued with its error and is tried again later, with exponentially growing
waits (:func:`next_attempt_at`).

What each platform is sent is its adapter's (:mod:`triage.platforms.adapters`); how it is
sent, :mod:`triage.platforms.writeback`. A later verdict on the same item (a correction)
is a score or feedback of its own, as it is a record of its own here. Entries for the
same score or feedback are sent in the order they were queued: an undo never overtakes
the verdict it withdraws. Every reason a push reports or stores has the secrets in force
masked (:class:`triage.platforms.secrets.Secrets`), should a platform echo one back.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from triage.core.models import Item, Outcome, VerdictRecord
from triage.errors import InvalidInput
from triage.platforms import registry
from triage.platforms.writeback import Target, deliver, open_target

if TYPE_CHECKING:
    import httpx

    from triage.service.workspace import Workspace
    from triage.storage.outbox import OutboxEntry

__all__ = ["PushOutcome", "PushReport", "next_attempt_at", "push", "queue_verdict"]

log = logging.getLogger("triage.service.writeback")

FIRST_RETRY = 60.0
"""Seconds before the first retry of a failed entry; each failure doubles it ..."""
LAST_RETRY = 6 * 3600.0
"""... up to this."""


def queue_verdict(workspace: Workspace, verdict: VerdictRecord, item: Item) -> bool:
    """Queue ``verdict`` for the platform ``item`` came from. Returns whether it is
    queued: only when the item's source is a configured source of a platform that takes
    verdicts, with ``write_back = true``, the item carries the platform's id for it, and
    (for an undo) the verdict it withdraws was queued there. Queueing twice changes
    nothing."""
    from triage.storage.convert import now
    from triage.storage.outbox import Outbox

    config = workspace.config.sources.get(item.source)
    if config is None or not config.write_back:
        return False
    adapter = registry.find(config.kind)
    if adapter is None or not adapter.writes_back:
        return False
    outbox = Outbox(workspace.store.engine)
    undoes: VerdictRecord | None = None
    if verdict.outcome == Outcome.UNDO:
        undoes = _undone(workspace, verdict)
        if undoes is None or outbox.get(undoes.pk, item.source) is None:
            return False
    try:
        payload = adapter.payload(verdict, item, score_name=config.score_name, undoes=undoes)
    except InvalidInput as error:
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
        """The entry as ``triage push --json`` reports it."""
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
        """The report as ``triage push --json`` writes it."""
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


def push(
    workspace: Workspace,
    *,
    everything: bool = False,
    clients: Mapping[str, httpx.Client] | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_retries: int = 2,
    backoff: float = 0.5,
    environ: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> PushReport:
    """Send every due entry of the outbox (with ``everything``, every unsent entry,
    whatever its retry time); returns what was sent, what failed and what waits, with
    reasons.

    ``clients`` maps source names to HTTP clients (default: one per source, closed at
    the end). A 429/5xx answer or a transport error is retried ``max_retries`` times at
    once (honouring ``Retry-After``, waiting with ``sleep``); if it persists the entry
    fails, and nothing more is sent to that source in this push. A refused login
    (401/403) also stops that source. Any failure keeps the entry, counts the attempt
    and schedules the next one (:func:`next_attempt_at`).
    """
    from triage.platforms.retry import Retrying
    from triage.platforms.secrets import Secrets
    from triage.storage.outbox import Outbox

    moment = (now or datetime.now(UTC)).astimezone(UTC)
    env = os.environ if environ is None else environ
    secrets = Secrets.from_sources(workspace.config.sources, env)
    outbox = Outbox(workspace.store.engine, mask=secrets.mask)
    if everything:
        outbox.retry_now(moment)
    retrying = Retrying(max_retries=max_retries, backoff=backoff, sleep=sleep)
    report = PushReport()
    targets: dict[str, Target | str] = {}
    waiting: set[tuple[str, str]] = set()
    """(target, score/feedback id) with an earlier entry still unsent: later ones wait."""
    with ExitStack() as stack:

        def target_for(name: str, kind: str) -> Target | str:
            if name not in targets:
                targets[name] = open_target(
                    name, kind, workspace.config.sources, env, clients or {}, stack, timeout,
                    secrets,
                )  # fmt: skip
            return targets[name]

        for entry in outbox.pending():
            subject = (entry.target, str(entry.payload.get("id", entry.pk)))
            reason: str | None = None
            target: Target | str | None = None
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
            if reason is not None or not isinstance(target, Target):
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
            delivery = deliver(target, entry.payload, retrying)
            if delivery.error is None:
                outbox.mark_sent(entry.pk, moment, note=delivery.note)
                report.sent.append(PushOutcome(entry.verdict_pk, entry.target))
                log.info("sent verdict %s to %s", entry.verdict_pk, entry.target)
                continue
            error = secrets.mask(delivery.error)
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
            if delivery.halt:
                target.halted = error
    return report


def _not_due(entry: OutboxEntry) -> str:
    when = entry.next_attempt_at.isoformat(timespec="seconds")
    if entry.last_error:
        return f"next attempt at {when}; last error: {entry.last_error}"
    return f"next attempt at {when}"
