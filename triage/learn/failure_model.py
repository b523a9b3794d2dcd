"""The failure model: every way the agents' outputs go wrong, per task type, with
its evidence; edited by the team and exported as one markdown document an owner
can read.

The export is stable: the same data gives the same bytes (no generation time,
every list in a fixed order), so it can be kept in a repository and diffed.
Agent text in it is made inert and truncated, and sits in fenced blocks that its
own backticks cannot close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from triage.core.inert import inert, one_line
from triage.core.models import FailureMode, ModeStatus
from triage.errors import InvalidInput
from triage.storage.modes import UNCHANGED, ModeEvidence, ModeExample, Modes, Unchanged

if TYPE_CHECKING:
    from triage.learn.context import LoopContext
    from triage.learn.quality import Quality
    from triage.rules import Rule
    from triage.rules.model import RuleSettings

__all__ = [
    "ModeEvidence",
    "ModeExample",
    "Modes",
    "UNCHANGED",
    "Unchanged",
    "add_mode",
    "check_mode",
    "edit_mode",
    "export_markdown",
    "reactivate_mode",
    "render_markdown",
    "retire_mode",
    "trend_word",
]

EXAMPLES = 3
"""Examples shown per mode."""
EXCERPT_CHARS = 600
"""Characters of an example's output shown (after making it inert)."""
EXCERPT_LINES = 12
TREND_DAYS = 7
"""The trend compares this many days up to the newest evidence with as many before."""

ALL_TASK_TYPES = "All task types"


# -- editing ---------------------------------------------------------------------


def check_mode(mode: FailureMode) -> None:
    """Refuse (:class:`~triage.errors.InvalidInput`) a mode that cannot be defined: an
    id with spaces, control characters or surrounding blanks, or no title."""
    if not mode.id or mode.id != mode.id.strip() or not mode.id.isprintable() or " " in mode.id:
        raise InvalidInput(f"{mode.id!r} is not a usable id (no spaces or control characters)")
    if not mode.title.strip():
        raise InvalidInput("a failure mode needs a title")


def add_mode(
    ws: LoopContext,
    mode: FailureMode,
    *,
    actor: str,
    exist_ok: bool = False,
    tagged: bool = False,
) -> FailureMode:
    """Create a failure mode (audited): the one way a mode comes to exist, whether the
    command line, a screen or a verdict asks. A mode being defined is checked first
    (:func:`check_mode`), and an id that is taken raises
    :class:`~triage.errors.InvalidInput`, or with ``exist_ok`` leaves that mode as it
    is and returns it. ``tagged``: the mode is one a verdict names before it is in the
    model, kept exactly as the reviewer wrote its id (a verdict is never refused for
    how its tag is spelled) and left as it is when it exists. Storage refuses a NUL in
    any id, whichever way it comes."""
    if not tagged:
        check_mode(mode)
    if not (exist_ok or tagged) and ws.reviews.failure_mode(mode.id) is not None:
        raise InvalidInput(f"failure mode {mode.id!r} already exists; change it with edit")
    return ws.reviews.add_failure_mode(mode, actor=actor)


def edit_mode(
    ws: LoopContext,
    mode_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    look_for: str | None = None,
    task_type: str | None | Unchanged = UNCHANGED,
    actor: str,
) -> FailureMode:
    """Change a mode's text or task type (audited with old and new values)."""
    return Modes(ws.store.engine).update_failure_mode(
        mode_id,
        title=title,
        description=description,
        look_for=look_for,
        task_type=task_type,
        actor=actor,
    )


def retire_mode(ws: LoopContext, mode_id: str, *, actor: str, reason: str = "") -> FailureMode:
    """Take a mode off the reviewers' checklist; leads only (``NotALead`` otherwise).
    Its verdicts and evidence stay; the export lists it under retired modes."""
    ws.require_lead(actor, "retire failure modes")
    return Modes(ws.store.engine).set_status(
        mode_id, ModeStatus.RETIRED, actor=actor, reason=reason
    )


def reactivate_mode(ws: LoopContext, mode_id: str, *, actor: str, reason: str = "") -> FailureMode:
    """Put a retired mode back on the checklist; leads only."""
    ws.require_lead(actor, "reactivate failure modes")
    return Modes(ws.store.engine).set_status(mode_id, ModeStatus.ACTIVE, actor=actor, reason=reason)


def export_markdown(ws: LoopContext) -> str:
    """The whole failure model of ``ws`` as markdown (see :func:`render_markdown`)."""
    modes = ws.reviews.failure_modes(active_only=False)
    evidence = Modes(ws.store.engine).mode_evidence(examples=EXAMPLES)
    ruleset = ws.rules().ruleset
    document = render_markdown(modes, evidence, rules=ruleset.rules)
    return document + quality_section(_quality(ws, ruleset.settings))


def _quality(ws: LoopContext, settings: RuleSettings) -> Quality:
    from triage.learn.quality import compute_quality
    from triage.storage.analytics import rank_facts

    return compute_quality(
        ws.store.item_facts(),
        rank_facts(ws.store.engine),
        planned_deep=settings.budget_deep,
        planned_scan=settings.budget_scan,
    )


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def quality_section(quality: Quality) -> str:
    """The "Triage quality" section of the export: how well the lanes and the queue
    order found the failures the model describes (see :mod:`triage.learn.quality`)."""
    o = quality.overall
    lines = [
        "",
        "## Triage quality",
        "",
        f"Over {_plural(o.reviewed, 'reviewed item')} ({_plural(o.failures, 'failure')}):",
        "",
        f"- Failures found per reviewer hour: {_num(o.failures_per_hour, 1)}.",
        f"- Failures found in deep: {o.deep_failures} of {o.failures}, {_pct(o.deep_share)} "
        f"(95% CI {_pct(o.deep_share_low)}–{_pct(o.deep_share_high)}).",
        f"- Queue order (lane, then risk) against fail/ok: AUC {_num(o.auc.value)} "
        f"(95% CI {_num(o.auc.low)}–{_num(o.auc.high)}); within lanes "
        f"{_num(o.auc_within_lane.value)}.",
    ]
    if o.samples:
        lines.append(
            f"- Pass escapes from audit samples: {o.escapes} of {o.samples}, "
            f"{_pct(o.escape_rate)} (95% CI {_pct(o.escape_low)}–{_pct(o.escape_high)})."
        )
    else:
        lines.append("- Pass escapes: no audit sample reviewed yet.")
    if o.scored:
        lines.append(
            f"- Calibration of p_fail over {o.scored} scored items: Brier {_num(o.brier, 3)}."
        )
    else:
        lines.append("- Calibration of p_fail: no reviewed decision carries one yet.")
    b = o.budget
    lines.append(
        f"- Share of items per lane: deep {_pct(b.deep)}, scan {_pct(b.scan)}, "
        f"pass {_pct(b.pass_)}; planned deep {_pct(b.planned_deep)}, "
        f"scan {_pct(b.planned_scan)}."
    )
    return "\n".join(lines) + "\n"


# -- the document ------------------------------------------------------------------


def trend_word(by_day: Mapping[date, int], as_of: date) -> tuple[str, int, int]:
    """``rising``, ``falling`` or ``steady``, with the counts it compares: the
    ``TREND_DAYS`` days up to ``as_of`` against the ``TREND_DAYS`` before. A change
    needs a difference of at least 2 and one side at least 1.5 times the other, so
    one stray verdict does not make a trend."""
    recent_start = as_of - timedelta(days=TREND_DAYS - 1)
    before_start = recent_start - timedelta(days=TREND_DAYS)
    recent = sum(n for day, n in by_day.items() if recent_start <= day <= as_of)
    before = sum(n for day, n in by_day.items() if before_start <= day < recent_start)
    if recent - before >= 2 and recent >= 1.5 * before:
        return "rising", recent, before
    if before - recent >= 2 and before >= 1.5 * recent:
        return "falling", recent, before
    return "steady", recent, before


def render_markdown(
    modes: Sequence[FailureMode],
    evidence: Mapping[str, ModeEvidence],
    *,
    as_of: date | None = None,
    examples: int = EXAMPLES,
    rules: Sequence[Rule] = (),
) -> str:
    """One markdown document: an intro, then per task type (modes for every task type
    first, under "All task types", then task types in order) each active mode, most
    often found first, with what goes wrong, what to look for, how often and where
    it was found and a trend, and up to ``examples`` examples; retired modes last.
    ``as_of`` (default: the day of the newest evidence) anchors the trends. ``rules``
    (the rule set in force) tells, per mode, what is being done about it: the rules
    that name it and the lane they send items to."""
    if as_of is None:
        seen = [ev.last_seen.date() for ev in evidence.values() if ev.last_seen is not None]
        as_of = max(seen, default=None)
    active = [m for m in modes if m.status is not ModeStatus.RETIRED]
    retired = sorted((m for m in modes if m.status is ModeStatus.RETIRED), key=lambda m: m.id)
    lines = _intro(active, retired, as_of)
    groups: dict[str | None, list[FailureMode]] = {}
    for mode in active:
        groups.setdefault(mode.task_type, []).append(mode)
    for task_type in sorted(groups, key=lambda t: (t is not None, t or "")):
        lines += ["", f"## {ALL_TASK_TYPES if task_type is None else code(task_type)}"]
        ranked = sorted(groups[task_type], key=lambda m: (-_failures(evidence, m), m.id))
        for mode in ranked:
            lines += _mode_section(mode, evidence.get(mode.id), as_of, examples, rules)
    if retired:
        lines += ["", "## Retired failure modes", ""]
        lines += [_retired_line(m, evidence.get(m.id)) for m in retired]
    return "\n".join(lines).rstrip("\n") + "\n"


def _intro(active: list[FailureMode], retired: list[FailureMode], as_of: date | None) -> list[str]:
    lines = [
        "# Failure model",
        "",
        "The ways our agents' outputs go wrong, per task type, as reviewers have recorded "
        "them. Each failure mode says what goes wrong and what reviewers look for (a "
        "checklist item when reviewing that task type), how often it was found and where, "
        "and recent examples. Counts are the fail verdicts in force tagged with the mode; "
        "an audit sample's failure counts under pass, the lane that would have let it "
        "through.",
    ]
    if as_of is not None:
        lines += [
            "",
            f"Trends compare the {TREND_DAYS} days up to the newest evidence "
            f"({as_of.isoformat()}) with the {TREND_DAYS} days before.",
        ]
    lines += ["", f"{_plural(len(active), 'active failure mode')}, {len(retired)} retired."]
    return lines


def _answer(mode: FailureMode, rules: Sequence[Rule]) -> list[str]:
    """What is being done about a mode: the rules that name it."""
    named = [r for r in rules if mode.id in r.failure_modes and r.enabled]
    if not named:
        return ["", "**What is being done.** No rule names this mode yet; reviewers check for it."]
    parts = []
    for rule in sorted(named, key=lambda r: (-r.lane.severity, r.id)):
        state = " (shadow: being tried out)" if rule.shadow else ""
        parts.append(f"{code(rule.id)} sends matching items to {rule.lane.value}{state}")
    return ["", "**What is being done.** " + "; ".join(parts) + "."]


def _mode_section(
    mode: FailureMode,
    ev: ModeEvidence | None,
    as_of: date | None,
    examples: int,
    rules: Sequence[Rule],
) -> list[str]:
    scope = (
        "applies to every task type"
        if mode.task_type is None
        else f"task type {code(mode.task_type)}"
    )
    lines = ["", f"### {_heading(mode.title)}", "", f"{code(mode.id)} · {scope}", ""]
    lines += _labelled("What goes wrong", mode.description)
    lines += _labelled("What to look for", mode.look_for)
    if ev is None or not ev.failures or ev.first_seen is None or ev.last_seen is None:
        lines += ["**How often.** Not found in any fail verdict yet."]
        return lines + _answer(mode, rules)
    first, last = ev.first_seen.date().isoformat(), ev.last_seen.date().isoformat()
    if first == last:
        where = "an item" if ev.failures == 1 else "items"
        how = f"**How often.** Found {_times(ev.failures)}, in {where} from {first}"
    else:
        how = f"**How often.** Found {_times(ev.failures)}, in items from {first} to {last}"
    if as_of is not None:
        word, recent, before = trend_word(ev.by_day, as_of)
        how += (
            f"; {word} ({recent} in the last {TREND_DAYS} days, "
            f"{before} in the {TREND_DAYS} before)"
        )
    lines += [
        how + ".",
        "",
        "- By lane: " + _counts(ev.by_lane.items(), lambda lane: lane),
        "- By model version: " + _counts(ev.by_model.items(), code),
    ]
    lines += _answer(mode, rules)
    shown = ev.examples[: max(0, examples)]
    if shown:
        lines += ["", "**Examples**"]
        for n, example in enumerate(shown, 1):
            lines += _example(n, example)
    return lines


def _example(n: int, ex: ModeExample) -> list[str]:
    lines = [
        "",
        f"{n}. {code(ex.ref)}, created {ex.created_at.date().isoformat()}, found in "
        f"{escape(ex.lane)}, agent {code(ex.agent)}, model {code(ex.model)}; "
        f"reviewed by {escape(one_line(ex.reviewer, 60))}.",
    ]
    if ex.note.strip():
        lines += ["", f"Reviewer's note: “{escape(one_line(ex.note, 400))}”"]
    lines += ["", *fenced(excerpt(ex.excerpt))]
    return lines


def _retired_line(mode: FailureMode, ev: ModeEvidence | None) -> str:
    scope = "every task type" if mode.task_type is None else f"task type {code(mode.task_type)}"
    line = f"- {code(mode.id)}: {_heading(mode.title)} ({scope})"
    if ev is not None and ev.failures and ev.last_seen is not None:
        line += (
            f"; found {_times(ev.failures)}, last in an item from {ev.last_seen.date().isoformat()}"
        )
    return line + "."


def _labelled(label: str, text: str) -> list[str]:
    body = inert(text).strip()
    if not body:
        return [f"**{label}.** Not written yet.", ""]
    return [f"**{label}.** {body}", ""]


def _failures(evidence: Mapping[str, ModeEvidence], mode: FailureMode) -> int:
    ev = evidence.get(mode.id)
    return ev.failures if ev is not None else 0


def _counts(pairs: Iterable[tuple[str, int]], show: Callable[[str], str]) -> str:
    ordered = sorted(pairs, key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{show(name)} {n}" for name, n in ordered)


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _heading(text: str) -> str:
    # The team writes titles, so markdown in them is theirs; only keep them on one line.
    return one_line(text, 200)


# -- making untrusted text safe in markdown --------------------------------------------

_MARKDOWN_SPECIALS = set("\\`*_[]<|&~#!")
"""Characters that can start markup mid-line (``>`` only quotes at a line's start,
and no escaped text starts a line)."""


def escape(text: str) -> str:
    """``text`` (already one line) with markdown's active characters escaped, so a
    note or name reads literally: no links, images, HTML or emphasis. An underscore
    inside a word (``issue_refund``) cannot start emphasis and is left as it is."""
    out: list[str] = []
    for i, c in enumerate(text):
        inside_word = (
            c == "_" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
        )
        out.append("\\" + c if c in _MARKDOWN_SPECIALS and not inside_word else c)
    return "".join(out)


def code(text: str, width: int = 120) -> str:
    """An inline code span holding ``text`` inertly on one line, delimited by more
    backticks than any run inside it."""
    body = one_line(text, width)
    fence = "`" * (_longest_run(body, "`") + 1)
    if body.startswith("`") or body.endswith("`") or not body.strip():
        body = f" {body} "
    return f"{fence}{body}{fence}"


def excerpt(text: str, chars: int = EXCERPT_CHARS, max_lines: int = EXCERPT_LINES) -> str:
    """The head of ``text``, inert, at most ``chars`` characters and ``max_lines``
    lines; a cut is marked with ``…``."""
    flat = inert(text).rstrip()
    lines = flat.split("\n")
    cut = len(flat) > chars or len(lines) > max_lines
    head = "\n".join(lines[:max_lines])[:chars].rstrip()
    return head + "\n…" if cut else head


def fenced(text: str, info: str = "text") -> list[str]:
    """``text`` as a fenced code block whose fence is longer than any backtick run in
    it, so nothing inside can close it."""
    fence = "`" * max(3, _longest_run(text, "`") + 1)
    return [f"{fence}{info}", *text.split("\n"), fence]


def _longest_run(text: str, char: str) -> int:
    longest = run = 0
    for c in text:
        run = run + 1 if c == char else 0
        longest = max(longest, run)
    return longest
