"""Rules, for leads: each rule's record, suggested changes with their backtests,
accept or dismiss, edit a rule in place, try a draft as a shadow rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Static

from triage.core.inert import inert, one_line
from triage.core.presentation import LANE_STYLE
from triage.errors import TriageError
from triage.tui.screens.base import TriageScreen
from triage.tui.widgets.keys_line import bound_keys

if TYPE_CHECKING:
    from triage.learn.rule_stats import RuleRecord
    from triage.rules import Rule, RuleSet


class RulesScreen(TriageScreen[None]):
    """Every rule with its last week's record, and what the evidence suggests."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="rules-back"),
        Binding("e", "edit", "Edit rule", id="rules-edit"),
        Binding("n", "draft", "New shadow rule", id="rules-draft"),
        Binding("v", "activate", "Activate shadow", id="rules-activate"),
        Binding("a", "accept", "Accept suggestion", id="suggestion-accept"),
        Binding("d", "dismiss_suggestion", "Dismiss suggestion", id="suggestion-dismiss"),
        Binding("tab", "app.focus_next", "Next pane", id="rules-next-pane", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.ruleset: RuleSet | None = None
        self.records: dict[str, RuleRecord] = {}
        self.suggestions: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Rules", style="bold"), id="rules-title")
        with Horizontal(id="rules-body"):
            with Vertical(id="rules-left"):
                yield DataTable(id="rules-table", cursor_type="row", zebra_stripes=True)
                yield Static(Text("Suggestions", style="bold"), classes="section-title")
                yield DataTable(id="suggestions-table", cursor_type="row")
            with VerticalScroll(id="rules-side"):
                yield Static(id="rule-detail")
        yield Footer()

    def on_mount(self) -> None:
        rules = self.query_one("#rules-table", DataTable)
        rules.add_column("rule", width=32)
        rules.add_columns("lane", "owner", "hits 7d", "set lane", "caught", "escapes")
        suggestions = self.query_one("#suggestions-table", DataTable)
        suggestions.add_column("suggestion", width=48)
        suggestions.add_columns("evidence", "backtest")
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="rules", description="rules")
    def _load(self) -> None:
        workspace = self.triage_app.workspace
        if workspace is None:
            return
        in_force = workspace.rules(reload=True)
        records = workspace.learning.rule_records(days=7)
        self.app.call_from_thread(self._show_rules, in_force.ruleset, records, in_force.problems)
        suggestions = self._suggestions()
        self.app.call_from_thread(self._show_suggestions, suggestions)

    def _suggestions(self) -> list[Any]:
        workspace = self.triage_app.workspace
        assert workspace is not None
        return list(workspace.learning.suggestions())

    def _show_rules(self, ruleset: RuleSet, records: dict[str, RuleRecord], problems: Any) -> None:
        self.ruleset, self.records = ruleset, records
        table = self.query_one("#rules-table", DataTable)
        table.clear()
        for rule in ruleset.rules:
            record = records.get(rule.id)
            name = Text(one_line(rule.id, 40))
            if rule.shadow:
                name.append(" (shadow)", style="italic dim")
            if not rule.enabled:
                name.append(" (off)", style="dim")
            table.add_row(
                name,
                Text(rule.lane.value, style=LANE_STYLE[rule.lane.value]),
                Text(one_line(rule.owner, 16)),
                str(record.hits if record else 0),
                str(record.decided if record else 0),
                str(record.caught if record else 0),
                Text(str(record.escapes), style="bold red") if record and record.escapes else "0",
                key=rule.id,
            )
        title = Text("Rules ", style="bold")
        title.append(f"{len(ruleset.rules)} in force · {ruleset.version}", style="dim")
        if problems:
            title.append(
                f" · the rules folder was refused ({len(problems)} problems): "
                "the last good set is shown",
                style="bold red",
            )
        self.query_one("#rules-title", Static).update(title)
        if ruleset.rules:
            self._detail(ruleset.rules[min(table.cursor_row, len(ruleset.rules) - 1)])

    def _show_suggestions(self, suggestions: list[Any]) -> None:
        self.suggestions = suggestions
        table = self.query_one("#suggestions-table", DataTable)
        table.clear()
        for suggestion in suggestions:
            table.add_row(
                Text(one_line(suggestion.title, 60)),
                Text(one_line(suggestion.sentence, 80)),
                Text(one_line(suggestion.backtest_summary, 60)),
                key=suggestion.id,
            )
        if not suggestions:
            table.add_row(Text("No suggestions: the evidence supports the rules as they are."))

    @on(DataTable.RowHighlighted, "#rules-table")
    def _rule_highlighted(self, event: DataTable.RowHighlighted) -> None:
        rule = self._rule_at(event.cursor_row)
        if rule is not None:
            self._detail(rule)

    @on(DataTable.RowHighlighted, "#suggestions-table")
    def _suggestion_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.suggestions):
            self.query_one("#rule-detail", Static).update(
                suggestion_detail(self.suggestions[event.cursor_row], bound_keys(self))
            )

    # -- actions -------------------------------------------------------------------

    def _current_rule(self) -> Rule | None:
        return self._rule_at(self.query_one("#rules-table", DataTable).cursor_row)

    def _current_suggestion(self) -> Any | None:
        row = self.query_one("#suggestions-table", DataTable).cursor_row
        return self.suggestions[row] if 0 <= row < len(self.suggestions) else None

    def action_edit(self) -> None:
        from triage.tui.screens.modals import RuleEditor

        rule = self._current_rule()
        if rule is None:
            return
        values: dict[str, object] = {
            "id": rule.id, "lane": rule.lane.value, "why": rule.why, "when": rule.when,
            "owner": rule.owner, "shadow": rule.shadow,
        }  # fmt: skip
        self.app.push_screen(RuleEditor(values), lambda new: self._edited(rule, values, new))

    def _edited(self, rule: Rule, old: dict[str, object], new: dict[str, object] | None) -> None:
        if new is None:
            return
        changes = {key: value for key, value in new.items() if value != old.get(key)}
        if "shadow" in changes and not changes["shadow"]:
            changes["shadow"] = None  # no key at all: an active rule
        if changes:
            self._change("edit", rule.id, changes)

    def action_draft(self) -> None:
        from triage.tui.screens.modals import RuleEditor

        values: dict[str, object] = {
            "id": "", "lane": "deep", "why": "", "when": "", "shadow": True,
            "owner": self.triage_app.config.reviewer,
        }  # fmt: skip
        self.app.push_screen(RuleEditor(values, new=True), self._drafted)

    def _drafted(self, values: dict[str, object] | None) -> None:
        if values is not None:
            self._change("draft", str(values.get("id", "")), values)

    def action_activate(self) -> None:
        rule = self._current_rule()
        if rule is None or not rule.shadow:
            self.notify("Pick a shadow rule to activate.", timeout=3)
            return
        self._change("activate", rule.id, {})

    @work(thread=True, exclusive=True, exit_on_error=False, group="rules", description="change")
    def _change(self, kind: str, rule_id: str, values: dict[str, object]) -> None:
        from triage.rules import RulesError

        workspace = self.triage_app.workspace
        actor = self.triage_app.config.reviewer
        assert workspace is not None
        try:
            if kind == "edit":
                result = workspace.learning.edit_rule(rule_id, values, actor=actor)
            elif kind == "draft":
                draft = {k: v for k, v in values.items() if k != "shadow"}
                result = workspace.learning.add_shadow_rule(draft, actor=actor)
            else:
                result = workspace.learning.activate_rule(rule_id, actor=actor)
        except RulesError as exc:
            problems = "; ".join(p.message for p in exc.problems[:3])
            self._tell(f"Not saved, the files are untouched: {problems}", "error")
            return
        except TriageError as exc:
            self._tell(f"Not saved: {exc}", "error")
            return
        self._tell(
            f"{rule_id}: {result.old_version} → {result.new_version}, audited; re-triaged "
            f"{sum(result.lanes.values())} items",
            "information",
        )
        self.app.call_from_thread(self.reload)

    def _tell(self, message: str, severity: str) -> None:
        self.app.call_from_thread(
            self.notify,
            message,
            severity=severity,
            markup=False,
            timeout=8,
        )

    def action_accept(self) -> None:
        suggestion = self._current_suggestion()
        if suggestion is None:
            return
        self.notify(f"Applying {suggestion.id}…", markup=False, timeout=3)
        self._accept(suggestion.id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rules", description="accept")
    def _accept(self, suggestion_id: str) -> None:
        workspace = self.triage_app.workspace
        assert workspace is not None
        try:
            result = workspace.learning.apply_suggestion(
                suggestion_id, actor=self.triage_app.config.reviewer
            )
        except TriageError as exc:
            self._tell(f"Not applied: {exc}", "error")
            return
        self._tell(
            f"Accepted {suggestion_id}: {', '.join(result.files)} changed "
            f"({result.old_version} → {result.new_version}), audited, items re-triaged",
            "information",
        )
        self.app.call_from_thread(self.reload)

    def action_dismiss_suggestion(self) -> None:
        from triage.tui.screens.modals import NoteEditor

        suggestion = self._current_suggestion()
        if suggestion is None:
            return
        title = f"Why dismiss {one_line(suggestion.id, 50)}?"
        self.app.push_screen(
            NoteEditor(title=title), lambda reason: self._dismissed(suggestion.id, reason)
        )

    def _dismissed(self, suggestion_id: str, reason: str | None) -> None:
        workspace = self.triage_app.workspace
        if not reason or workspace is None:
            if reason == "":
                self.notify("A dismissal needs a reason.", severity="warning", timeout=4)
            return
        try:
            workspace.learning.dismiss_suggestion(
                suggestion_id, actor=self.triage_app.config.reviewer, reason=reason
            )
        except TriageError as exc:
            self.notify(f"Not dismissed: {exc}", severity="error", markup=False, timeout=8)
            return
        self.notify(f"Dismissed {suggestion_id} (audited)", markup=False)
        self.reload()

    def _rule_at(self, row: int) -> Rule | None:
        if self.ruleset is None or not 0 <= row < len(self.ruleset.rules):
            return None
        return self.ruleset.rules[row]

    def _detail(self, rule: Rule) -> None:
        detail = rule_detail(rule, self.records.get(rule.id), bound_keys(self))
        self.query_one("#rule-detail", Static).update(detail)


def _keys(keys: Mapping[str, Sequence[str]], binding_id: str) -> str:
    """The keys bound to a binding now (``keys`` as :func:`bound_keys` gives them)."""
    return " / ".join(keys.get(binding_id, ()))


def rule_detail(rule: Rule, record: RuleRecord | None, keys: Mapping[str, Sequence[str]]) -> Text:
    """A rule's detail pane; ``keys`` are the screen's keys bound now, so the key it
    names is the one that works."""
    text = Text()
    text.append(one_line(rule.id, 60) + "\n", style="bold")
    text.append(f"→ {rule.lane.value}", style=LANE_STYLE[rule.lane.value])
    text.append(
        f"   owner {one_line(rule.owner, 30)}   {one_line(rule.file, 60)}:{rule.line}\n\n",
        style="dim",
    )
    text.append("Why\n", style="bold underline")
    text.append(one_line(rule.why, 400) + "\n\n")
    text.append("When\n", style="bold underline")
    text.append(inert(rule.when.strip()) + "\n\n")
    if rule.failure_modes:
        text.append("Failure modes\n", style="bold underline")
        text.append(", ".join(one_line(mode, 60) for mode in rule.failure_modes) + "\n\n")
    if rule.shadow:
        activate = _keys(keys, "rules-activate")
        text.append(
            "Shadow rule: matches are recorded as “would have routed”, lanes are not "
            f"changed.{f' Press {activate} to activate it.' if activate else ''}\n\n",
            style="italic",
        )
    if record is not None:
        text.append("Last 7 days\n", style="bold underline")
        text.append(
            f"{record.hits} matched · set the lane of {record.decided} · "
            f"{record.caught} failures caught · {record.escapes} escapes\n\n"
        )
    if rule.notes:
        text.append("Notes\n", style="bold underline")
        text.append(inert(rule.notes.strip()))
    return text


def suggestion_detail(suggestion: Any, keys: Mapping[str, Sequence[str]]) -> Text:
    """A suggestion's detail pane; ``keys`` are the screen's keys bound now, so the
    keys it names are the ones that work."""
    text = Text()
    text.append(one_line(suggestion.title, 200) + "\n\n", style="bold")
    text.append(one_line(suggestion.sentence, 400) + "\n\n")
    text.append("Backtest\n", style="bold underline")
    text.append(inert(str(suggestion.backtest_summary)) + "\n\n")
    hints = {
        "suggestion-accept": "accept (writes the rule file, audited, re-triages)",
        "suggestion-dismiss": "dismiss with a reason",
    }
    text.append(
        " · ".join(f"{_keys(keys, id)}: {what}" for id, what in hints.items() if _keys(keys, id))
    )
    return text
