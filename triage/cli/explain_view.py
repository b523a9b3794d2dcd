"""The human form of ``triage explain``: every value from the item shown inertly."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.text import Text

from triage.core.inert import one_line
from triage.core.presentation import LANE_STYLE
from triage.core.risk import Risk
from triage.service.workspace import Explanation


def _value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(one_line(value, 80), ensure_ascii=False)
    return one_line(json.dumps(value, ensure_ascii=False, default=str), 80)


def render_explanation(ex: Explanation) -> Group:
    item, d = ex.item, ex.decision
    lines: list[Text] = []
    head = Text()
    head.append(one_line(item.id, 60), style="bold")
    head.append(f"  ({one_line(item.source, 40)})", style="dim")
    lines.append(head)
    lines.append(
        Text(
            " · ".join(
                [
                    one_line(item.agent, 30),
                    one_line(item.task_type, 30),
                    one_line(item.model, 40),
                    item.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                ]
            ),
            style="dim",
        )
    )
    lane = Text("lane: ")
    lane.append(d.lane.value.upper(), style=LANE_STYLE[d.lane.value])
    if d.audit_sample and d.rule_lane is not None:
        lane.append(f"  (rules said {d.rule_lane.value}; picked as an audit sample)")
    elif d.default_lane:
        lane.append("  (no rule matched: the rule set's default lane)")
    lines.append(lane)
    if d.reasons:
        lines.append(Text("why:"))
    for reason in sorted(d.reasons, key=lambda r: -r.lane.severity):
        row = Text("  ● ")
        row.append(one_line(reason.label, 40), style="bold")
        if reason.shadow:
            row.append(f" (shadow: would have routed to {reason.lane.value})  ", style="dim")
        else:
            row.append(f" → {reason.lane.value}  ", style=LANE_STYLE[reason.lane.value])
        row.append(one_line(reason.why, 200))
        lines.append(row)
        if reason.matched:
            matched = ", ".join(
                f"{one_line(k, 40)} = {_value(v)}" for k, v in reason.matched.items()
            )
            lines.append(Text(f"      matched: {matched}", style="dim"))
    lines.extend(_check_lines(ex))
    lines.append(risk_line(ex.decision.failure_risk))
    lines.append(_novelty_line(ex))
    lines.append(Text(f"audit sample: {'yes' if d.audit_sample else 'no'}"))
    version = f"rules: {d.rules_version}"
    if d.rules_commit:
        version += f" (git {d.rules_commit})"
    version += f" · decided {ex.decisions} time{'s' if ex.decisions != 1 else ''}"
    lines.append(Text(version, style="dim"))
    if ex.verdict:
        v = ex.verdict
        text = f"verdict: {v.outcome} by {one_line(v.reviewer, 30)}"
        if v.modes:
            text += f" ({', '.join(v.modes)})"
        lines.append(Text(text))
    else:
        lines.append(Text("verdict: none yet"))
    return Group(*lines)


def risk_line(risk: Risk | None) -> Text:
    """The learned risk in one line: ``p_fail``, its upper bound, what moved it."""
    if risk is None:
        return Text(
            "risk: no model fitted yet (triage learn); the rules' order applies", style="dim"
        )
    text = Text("risk: ")
    text.append(f"p_fail {risk.p_fail:.2f}", style="bold")
    text.append(f" (up to {risk.upper:.2f}) · model {risk.model_version}")
    if risk.contributions:
        parts = ", ".join(
            f"{one_line(name, 50)} {weight:+.1f}" for name, weight in risk.contributions
        )
        text.append(f"\n      because: {parts}", style="dim")
    return text


def _check_lines(ex: Explanation) -> list[Text]:
    checks = ex.decision.checks
    if not checks:
        return [Text("checks: none run (decided before automated checks existed)", style="dim")]
    failed = [c for c in checks if c.failed]
    head = Text("checks: ")
    if failed:
        head.append(f"{len(failed)} failed", style="bold red")
        head.append(f", {len(checks) - len(failed)} passed")
    else:
        head.append(f"all {len(checks)} passed")
    lines = [head]
    for check in failed:
        row = Text("  ✗ ", style="red")
        row.append(check.name, style="bold")
        row.append(f" ({check.status})  " if check.status != "failed" else "  ")
        row.append(one_line(check.evidence, 200))
        lines.append(row)
    if failed:
        passed = ", ".join(c.name for c in checks if not c.failed)
        lines.append(Text(f"  passed: {passed}", style="dim"))
    return lines


def _novelty_line(ex: Explanation) -> Text:
    n = ex.decision.novelty
    text = Text(f"novelty: {n.score:.0f}/100 similar")
    text.append(" — novel" if n.is_novel else " — familiar", style="bold" if n.is_novel else "")
    if ex.nearest is not None:
        text.append(f"; nearest past item {one_line(n.nearest or '', 50)}")
        if ex.nearest_verdict is not None:
            v = ex.nearest_verdict
            text.append(f", which was judged {v.outcome}")
            if v.modes:
                text.append(f": {', '.join(v.modes)}")
            if v.note:
                text.append(f" ({one_line(v.note, 60)})")
        else:
            text.append(" (not reviewed)")
    elif n.nearest is None:
        text.append("; nothing like it before from this agent and task type")
    return text
