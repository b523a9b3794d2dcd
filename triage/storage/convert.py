"""Between storage rows and domain objects, and the content hash that makes pulls idempotent."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from triage.core.checks.result import CheckResult
from triage.core.jsonio import dumps_sorted, loads
from triage.core.models import (
    Decision,
    Item,
    Lane,
    Novelty,
    Reason,
    ReasonKind,
    ToolCall,
    Turn,
)
from triage.core.risk import Risk


def now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (SQLite hands back naive ones)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def item_content(item: Item) -> dict[str, Any]:
    """Everything about an item but its identity, JSON-ready."""
    return {
        "created_at": utc(item.created_at).isoformat(),
        "agent": item.agent,
        "task_type": item.task_type,
        "model": item.model,
        "input": item.input,
        "output": item.output,
        "tool_calls": [
            {"name": c.name, "arguments": c.arguments, "result": c.result, "is_error": c.is_error}
            for c in item.tool_calls
        ],
        "transcript": [{"role": t.role, "content": t.content} for t in item.transcript],
        "meta": item.meta,
    }


@dataclass(frozen=True, slots=True)
class Prepared:
    """An item ready to store: its JSON columns serialised once (keys sorted), and
    the content hash computed from exactly those bytes."""

    item: Item
    created_at: datetime
    tool_calls: str
    transcript: str
    meta: str
    digest: str


_SEP = "\x1f"


def prepare(item: Item) -> Prepared:
    """Serialise ``item``'s structured fields and hash its content."""
    created = utc(item.created_at)
    tool_calls = dumps_sorted(
        [
            {"name": c.name, "arguments": c.arguments, "result": c.result, "is_error": c.is_error}
            for c in item.tool_calls
        ]
    ).decode()
    transcript = dumps_sorted([{"role": t.role, "content": t.content} for t in item.transcript])
    meta = dumps_sorted(item.meta).decode()
    blob = _SEP.join(
        (
            created.isoformat(), item.agent, item.task_type, item.model, item.input,
            item.output, tool_calls, transcript.decode(), meta,
        )
    )  # fmt: skip
    digest = hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return Prepared(item, created, tool_calls, transcript.decode(), meta, digest)


def content_hash(item: Item) -> str:
    """A stable hash of everything about an item but its identity."""
    return prepare(item).digest


def item_row_values(prepared: Prepared) -> dict[str, Any]:
    """Column values for an ``item`` row (without pk and bookkeeping), for the
    SQLAlchemy path (JSON columns as Python values)."""
    item = prepared.item
    return {
        "source": item.source,
        "item_id": item.id,
        "created_at": prepared.created_at,
        "agent": item.agent,
        "task_type": item.task_type,
        "model": item.model,
        "input": item.input,
        "output": item.output,
        "tool_calls": loads(prepared.tool_calls),
        "transcript": loads(prepared.transcript),
        "meta": item.meta,
        "content_hash": prepared.digest,
    }


def item_from_row(row: Any) -> Item:
    """An :class:`Item` from an ``item`` row (ORM object or Core row)."""
    return Item(
        id=row.item_id,
        source=row.source,
        created_at=utc(row.created_at),
        agent=row.agent,
        task_type=row.task_type,
        model=row.model,
        input=row.input,
        output=row.output,
        tool_calls=tuple(
            ToolCall(
                name=str(c.get("name", "")),
                arguments=c.get("arguments"),
                result=c.get("result"),
                is_error=bool(c.get("is_error", False)),
            )
            for c in row.tool_calls or ()
        ),
        transcript=tuple(
            Turn(role=str(t.get("role", "")), content=str(t.get("content", "")))
            for t in row.transcript or ()
        ),
        meta=dict(row.meta or {}),
    )


ESCALATED = "escalated"
"""The ``rule`` an escalation reason is stored under. Rows written before reasons
carried a kind told an escalation only by this name (and its ``why``)."""


def reason_to_json(reason: Reason) -> dict[str, Any]:
    """A reason as stored in a decision row. A rule's keeps the shape it always had
    (``rule``, ``lane``, ``why``, ``matched``, ``failure_modes``, ``shadow``); an
    escalation adds ``kind``, ``reviewer`` and ``note`` and keeps ``rule`` as
    ``escalated``, so rows read the same by any version."""
    out: dict[str, Any] = {
        "rule": reason.rule if reason.rule is not None else reason.label,
        "lane": reason.lane.value,
        "why": reason.why,
        "matched": _jsonable(reason.matched),
        "failure_modes": list(reason.failure_modes),
        "shadow": reason.shadow,
    }
    if reason.kind not in (ReasonKind.RULE, ReasonKind.SHADOW):
        out.update(kind=reason.kind.value, reviewer=reason.reviewer, note=reason.note)
    return out


def reason_from_json(data: dict[str, Any]) -> Reason:
    """A reason from a decision row. Without a ``kind`` (a rule's, or any row written
    before reasons carried one) it is a shadow rule's when ``shadow`` is set, an
    escalation when stored as ``escalated`` with the ``why`` an escalation has
    (``escalated by <reviewer>[: <note>]``, split at the first ``": "``), else a rule's."""
    rule, why = str(data["rule"]), str(data["why"])
    lane = Lane(data["lane"])
    kind = _kind(data, rule, why)
    if kind is ReasonKind.ESCALATION:
        reviewer, note = data.get("reviewer"), data.get("note")
        if "kind" not in data:
            reviewer, _, note = why.removeprefix(_ESCALATED_BY).partition(": ")
        return Reason(None, lane, why, kind=kind, reviewer=reviewer or None, note=str(note or ""))
    return Reason(
        rule=rule,
        lane=lane,
        why=why,
        matched=dict(data.get("matched") or {}),
        failure_modes=tuple(data.get("failure_modes") or ()),
        kind=kind,
    )


_ESCALATED_BY = "escalated by "


def _kind(data: dict[str, Any], rule: str, why: str) -> ReasonKind:
    if "kind" in data:
        return ReasonKind(data["kind"])
    if data.get("shadow"):
        return ReasonKind.SHADOW
    if rule == ESCALATED and why.startswith(_ESCALATED_BY):
        return ReasonKind.ESCALATION
    return ReasonKind.RULE


def decision_row_values(item_pk: int, decision: Decision, at: datetime) -> dict[str, Any]:
    """Column values for a ``decision`` row."""
    return {
        "item_pk": item_pk,
        "lane": decision.lane.value,
        "rule_lane": decision.rule_lane.value if decision.rule_lane else None,
        "default_lane": decision.default_lane,
        "reasons": [reason_to_json(r) for r in decision.reasons],
        "novelty": decision.novelty.score,
        "nearest": decision.novelty.nearest,
        "is_novel": decision.novelty.is_novel,
        "audit_sample": decision.audit_sample,
        "risk": decision.risk,
        "rules_version": decision.rules_version,
        "rules_commit": decision.rules_commit,
        "decided_at": at,
        "checks": [
            {"name": c.name, "status": c.status, "evidence": c.evidence} for c in decision.checks
        ],
        **_risk_values(decision.failure_risk),
    }


def _risk_values(risk: Risk | None) -> dict[str, Any]:
    if risk is None:
        return {
            "p_fail": None,
            "p_fail_upper": None,
            "risk_model": None,
            "risk_contributions": None,
        }
    return {
        "p_fail": risk.p_fail,
        "p_fail_upper": risk.upper,
        "risk_model": risk.model_version,
        "risk_contributions": [[feature, weight] for feature, weight in risk.contributions],
    }


def _risk_from_row(row: Any) -> Risk | None:
    p_fail = getattr(row, "p_fail", None)
    if p_fail is None:
        return None
    stored = getattr(row, "risk_contributions", None) or []
    contributions = tuple(
        (str(pair[0]), float(pair[1]))
        for pair in stored
        if isinstance(pair, list) and len(pair) == 2
    )
    upper = row.p_fail_upper if row.p_fail_upper is not None else p_fail
    return Risk(float(p_fail), float(upper), str(row.risk_model or ""), contributions)


def decision_from_row(row: Any) -> Decision:
    """A :class:`Decision` from a ``decision`` row."""
    return Decision(
        lane=Lane(row.lane),
        reasons=tuple(reason_from_json(r) for r in row.reasons or ()),
        novelty=Novelty(score=row.novelty, nearest=row.nearest, is_novel=row.is_novel),
        audit_sample=row.audit_sample,
        rules_version=row.rules_version,
        rules_commit=row.rules_commit,
        default_lane=row.default_lane,
        rule_lane=Lane(row.rule_lane) if row.rule_lane else None,
        risk=row.risk,
        checks=_checks_from_json(getattr(row, "checks", None)),
        failure_risk=_risk_from_row(row),
    )


_PASSED: dict[tuple[Any, Any], CheckResult] = {}
"""Results without evidence, one object each: most of every decision's checks."""


def _checks_from_json(stored: Any) -> tuple[CheckResult, ...]:
    if not isinstance(stored, list):
        return ()
    out: list[CheckResult] = []
    for c in stored:
        if not isinstance(c, dict):
            continue
        name, status, evidence = c.get("name", ""), c.get("status", ""), c.get("evidence", "")
        if not evidence:
            found = _PASSED.get((name, status))
            if found is None:
                found = CheckResult(str(name), str(status))
                if len(_PASSED) < 256:  # names and statuses are few; bound it anyway
                    _PASSED[(name, status)] = found
            out.append(found)
        else:
            out.append(CheckResult(str(name), str(status), str(evidence)))
    return tuple(out)


def _jsonable(value: Any) -> Any:
    """``value`` with anything JSON cannot hold turned into text."""
    return json.loads(json.dumps(value, default=str))
