"""The checks applied to each rule file, with the line each problem is on."""

from __future__ import annotations

import math
import re
import tomllib
from typing import Any

from rapidfuzz import fuzz, process, utils

from triage.core.models import Lane
from triage.core.risk import DEFAULT_CONSEQUENCE
from triage.rules.expr import ConditionError, compile_condition
from triage.rules.layout import Block, Layout, scan
from triage.rules.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_RULES, toml_nesting
from triage.rules.model import Rule, RuleProblem, RuleSettings

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""What a rule id or failure-mode id looks like: ``refund-over-200``."""

RULE_KEYS: dict[str, type] = {
    "id": str,
    "lane": str,
    "why": str,
    "owner": str,
    "when": str,
    "failure_modes": list,
    "enabled": bool,
    "shadow": bool,
    "notes": str,
}
REQUIRED = ("id", "lane", "why", "owner", "when")
SETTINGS_KEYS: dict[str, type] = {
    "default_lane": str,
    "audit_rate": float,
    "novelty_threshold": float,
    "new_model_days": float,
    "link_domains": list,
    "budget_deep": float,
    "budget_scan": float,
    "consequence": dict,
}
_RANGES: dict[str, tuple[float, float, str]] = {
    "audit_rate": (0.0, 1.0, "between 0 and 1 (a share: 0.05 is 5%)"),
    "novelty_threshold": (0.0, 100.0, "between 0 and 100"),
    "new_model_days": (0.0, math.inf, "0 or more"),
    "budget_deep": (0.0, 1.0, "between 0 and 1 (a share of the day: 0.1 is 10%)"),
    "budget_scan": (0.0, 1.0, "between 0 and 1 (a share of the day: 0.4 is 40%)"),
}
_DOMAIN = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}"
)
_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


class FolderState:
    """What checking one file needs to know of the files before it."""

    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []
        self.rules: list[Rule] = []
        self.ids: dict[str, str] = {}
        """Rule id → ``file:line`` where it was first defined."""
        self.settings = RuleSettings()
        self.settings_at: str | None = None
        self.entries = 0
        """``[[rule]]`` entries seen so far, counted against :data:`MAX_RULES`."""


class FileCheck:
    """The checks of one rule file; problems go to the folder's list."""

    def __init__(self, rel: str, text: str, state: FolderState) -> None:
        self.rel = rel
        self.text = text
        self.state = state
        self.layout = Layout([])

    def problem(self, line: int, message: str) -> None:
        self.state.problems.append(RuleProblem(self.rel, line, message))

    def run(self) -> None:
        size = len(self.text.encode("utf-8", "surrogatepass"))
        if size > MAX_FILE_BYTES:
            self.problem(0, f"the file is {size:,} bytes (the limit is {MAX_FILE_BYTES:,})")
            return
        nesting = toml_nesting(self.text)
        if nesting.value > MAX_DEPTH:
            self.problem(
                nesting.line,
                f"arrays and tables are nested {nesting.value} deep (the limit is {MAX_DEPTH})",
            )
            return
        try:
            data = tomllib.loads(self.text.removeprefix("\ufeff"))
        except tomllib.TOMLDecodeError as err:
            self.problem(*_toml_error(str(err), self.text))
            return
        except RecursionError:  # not reached under the nesting limit; kept as a net
            self.problem(1, f"arrays and tables are nested too deeply (the limit is {MAX_DEPTH})")
            return
        self.layout = scan(self.text)
        for key in data:
            if key not in ("rule", "settings"):
                self.problem(
                    self.top_line(key),
                    f"unknown table or key {key!r}{_suggest(key, ['rule', 'settings'])}; "
                    "a rule file holds [[rule]] entries and at most one [settings]",
                )
        if "settings" in data:
            self.settings(data["settings"])
        if "rule" in data:
            self.rules(data["rule"])

    def top_line(self, key: str) -> int:
        tables = self.layout.tables(key)
        return tables[0].line if tables else self.layout.top.line_of(key)

    # -- [settings] ----------------------------------------------------------------

    def settings(self, table: Any) -> None:
        line = self.top_line("settings")
        blocks = self.layout.tables("settings")
        block = blocks[0] if blocks else Block(name="settings", line=line)
        state = self.state
        if state.settings_at is not None:
            self.problem(
                line,
                f"[settings] may appear in one file only; it is already in {state.settings_at}",
            )
        else:
            state.settings_at = f"{self.rel}:{line}"
        if not isinstance(table, dict):
            self.problem(line, "settings must be a table: write [settings] and key = value lines")
            return
        values: dict[str, Any] = {}
        for key, value in table.items():
            at = block.line_of(key)
            if key not in SETTINGS_KEYS:
                known = ", ".join(SETTINGS_KEYS)
                self.problem(
                    at,
                    f"unknown setting {key!r}{_suggest(key, list(SETTINGS_KEYS))}; "
                    f"settings: {known}",
                )
            elif key == "default_lane":
                lane = self.lane(at, "default_lane", value)
                if lane is not None:
                    values[key] = lane
            elif key == "consequence":
                weights = self.consequence(at, value)
                if weights is not None:
                    values[key] = weights
            elif key == "link_domains":
                domains = self.domains(at, value)
                if domains is not None:
                    values[key] = domains
            elif not _is_number(value):
                self.problem(at, f"{key} must be a number, not {_kind(value)}")
            else:
                low, high, wanted = _RANGES[key]
                if not (math.isfinite(value) or high == math.inf) or not low <= value <= high:
                    self.problem(at, f"{key} must be {wanted}, not {value}")
                else:
                    values[key] = float(value)
        if state.settings_at == f"{self.rel}:{line}":
            state.settings = RuleSettings(**values)

    def consequence(self, line: int, value: Any) -> tuple[tuple[str, float], ...] | None:
        """``consequence``: an inline table of multipliers, each a known name."""
        if not isinstance(value, dict):
            self.problem(
                line, f"consequence must be a table ({{amount = 0.5}}), not {_kind(value)}"
            )
            return None
        out: list[tuple[str, float]] = []
        for name, weight in value.items():
            if name not in DEFAULT_CONSEQUENCE:
                known = ", ".join(DEFAULT_CONSEQUENCE)
                self.problem(
                    line,
                    f"unknown consequence {name!r}{_suggest(name, list(DEFAULT_CONSEQUENCE))}; "
                    f"known: {known}",
                )
                return None
            if not _is_number(weight) or not math.isfinite(weight) or weight < 0:
                self.problem(line, f"consequence.{name} must be a number 0 or more, not {weight!r}")
                return None
            out.append((name, float(weight)))
        return tuple(out)

    def domains(self, line: int, value: Any) -> tuple[str, ...] | None:
        """``link_domains``: a list of domain names, kept lower-case without a leading
        ``www.`` or dot."""
        if not isinstance(value, list):
            self.problem(
                line,
                f'link_domains must be a list of domains (["example.com"]), not {_kind(value)}',
            )
            return None
        out: list[str] = []
        for entry in value:
            name = (
                entry.strip().lower().removeprefix("www.").strip(".")
                if isinstance(entry, str)
                else ""
            )
            if not _DOMAIN.fullmatch(name):
                shown = entry if isinstance(entry, str) else _kind(entry)
                self.problem(line, f"link_domains: {shown!r} is not a domain name (example.com)")
                return None
            out.append(name)
        return tuple(dict.fromkeys(out))

    def lane(self, line: int, key: str, value: Any) -> Lane | None:
        if not isinstance(value, str):
            self.problem(line, f"{key} must be text (deep, scan or pass), not {_kind(value)}")
            return None
        try:
            return Lane.parse(value)
        except ValueError as err:
            self.problem(line, str(err))
            return None

    # -- [[rule]] --------------------------------------------------------------------

    def rules(self, entries: Any) -> None:
        headers = [b for b in self.layout.tables("rule") if b.array]
        if not isinstance(entries, list):
            self.problem(
                self.top_line("rule"),
                "write each rule under [[rule]] (double brackets), not [rule]",
            )
            return
        for index, entry in enumerate(entries):
            if index < len(headers):
                block = headers[index]
            else:  # an inline array of tables: no headers to point at
                block = Block(name="rule", line=self.layout.top.line_of("rule"))
            if self.state.entries == MAX_RULES:
                self.problem(
                    block.line,
                    f"too many rules: a folder may hold {MAX_RULES:,} (this is one more)",
                )
                return
            self.state.entries += 1
            if not isinstance(entry, dict):
                self.problem(block.line, "each rule must be a [[rule]] table")
                continue
            self.rule(entry, block)

    def rule(self, entry: dict[str, Any], block: Block) -> None:
        # Every check runs even after a failed one, so one pass reports everything.
        good = {key: value for key, value in entry.items() if self.rule_key(key, value, block)}
        label = f"rule {good['id']!r}" if "id" in good else "this rule"
        for key in REQUIRED:
            if key not in entry:
                required = ", ".join(REQUIRED)
                self.problem(block.line, f"{label} has no {key!r} (required: {required})")
        ok = len(good) == len(entry) and all(key in entry for key in REQUIRED)
        if "id" in good:
            ok = self.rule_id(good["id"], block) and ok
        lane = self.lane(block.line_of("lane"), "lane", good["lane"]) if "lane" in good else None
        modes = self.failure_modes(good.get("failure_modes", []), block)
        if "when" in good:
            try:
                compile_condition(good["when"])
            except ConditionError as err:
                line = self.when_line(block, err.line)
                where = "" if err.whole else f"in 'when' at {_where(err)}: "
                self.problem(line, where + err.message)
                ok = False
        if not ok or lane is None or modes is None:
            return
        self.state.rules.append(
            Rule(
                id=good["id"],
                lane=lane,
                why=good["why"].strip(),
                owner=good["owner"].strip(),
                when=good["when"],
                failure_modes=modes,
                enabled=good.get("enabled", True),
                shadow=good.get("shadow", False),
                notes=good.get("notes", ""),
                file=self.rel,
                line=block.line,
            )
        )

    def rule_key(self, key: str, value: Any, block: Block) -> bool:
        """Whether ``key = value`` is a known rule key with a value of the right type."""
        at = block.line_of(key)
        wanted = RULE_KEYS.get(key)
        if wanted is None:
            known = ", ".join(RULE_KEYS)
            suggestion = _suggest(key, list(RULE_KEYS))
            self.problem(at, f"unknown key {key!r}{suggestion}; rule keys: {known}")
            return False
        if not isinstance(value, wanted):
            self.problem(at, f"{key} must be {_KINDS[wanted]}, not {_kind(value)}")
            return False
        if isinstance(value, str) and key in REQUIRED and not value.strip():
            self.problem(at, f"{key} must not be empty")
            return False
        return True

    def rule_id(self, rule_id: str, block: Block) -> bool:
        at = block.line_of("id")
        if not SLUG.fullmatch(rule_id):
            self.problem(
                at,
                f"invalid id {rule_id!r}: use lowercase letters, digits and dashes "
                "(e.g. refund-over-200)",
            )
            return False
        first = self.state.ids.get(rule_id)
        if first is not None:
            self.problem(at, f"duplicate rule id {rule_id!r}; first defined at {first}")
            return False
        self.state.ids[rule_id] = f"{self.rel}:{block.line}"
        return True

    def failure_modes(self, modes: list[Any], block: Block) -> tuple[str, ...] | None:
        at = block.line_of("failure_modes")
        good = True
        for mode in modes:
            if not isinstance(mode, str):
                self.problem(at, f"failure_modes must hold text ids, not {_kind(mode)}")
                good = False
            elif not SLUG.fullmatch(mode):
                self.problem(
                    at,
                    f"invalid failure mode id {mode!r}: use lowercase letters, digits and dashes",
                )
                good = False
        return tuple(modes) if good else None

    def when_line(self, block: Block, expression_line: int) -> int:
        """The file line of line ``expression_line`` of the rule's condition."""
        found = block.keys.get("when")
        if found is None:
            return block.line
        rest = found.rest.strip()
        opens_multiline = rest[:3] in ('"""', "'''") and not rest[3:].strip()
        return found.line + expression_line - 1 + (1 if opens_multiline else 0)


_KINDS: dict[type, str] = {
    str: "text",
    bool: "true or false",
    list: "a list",
    float: "a number",
    dict: "a table",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _suggest(word: str, choices: list[str]) -> str:
    found = process.extractOne(
        word, choices, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=70
    )
    return "" if found is None else f" (did you mean {found[0]!r}?)"


def _where(err: ConditionError) -> str:
    if err.line == 1:
        return f"column {err.column}"
    return f"line {err.line}, column {err.column}"


def _toml_error(message: str, text: str) -> tuple[int, str]:
    """(line, message) of a tomllib error such as ``Invalid value (at line 3, column 7)``."""
    found = _TOML_POSITION.search(message)
    if found is None:
        return 1, f"TOML syntax error: {message}"
    head = message[: found.start()]
    if found.group(1) is None:
        return max(1, text.count("\n") + (0 if text.endswith("\n") else 1)), (
            f"TOML syntax error: {head} (at the end of the file)"
        )
    return int(found.group(1)), f"TOML syntax error: {head} (column {found.group(2)})"
