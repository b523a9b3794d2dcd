"""Editing rule files: every comment and the layout survive, only edited lines change."""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from triage.rules import RulesError, load_rules, rules_from_files
from triage.rules.edit import (
    add_rule,
    diff_files,
    set_enabled,
    set_rule_field,
    toml_string,
    write_files,
)
from triage.service.workspace import shipped_rules_dir


@pytest.fixture
def files() -> dict[str, str]:
    return dict(load_rules(shipped_rules_dir()).files)


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two texts."""
    removed, added = [], []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:])
    return removed, added


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


NEW_RULE = {
    "id": "handoff-to-deep",
    "lane": "deep",
    "why": "Handoffs failed often: read them closely.",
    "owner": "dana",
    "when": 'task_type == "handoff"',
    "failure_modes": ["wrong-queue"],
}


def test_changing_every_rules_lane_keeps_every_comment(files: dict[str, str]) -> None:
    for rule in rules_from_files(files).rules:
        lane = "scan" if rule.lane.value != "scan" else "deep"
        new = set_rule_field(files, rule.id, "lane", lane)
        assert [rel for rel in new if new[rel] != files[rel]] == [rule.file]
        removed, added = changed_lines(files[rule.file], new[rule.file])
        assert removed == [f'lane = "{rule.lane.value}"'] and added == [f'lane = "{lane}"']
        assert comments(new[rule.file]) == comments(files[rule.file])
        assert rules_from_files(new).get(rule.id).lane.value == lane  # type: ignore[union-attr]


def test_a_new_key_goes_after_the_rules_last_key_not_into_the_next_rules_comment(
    files: dict[str, str],
) -> None:
    new = set_enabled(files, "vip-customer", False)
    old_lines, new_lines = files["customers.toml"].splitlines(), new["customers.toml"].splitlines()
    removed, added = changed_lines(files["customers.toml"], new["customers.toml"])
    assert removed == [] and added == ["enabled = false"]
    at = new_lines.index("enabled = false")
    assert new_lines[at - 1] == "when = 'meta.customer_tier == \"vip\"'"
    assert new_lines[at + 1] == "" and new_lines[at + 2].startswith("# Booking changes")
    assert len(new_lines) == len(old_lines) + 1
    assert rules_from_files(new).get("vip-customer").enabled is False  # type: ignore[union-attr]


def test_enabling_rewrites_the_existing_line_in_place(files: dict[str, str]) -> None:
    new = set_enabled(files, "failing-task-type", True)
    removed, added = changed_lines(files["novelty.toml"], new["novelty.toml"])
    assert (removed, added) == (["enabled = false"], ["enabled = true"])


def test_a_trailing_comment_on_the_edited_line_stays() -> None:
    text = (
        '# head\n[[rule]]\nid = "a"\nlane = "scan"  # raise when it fails\n'
        'why = "w"\nowner = "o"\nwhen = \'task_type == "x"\'\n'
    )
    new = set_rule_field({"a.toml": text}, "a", "lane", "deep")["a.toml"]
    assert changed_lines(text, new) == (
        ['lane = "scan"  # raise when it fails'],
        ['lane = "deep"  # raise when it fails'],
    )


def test_a_byte_order_mark_stays() -> None:
    text = '\ufeff[[rule]]\nid = "a"\nlane = "scan"\nwhy = "w"\nowner = "o"\nwhen = \'true\'\n'
    new = set_rule_field({"a.toml": text}, "a", "lane", "deep")["a.toml"]
    assert new == text.replace('lane = "scan"', 'lane = "deep"')


def test_conditions_are_written_as_literal_strings(files: dict[str, str]) -> None:
    new = set_rule_field(files, "vip-customer", "when", 'meta.customer_tier in ["vip", "gold"]')
    _, added = changed_lines(files["customers.toml"], new["customers.toml"])
    assert added == ['when = \'meta.customer_tier in ["vip", "gold"]\'']

    quoted = set_rule_field(files, "vip-customer", "when", 'output =~ "it\'s"')
    _, added = changed_lines(files["customers.toml"], quoted["customers.toml"])
    assert added == ['when = "output =~ \\"it\'s\\""']

    block = 'task_type == "refund"\nand meta.amount > 900\n'
    multi = set_rule_field(files, "refund-over-200", "when", block)
    _, added = changed_lines(files["money.toml"], multi["money.toml"])
    assert added == ["when = '''", 'task_type == "refund"', "and meta.amount > 900", "'''"]
    assert rules_from_files(multi).get("refund-over-200").when == block  # type: ignore[union-attr]


@given(st.text(st.characters(exclude_categories=("Cs",))))
@example("a\r\nb")
@example("line\nwith ''' quotes\n")
@example("it's")
@example("\n")
def test_any_text_round_trips_through_toml_string(text: str) -> None:
    rendered = f"x = {toml_string(text).as_string()}\n"
    assert tomllib.loads(rendered)["x"] == text


def test_none_removes_a_key(files: dict[str, str]) -> None:
    new = set_rule_field(files, "failing-task-type", "notes", None)
    assert "notes" not in tomllib.loads(new["novelty.toml"])["rule"][-1]
    assert comments(new["novelty.toml"]) == comments(files["novelty.toml"])


def test_an_unknown_rule_or_a_breaking_edit_is_refused(files: dict[str, str]) -> None:
    with pytest.raises(LookupError, match="no rule 'nope'"):
        set_rule_field(files, "nope", "lane", "deep")
    with pytest.raises(RulesError) as refused:
        set_rule_field(files, "vip-customer", "lane", "critical")
    assert "unknown lane 'critical'" in str(refused.value)
    with pytest.raises(RulesError, match="duplicate rule id"):
        set_rule_field(files, "vip-customer", "id", "refund-any")


def test_add_rule_appends_below_a_comment_and_keeps_the_file_as_it_was(
    files: dict[str, str],
) -> None:
    new = add_rule(files, "customers.toml", NEW_RULE, comment="Added after review.\nSee #42.")
    old_text, new_text = files["customers.toml"], new["customers.toml"]
    assert new_text.startswith(old_text)
    tail = new_text[len(old_text) :]
    assert tail.startswith('\n# Added after review.\n# See #42.\n[[rule]]\nid = "handoff-to-deep"')
    assert "when = 'task_type == \"handoff\"'" in tail
    rule = rules_from_files(new).get("handoff-to-deep")
    assert (
        rule is not None
        and rule.file == "customers.toml"
        and rule.failure_modes == ("wrong-queue",)
    )
    assert {rel for rel in new if new[rel] != files.get(rel)} == {"customers.toml"}


def test_add_rule_creates_a_missing_file_with_its_header(files: dict[str, str]) -> None:
    new = add_rule(files, "learned.toml", NEW_RULE, comment="why", header="Learned rules.")
    assert new["learned.toml"].startswith("# Learned rules.\n\n# why\n[[rule]]\n")
    assert rules_from_files(new).get("handoff-to-deep").file == "learned.toml"  # type: ignore[union-attr]


def test_add_rule_keeps_crlf_line_endings() -> None:
    text = "# crlf file\r\n[[rule]]\r\nid = \"a\"\r\nlane = \"scan\"\r\nwhy = \"w\"\r\n" \
        "owner = \"o\"\r\nwhen = 'task_type == \"x\"'\r\n"  # fmt: skip
    new = add_rule({"a.toml": text}, "a.toml", NEW_RULE, comment="c")["a.toml"]
    assert new.startswith(text) and "\n" not in new.replace("\r\n", "")


def test_add_rule_refuses_a_duplicate_id_or_a_bad_name(files: dict[str, str]) -> None:
    with pytest.raises(RulesError, match="duplicate rule id 'refund-any'"):
        add_rule(files, "learned.toml", {**NEW_RULE, "id": "refund-any"})
    with pytest.raises(ValueError, match="not a rule file name"):
        add_rule(files, "../evil.toml", NEW_RULE)


def test_write_files_writes_only_changed_files_atomically(
    tmp_path: Path, files: dict[str, str]
) -> None:
    for rel, text in files.items():
        (tmp_path / rel).write_bytes(text.encode())
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    new = set_enabled(files, "vip-customer", False)
    new = add_rule(new, "learned.toml", NEW_RULE, comment="c")
    written = write_files(tmp_path, files, new)
    assert written == ["customers.toml", "learned.toml"]
    after = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert sorted(after) == sorted([*before, "learned.toml"])  # no temporary files left
    assert all(after[rel] == before[rel] for rel in before if rel not in written)
    assert load_rules(tmp_path).files == new
    assert (tmp_path / "learned.toml").stat().st_mode & 0o777 == 0o666 & ~current_umask()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def current_umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def test_diff_files_counts_lines(files: dict[str, str]) -> None:
    new = add_rule(set_enabled(files, "vip-customer", False), "learned.toml", NEW_RULE)
    summary, diff = diff_files(files, new)
    assert summary == {"customers.toml": (1, 0), "learned.toml": (7, 0)}
    assert "+enabled = false" in diff and "+++ b/learned.toml" in diff
