"""The item screen's panels as rich ``Text``. Every value that came from an agent or
an item goes through :mod:`triage.core.inert` and is appended as plain text: nothing
from the item is ever parsed as markup."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text

from triage.core.inert import inert, one_line
from triage.core.models import FailureMode, Item, Outcome
from triage.core.presentation import LANE_STYLE

if TYPE_CHECKING:
    from triage.core.checks import CheckResult
    from triage.core.risk import Risk
    from triage.service.review import Sitting
    from triage.service.workspace import Explanation

LANE_BADGE = {
    "deep": "bold white on red",
    "scan": "bold black on yellow",
    "pass": "bold black on green",
}
VERDICT_STYLE = {
    Outcome.OK: "bold green",
    Outcome.FAIL: "bold red",
    Outcome.ESCALATE: "bold magenta",
}
TOOL_RESULT_CHARS = 4000


def _title(title: str, *, gap: bool = False) -> Text:
    text = Text("\n" if gap else "")
    text.append(title, style="bold underline")
    text.append("\n")
    return text


def header(ex: Explanation, index: int, total: int, sitting: Sitting) -> Text:
    item, d = ex.item, ex.decision
    text = Text()
    text.append(f" {d.lane.value.upper()} ", style=LANE_BADGE[d.lane.value])
    if d.audit_sample:
        text.append(" audit sample ", style="bold reverse")
    text.append(" ")
    text.append(one_line(item.id, 40), style="bold")
    text.append("   " + " · ".join(
        (one_line(item.agent, 24), one_line(item.task_type, 24), one_line(item.model, 32),
         item.created_at.strftime("%Y-%m-%d %H:%M")),
    ), style="dim")  # fmt: skip
    text.append(f"   {index + 1} of {total}", style="bold")
    if sitting.reviewed:
        text.append(f" · {sitting.reviewed} judged this sitting", style="dim")
    if ex.verdict is not None:
        text.append(
            f"   already {ex.verdict.outcome}", style=VERDICT_STYLE.get(ex.verdict.outcome, "")
        )
    return text


def _value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(one_line(value, 60), ensure_ascii=False)
    return one_line(json.dumps(value, ensure_ascii=False, default=str), 60)


def why(ex: Explanation) -> Text:
    d = ex.decision
    text = _title("Why this lane")
    if d.audit_sample and d.rule_lane is not None:
        text.append(
            f"Audit sample: the rules said {d.rule_lane.value}; a share of pass items is "
            "checked to measure what auto-pass lets through.\n\n",
            style="italic",
        )
    text.append_text(_risk(d.failure_risk))
    if d.failed_checks:  # what was found comes before the rules it set off
        text.append_text(_checks(d.checks))
        text.append("\n")
    if not d.reasons:
        text.append(f"No rule matched: the default lane, {d.lane.value}.\n")
    for reason in sorted(d.reasons, key=lambda r: -r.lane.severity):
        text.append("● ", style=LANE_STYLE[reason.lane.value])
        text.append(one_line(reason.label, 40), style="bold")
        if reason.shadow:
            text.append(
                f" (shadow: would have routed to {reason.lane.value})\n", style="dim italic"
            )
        else:
            text.append(f" → {reason.lane.value}\n", style="dim")
        text.append("  " + one_line(reason.why, 300) + "\n")
        for key, value in reason.matched.items():
            text.append(f"    {one_line(key, 40)} = {_value(value)}\n", style="dim")
    if not d.failed_checks:
        text.append_text(_checks(d.checks))
    n = d.novelty
    text.append("\nnovelty ", style="bold")
    text.append(f"{n.score:.0f}/100 similar", style="")
    text.append(" — novel\n" if n.is_novel else " — familiar\n", style="bold" if n.is_novel else "")
    version = d.rules_version + (f" (git {d.rules_commit})" if d.rules_commit else "")
    text.append(f"rules {version}", style="dim")
    return text


def _checks(checks: tuple[CheckResult, ...]) -> Text:
    """The automated checks: each failed one with its evidence, or that all passed."""
    text = Text()
    text.append("checks " if any(c.failed for c in checks) else "\nchecks ", style="bold")
    if not checks:
        text.append("none run (decided before automated checks existed)\n", style="dim")
        return text
    failed = [c for c in checks if c.failed]
    if not failed:
        text.append(f"all {len(checks)} passed\n", style="green")
        return text
    text.append(f"{len(failed)} failed", style="bold red")
    text.append(f", {len(checks) - len(failed)} passed\n")
    for check in failed:
        text.append("✗ ", style="bold red")
        text.append(check.name, style="bold")
        if check.status != "failed":
            text.append(f" ({check.status})", style="dim")
        text.append("\n  " + one_line(check.evidence, 300) + "\n")
    return text


def _risk(risk: Risk | None) -> Text:
    """The learned risk: ``p_fail``, its upper bound, and what moved it most."""
    text = Text()
    text.append("risk ", style="bold")
    if risk is None:
        text.append("no model fitted yet: the rules' order applies\n\n", style="dim")
        return text
    style = "bold red" if risk.p_fail >= 0.5 else "bold yellow" if risk.p_fail >= 0.2 else ""
    text.append(f"p_fail {risk.p_fail:.2f}", style=style)
    text.append(f" (up to {risk.upper:.2f})\n", style="dim")
    for name, weight in risk.contributions:
        text.append(f"  {weight:+.1f} ", style="red" if weight > 0 else "green")
        text.append(one_line(name, 60) + "\n")
    text.append("\n")
    return text


def nearest(ex: Explanation) -> Text:
    text = _title("Nearest past item", gap=True)
    if ex.nearest is None:
        text.append("Nothing like it before from this agent and task type.", style="italic")
        return text
    near = ex.nearest
    text.append(f"{one_line(near.id, 40)} ", style="bold")
    text.append(f"({ex.decision.novelty.score:.0f}% similar)\n", style="dim")
    v = ex.nearest_verdict
    if v is None:
        text.append("not reviewed\n", style="dim")
    else:
        text.append("judged ")
        text.append(v.outcome, style=VERDICT_STYLE.get(v.outcome, "bold"))
        if v.modes:
            text.append(": " + ", ".join(one_line(m, 40) for m in v.modes))
        if v.note:
            text.append(f" — {one_line(v.note, 120)}", style="italic")
        text.append("\n")
    text.append(one_line(near.output, 240), style="dim")
    return text


def checklist(modes: list[FailureMode], checks: dict[str, str]) -> Text:
    text = _title("Checklist", gap=True)
    if not modes:
        text.append("No failure modes recorded for this task type yet.", style="italic")
        return text
    for number, mode in enumerate(modes[:9], start=1):
        state = checks.get(mode.id)
        mark, style = {"present": ("[✗]", "bold red"), "absent": ("[✓]", "bold green")}.get(
            state or "", ("[ ]", "dim")
        )
        text.append(f"{number} ", style="bold")
        text.append(f"{mark} ", style=style)
        text.append(one_line(mode.title, 60), style="bold")
        look = mode.look_for or mode.description
        if look:
            text.append("\n      " + one_line(look, 200), style="dim")
        text.append("\n")
    if len(modes) > 9:
        text.append(f"(+{len(modes) - 9} more in the fail picker)\n", style="dim")
    text.append("keys 1–9: ✗ found → ✓ clear → unanswered", style="dim")
    return text


def pending(note: str, unsaved: str = "") -> Text:
    """The note to be saved with the verdict, and why the last verdict was not saved."""
    text = Text("")
    if unsaved:
        text.append_text(_title("Not saved", gap=True))
        text.append(inert(unsaved), style="bold red")
    if note:
        text.append_text(_title("Note (saved with the verdict)", gap=True))
        text.append(inert(note[:2000]))
    return text


def tools_label(item: Item) -> str:
    errors = sum(1 for c in item.tool_calls if c.is_error)
    label = f"Tool calls ({len(item.tool_calls)})"
    return label + (f" ⚠ {errors} error{'s' if errors != 1 else ''}" if errors else "")


def tool_calls(item: Item) -> Text:
    if not item.tool_calls:
        return Text("No tool calls.", style="italic")
    text = Text()
    for call in item.tool_calls:
        style = "bold red" if call.is_error else "bold"
        text.append("✗ " if call.is_error else "▶ ", style=style)
        text.append(one_line(call.name, 60), style=style)
        text.append("(" + one_line(_json(call.arguments), 400) + ")\n", style="dim")
        result = inert(_json(call.result)[:TOOL_RESULT_CHARS])
        text.append("  → ", style=style)
        text.append(result.replace("\n", "\n    ") + "\n\n", style="red" if call.is_error else "")
    return text


def transcript_text(item: Item) -> str:
    if not item.transcript:
        return ""
    return "\n\n".join(f"{turn.role}:\n{turn.content}" for turn in item.transcript)


def meta_text(item: Item) -> str:
    return json.dumps(item.meta, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def _json(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
