"""Rule folders: loading, every problem with its file and line, versions, snapshots."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.core.models import Lane
from triage.rules import (
    ConditionError,
    Rule,
    RuleProblem,
    RulesError,
    RuleSettings,
    check_rules,
    load_rules,
    rules_from_files,
    version_of,
)

SETTINGS = """\
# settings for the test folder
[settings]
default_lane = "scan"
audit_rate = 0.1
novelty_threshold = 70
new_model_days = 5
"""

MONEY = """\
# money rules
[[rule]]
id = "refund-over-200"
lane = "deep"
why = "Refunds above 200 move real money."
owner = "dana"
when = 'task_type == "refund" and meta.amount > 200'
failure_modes = ["refund-over-policy"]

[[rule]]
id = "refund-any"
lane = "scan"
why = "Every refund gets a glance."
owner = "dana"
when = 'task_type == "refund"'
notes = \"\"\"
Kept separate from the rule above so the reason reads right.
[[rule]]
id = "not-a-rule"
\"\"\"

[[rule]]
id = "old-refund-rule"
lane = "deep"
why = "Retired."
owner = "dana"
when = "false"
enabled = false
"""

RELAX = """\
[[rule]]
id = "summary-pass"
lane = "PASS"
why = "Internal summaries are read by staff."
owner = "kim"
when = '''
task_type == "internal_summary"
  and meta.customer_facing != true
'''
"""

RULE = """\
[[rule]]
id = "{id}"
lane = "deep"
why = "Because."
owner = "kim"
when = '{when}'
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def good_folder(tmp_path: Path) -> Path:
    return write(
        tmp_path / "rules",
        {"settings.toml": SETTINGS, "money.toml": MONEY, "relax.toml": RELAX},
    )


def problems_in(folder: Path) -> list[tuple[str, int, str]]:
    """(file, line, message) of each problem; load_rules and check_rules must agree."""
    found = check_rules(folder)
    with pytest.raises(RulesError) as caught:
        load_rules(folder)
    assert caught.value.problems == found
    return [(p.file, p.line, p.message) for p in found]


def only_problem(folder: Path) -> tuple[str, int, str]:
    found = problems_in(folder)
    assert len(found) == 1, found
    return found[0]


# -- a clean folder ------------------------------------------------------------------------


def test_loads_rules_settings_and_positions(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    assert check_rules(folder) == []
    ruleset = load_rules(folder)
    assert ruleset.settings == RuleSettings(
        default_lane=Lane.SCAN, audit_rate=0.1, novelty_threshold=70.0, new_model_days=5.0
    )
    assert [(r.file, r.line, r.id, r.lane) for r in ruleset.rules] == [
        ("money.toml", 2, "refund-over-200", Lane.DEEP),
        ("money.toml", 10, "refund-any", Lane.SCAN),
        ("money.toml", 22, "old-refund-rule", Lane.DEEP),
        ("relax.toml", 1, "summary-pass", Lane.PASS),
    ]
    first = ruleset.rules[0]
    assert first.why == "Refunds above 200 move real money."
    assert first.owner == "dana"
    assert first.when == 'task_type == "refund" and meta.amount > 200'
    assert first.failure_modes == ("refund-over-policy",)
    assert first.enabled and first.notes == ""
    assert ruleset.rules[1].notes.startswith("Kept separate")
    assert not ruleset.rules[2].enabled
    assert ruleset.origin == str(folder)
    assert set(ruleset.files) == {"settings.toml", "money.toml", "relax.toml"}
    assert ruleset.files["money.toml"] == MONEY


def test_matching_skips_disabled_rules_and_keeps_file_order(tmp_path: Path) -> None:
    ruleset = load_rules(good_folder(tmp_path))
    refund = {"task_type": "refund", "meta": {"amount": 350}}
    assert [r.id for r in ruleset.matching(refund)] == ["refund-over-200", "refund-any"]
    assert ruleset.lane_for(refund) is Lane.DEEP
    small = {"task_type": "refund", "meta": {"amount": 20}}
    assert ruleset.lane_for(small) is Lane.SCAN
    summary = {"task_type": "internal_summary", "meta": {}}
    assert ruleset.lane_for(summary) is Lane.PASS
    assert ruleset.matching({"task_type": "booking_change"}) == []
    assert ruleset.lane_for({"task_type": "booking_change"}) is Lane.SCAN
    assert [r.id for r in ruleset.enabled] == ["refund-over-200", "refund-any", "summary-pass"]
    assert ruleset.get("old-refund-rule") is ruleset.rules[2]
    assert ruleset.get("nope") is None
    always = rules_from_files({"a.toml": RULE.format(id="everything", when="true")})
    assert always.rules[0].matches({}) is True


def test_rule_explain_gives_the_values_looked_at(tmp_path: Path) -> None:
    rule = load_rules(good_folder(tmp_path)).rules[0]
    signals = {"task_type": "refund", "meta": {"amount": 350}}
    assert rule.matches(signals)
    assert rule.explain(signals) == {"task_type": "refund", "meta.amount": 350}


def test_settings_are_optional(tmp_path: Path) -> None:
    folder = write(tmp_path / "r", {"money.toml": MONEY})
    assert load_rules(folder).settings == RuleSettings()


def test_hidden_and_other_files_are_ignored(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    (folder / ".#money.toml").write_text("not toml at all [[[", encoding="utf-8")
    (folder / "README.md").write_text("# notes", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "x.toml").write_text("broken = ", encoding="utf-8")
    assert check_rules(folder) == []
    assert set(load_rules(folder).files) == {"settings.toml", "money.toml", "relax.toml"}


# -- problems, each at its file and line ------------------------------------------------------


def test_toml_syntax_error(tmp_path: Path) -> None:
    folder = write(tmp_path / "r", {"a.toml": MONEY + '\n[[rule]]\nid = "x"\nlane = deep\n'})
    name, line, message = only_problem(folder)
    assert (name, line) == ("a.toml", 32)
    assert message.startswith("TOML syntax error: Invalid value")


def test_toml_error_at_end_of_file(tmp_path: Path) -> None:
    folder = write(tmp_path / "r", {"a.toml": 'a = 1\nb = "unterminated'})
    name, line, message = only_problem(folder)
    assert (name, line) == ("a.toml", 2)
    assert "at the end of the file" in message


def test_unknown_key_in_rule_points_at_the_key(tmp_path: Path) -> None:
    text = RULE.format(id="a", when="true").replace('owner = "kim"', 'owner = "kim"\nwhy_not = 1')
    assert only_problem(write(tmp_path / "r", {"a.toml": text})) == (
        "a.toml",
        6,
        "unknown key 'why_not' (did you mean 'why'?); rule keys: id, lane, why, owner, when, "
        "failure_modes, enabled, shadow, notes",
    )


def test_unknown_setting_points_at_the_key(tmp_path: Path) -> None:
    text = SETTINGS.replace("audit_rate = 0.1", "audit_rates = 0.1")
    folder = write(tmp_path / "r", {"s.toml": text, "money.toml": MONEY})
    name, line, message = only_problem(folder)
    assert (name, line) == ("s.toml", 4)
    assert message.startswith("unknown setting 'audit_rates' (did you mean 'audit_rate'?)")


def test_missing_required_key_points_at_the_header(tmp_path: Path) -> None:
    text = "\n\n" + RULE.format(id="no-owner", when="true").replace('owner = "kim"\n', "")
    assert only_problem(write(tmp_path / "r", {"a.toml": text})) == (
        "a.toml",
        3,
        "rule 'no-owner' has no 'owner' (required: id, lane, why, owner, when)",
    )


def test_wrong_types(tmp_path: Path) -> None:
    text = (
        RULE.format(id="a", when="true").replace('why = "Because."', "why = 42")
        + "enabled = \"yes\"\nfailure_modes = 'x'\n"
    )
    assert problems_in(write(tmp_path / "r", {"a.toml": text})) == [
        ("a.toml", 4, "why must be text, not the number 42"),
        ("a.toml", 7, "enabled must be true or false, not the text 'yes'"),
        ("a.toml", 8, "failure_modes must be a list, not the text 'x'"),
    ]


def test_empty_required_text(tmp_path: Path) -> None:
    text = RULE.format(id="a", when="true").replace('why = "Because."', 'why = "  "')
    assert only_problem(write(tmp_path / "r", {"a.toml": text})) == (
        "a.toml",
        4,
        "why must not be empty",
    )


def test_unknown_lane_lists_the_lanes(tmp_path: Path) -> None:
    text = RULE.format(id="a", when="true").replace('lane = "deep"', 'lane = "urgent"')
    assert only_problem(write(tmp_path / "r", {"a.toml": text})) == (
        "a.toml",
        3,
        "unknown lane 'urgent' (expected one of: deep, scan, pass)",
    )


@pytest.mark.parametrize("bad", ["Refund", "refund_over", "-refund", "refund--x", "a b", "ü"])
def test_invalid_id(tmp_path: Path, bad: str) -> None:
    folder = write(tmp_path / "r", {"a.toml": RULE.format(id=bad, when="true")})
    name, line, message = only_problem(folder)
    assert (name, line) == ("a.toml", 2)
    assert message.startswith(f"invalid id {bad!r}: use lowercase letters, digits and dashes")


def test_duplicate_id_across_files_points_at_the_second(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "r",
        {
            "a.toml": "# first\n" + RULE.format(id="same", when="true"),
            "b.toml": "\n"
            + RULE.format(id="other", when="true")
            + "\n"
            + RULE.format(id="same", when="false"),
        },
    )
    assert only_problem(folder) == (
        "b.toml",
        10,
        "duplicate rule id 'same'; first defined at a.toml:2",
    )


def test_settings_in_two_files(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "r",
        {"a.toml": SETTINGS, "b.toml": "# more\n\n[settings]\naudit_rate = 0.2\n", "m.toml": MONEY},
    )
    assert only_problem(folder) == (
        "b.toml",
        3,
        "[settings] may appear in one file only; it is already in a.toml:2",
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("audit_rate = 1.5", "audit_rate must be between 0 and 1 (a share: 0.05 is 5%), not 1.5"),
        ("audit_rate = -0.1", "audit_rate must be between 0 and 1 (a share: 0.05 is 5%), not -0.1"),
        ("audit_rate = nan", "audit_rate must be between 0 and 1 (a share: 0.05 is 5%), not nan"),
        ("novelty_threshold = 101", "novelty_threshold must be between 0 and 100, not 101"),
        ("new_model_days = -2", "new_model_days must be 0 or more, not -2"),
        ('audit_rate = "5%"', "audit_rate must be a number, not the text '5%'"),
        ("audit_rate = true", "audit_rate must be a number, not true"),
        ('default_lane = "fast"', "unknown lane 'fast' (expected one of: deep, scan, pass)"),
        ("default_lane = 2", "default_lane must be text (deep, scan or pass), not the number 2"),
    ],
)
def test_settings_out_of_range_or_wrong(tmp_path: Path, line: str, message: str) -> None:
    text = f"[settings]\n# comment\n{line}\n"
    folder = write(tmp_path / "r", {"a.toml": text, "m.toml": MONEY})
    assert only_problem(folder) == ("a.toml", 3, message)


def test_settings_edge_values_are_accepted(tmp_path: Path) -> None:
    text = "[settings]\naudit_rate = 0\nnovelty_threshold = 100\nnew_model_days = 0\n"
    text += 'default_lane = "Deep"\n'
    folder = write(tmp_path / "r", {"a.toml": text, "m.toml": MONEY})
    assert load_rules(folder).settings == RuleSettings(Lane.DEEP, 0.0, 100.0, 0.0)


def test_condition_error_points_at_when_with_column(tmp_path: Path) -> None:
    text = "# c\n" + RULE.format(id="a", when='task_type == "refund" and ammount > 2')
    assert only_problem(write(tmp_path / "r", {"a.toml": text})) == (
        "a.toml",
        7,
        "in 'when' at column 27: unknown name 'ammount'; item metadata is under meta "
        "(meta.ammount), and rules/README.md lists every name",
    )


def test_condition_error_in_a_multiline_when_points_at_its_line(tmp_path: Path) -> None:
    text = RELAX.replace("and meta.customer_facing != true", "and meta.customer_facing !=")
    assert only_problem(write(tmp_path / "r", {"a.toml": text})) == (
        "a.toml",
        9,
        "in 'when' at line 3, column 1: invalid syntax",
    )
    text = RELAX.replace("and meta.customer_facing", "and meta.customer_facing or bogus")
    name, line, message = only_problem(write(tmp_path / "s", {"a.toml": text}))
    assert (line, message[:33]) == (8, "in 'when' at line 2, column 31: u")


def test_regex_error_is_a_load_error_with_position(tmp_path: Path) -> None:
    text = RULE.format(id="a", when='output =~ "(refund"')
    assert only_problem(write(tmp_path / "r", {"a.toml": text})) == (
        "a.toml",
        6,
        "in 'when' at column 12: invalid regular expression: missing ), unterminated subpattern",
    )


def test_failure_mode_id_format(tmp_path: Path) -> None:
    text = RULE.format(id="a", when="true") + 'failure_modes = ["ok-one", "Not OK", 3]\n'
    assert problems_in(write(tmp_path / "r", {"a.toml": text})) == [
        (
            "a.toml",
            7,
            "invalid failure mode id 'Not OK': use lowercase letters, digits and dashes",
        ),
        ("a.toml", 7, "failure_modes must hold text ids, not the number 3"),
    ]


def test_unknown_table_and_single_bracket_rule(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "r",
        {
            "a.toml": "[[rules]]\nid = 'x'\n",
            "b.toml": "\n[rule]\nid = 'x'\n",
            "c.toml": MONEY,
        },
    )
    assert problems_in(folder) == [
        (
            "a.toml",
            1,
            "unknown table or key 'rules' (did you mean 'rule'?); a rule file holds [[rule]] "
            "entries and at most one [settings]",
        ),
        ("b.toml", 2, "write each rule under [[rule]] (double brackets), not [rule]"),
    ]


def test_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "README.md").write_text("nothing here", encoding="utf-8")
    assert problems_in(folder) == [("", 0, "no rule files (*.toml) in this folder")]


def test_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nowhere"
    assert problems_in(folder) == [("", 0, "the rule folder does not exist")]


def test_folder_without_any_rule(tmp_path: Path) -> None:
    folder = write(tmp_path / "r", {"settings.toml": SETTINGS})
    assert problems_in(folder) == [("", 0, "no [[rule]] entries in any rule file")]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    (folder / "bad.toml").write_bytes(b'# ok\n# ok\nwhy = "caf\xe9"\n')
    assert problems_in(folder) == [("bad.toml", 3, "the file is not UTF-8 text")]


def test_every_problem_is_reported_and_the_folder_refused(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "r",
        {
            "a.toml": SETTINGS.replace("audit_rate = 0.1", "audit_rate = 2")
            + "\n"
            + RULE.format(id="Bad", when="true")
            + "\n"
            + RULE.format(id="dup", when="bogus > 1").replace('"deep"', '"urgent"'),
            "b.toml": MONEY + "\n" + RULE.format(id="dup", when="true"),
            "c.toml": "[[rule]\n",
        },
    )
    found = problems_in(folder)
    assert [(name, line) for name, line, _ in found] == [
        ("a.toml", 4),  # audit_rate
        ("a.toml", 9),  # invalid id
        ("a.toml", 17),  # unknown lane
        ("a.toml", 20),  # condition
        ("b.toml", 31),  # duplicate id
        ("c.toml", 1),  # TOML syntax
    ]
    with pytest.raises(RulesError) as caught:
        load_rules(folder)
    text = str(caught.value)
    assert text.startswith(f"6 problems in the rule files in {folder}:\n")
    assert "\n  b.toml:31: duplicate rule id 'dup'; first defined at a.toml:15\n" in text


def test_problem_and_error_text() -> None:
    problem = RuleProblem("rules/money.toml", 12, "unknown lane 'x'")
    assert str(problem) == "rules/money.toml:12: unknown lane 'x'"
    assert str(RulesError([problem])) == (
        "1 problem in the rule files:\n  rules/money.toml:12: unknown lane 'x'"
    )


def test_building_a_rule_compiles_its_condition() -> None:
    rule = Rule(id="x", lane=Lane.SCAN, why="w", owner="o", when="meta.amount > 5")
    assert rule.matches({"meta": {"amount": 6}})
    with pytest.raises(ConditionError):
        Rule(id="x", lane=Lane.SCAN, why="w", owner="o", when="amount > 5")


# -- versions and snapshots ------------------------------------------------------------------


def test_version_is_stable_and_follows_every_byte(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    first = load_rules(folder).version
    assert first == load_rules(folder).version
    assert first.startswith("r-") and len(first) == 14
    int(first[2:], 16)
    assert first == version_of(load_rules(folder).files)

    money = folder / "money.toml"
    money.write_text(MONEY.replace("# money rules", "# money rules!"), encoding="utf-8")
    changed = load_rules(folder).version
    assert changed != first
    money.write_text(MONEY, encoding="utf-8")
    assert load_rules(folder).version == first

    money.rename(folder / "cash.toml")
    assert load_rules(folder).version != first


def test_version_does_not_depend_on_where_the_folder_is(tmp_path: Path) -> None:
    one = load_rules(good_folder(tmp_path / "one")).version
    two = load_rules(good_folder(tmp_path / "two")).version
    assert one == two


def test_version_tells_moved_bytes_apart() -> None:
    assert version_of({"a.toml": "xy", "b.toml": ""}) != version_of({"a.toml": "x", "b.toml": "y"})


def test_rules_from_files_reproduces_the_set(tmp_path: Path) -> None:
    original = load_rules(good_folder(tmp_path))
    restored = rules_from_files(original.files, origin="snapshot", commit="abc1234")
    assert restored.version == original.version
    assert restored.rules == original.rules
    assert restored.settings == original.settings
    assert restored.files == original.files
    assert restored.commit == "abc1234"
    assert restored.origin == "snapshot"
    signals = {"task_type": "refund", "meta": {"amount": 500}}
    assert restored.matching(signals) == original.matching(signals)


def test_rules_from_files_checks_the_same_way() -> None:
    files = {"a.toml": RULE.format(id="a", when="bogus"), "notes.md": "ignored"}
    with pytest.raises(RulesError) as caught:
        rules_from_files(files, origin="drafts")
    assert [str(p) for p in caught.value.problems] == [
        "a.toml:6: in 'when' at column 1: unknown name 'bogus'; item metadata is under "
        "meta (meta.bogus), and rules/README.md lists every name"
    ]
    assert str(caught.value).startswith("1 problem in the rule files in drafts:\n  a.toml:6:")
    with pytest.raises(RulesError) as empty:
        rules_from_files({})
    assert [p.message for p in empty.value.problems] == ["no rule files (*.toml) in this folder"]
    only = rules_from_files({"a.toml": RULE.format(id="a", when="true"), "x.md": "hi"})
    assert set(only.files) == {"a.toml"}


def test_crlf_files_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "a.toml").write_bytes(MONEY.replace("\n", "\r\n").encode())
    ruleset = load_rules(folder)
    assert [r.line for r in ruleset.rules] == [2, 10, 22]
    assert rules_from_files(ruleset.files).version == ruleset.version


# -- git commit ---------------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_commit_of_the_folder_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    folder = good_folder(repo)
    _git(repo, "init", "-q")
    assert load_rules(folder).commit is None  # no commit yet
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "rules")
    assert load_rules(folder).commit == _git(repo, "rev-parse", "--short", "HEAD")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_no_commit_outside_a_repository(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    inside = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        check=False,
    )
    if inside.returncode == 0:
        pytest.skip("the temporary folder is itself inside a git work tree")
    assert load_rules(folder).commit is None


# -- the task-type index must not change which rules match -----------------------------------

INDEXED = {
    "a.toml": "\n".join(
        RULE.format(id=rule_id, when=when)
        for rule_id, when in [
            ("refund", 'task_type == "refund"'),
            ("refund-big", 'task_type == "refund" and meta.amount > 100'),
            ("reversed", '"refund" == task_type and true'),
            ("pair", 'task_type in ["refund", "support_reply"] and agent == "bot"'),
            ("never", 'task_type == "refund" and task_type == "other"'),
            ("either", 'task_type == "refund" or is_novel'),
            ("negated", 'task_type != "refund"'),
            ("any", "meta.amount > 10"),
        ]
    )
}


@settings(max_examples=200, deadline=None)
@given(
    task=st.sampled_from(["refund", "support_reply", "other", "Refund", ""])
    | st.none()
    | st.integers()
    | st.lists(st.text(max_size=2), max_size=2),
    agent=st.sampled_from(["bot", "human"]),
    amount=st.none() | st.integers(0, 200),
    novel=st.booleans(),
)
def test_indexed_matching_equals_trying_every_rule(
    task: Any, agent: str, amount: int | None, novel: bool
) -> None:
    ruleset = rules_from_files(INDEXED)
    signals = {"task_type": task, "agent": agent, "meta": {"amount": amount}, "is_novel": novel}
    expected = [rule for rule in ruleset.enabled if rule.matches(signals)]
    assert ruleset.matching(signals) == expected
