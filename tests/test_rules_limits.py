"""Rule folders past the documented limits are refused with ``file:line``, whatever
they hold, and the last good rules stay in force for ``pull``, ``retriage`` and the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.config import Config
from triage.rules import RulesError, check_rules, load_rules, rules_from_files
from triage.rules.edit import set_rule_field
from triage.rules.limits import MAX_DEPTH, MAX_RULES, MAX_TERMS
from triage.service.workspace import Workspace, shipped_rules_dir

AND_330 = " and ".join(f"meta.a{n} == {n}" for n in range(330))
PLUS_330 = " + ".join(f"meta.a{n}" for n in range(330)) + " > 0"
NOT_1000 = "not " * 1000 + "is_novel"
PARENS_1000 = "(" * 1000 + "is_novel" + ")" * 1000
MINUS_5000 = "-" * 5000 + "meta.amount > 0"


def toml_text(value: str) -> str:
    """``value`` as a TOML basic string."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def rule(when: str, rule_id: str = "big-rule", **extra: str) -> str:
    keys = "".join(f"{key} = {value}\n" for key, value in extra.items())
    return (
        f'[[rule]]\nid = "{rule_id}"\nlane = "deep"\nwhy = "Big."\nowner = "kim"\n'
        f"{keys}when = {toml_text(when)}\n"
    )


def only_problem(files: dict[str, str]) -> str:
    with pytest.raises(RulesError) as caught:
        rules_from_files(files)
    (problem,) = caught.value.problems
    return str(problem)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (AND_330, f"condition has 660 terms, names and values (the limit is {MAX_TERMS})"),
        (PLUS_330, f"condition is nested more than {MAX_DEPTH} deep (the limit is {MAX_DEPTH})"),
        (NOT_1000, f"condition is nested more than {MAX_DEPTH} deep (the limit is {MAX_DEPTH})"),
        (PARENS_1000, f"condition is nested 1000 deep (the limit is {MAX_DEPTH})"),
        (MINUS_5000, "condition is nested more than 64 deep (the limit is 64)"),
        ("not " * 64 + "is_novel", "condition is nested 65 deep (the limit is 64)"),
        ("(" * 65 + "is_novel" + ")" * 65, "condition is nested 65 deep (the limit is 64)"),
        ("meta" + ".a" * 70 + " == 1", "condition is nested 72 deep (the limit is 64)"),
        ("output =~ '" + "x" * 10_000 + "'", "condition is 10,012 characters long"),
        ("output =~ r'" + "(" * 65 + "a" + ")" * 65 + "'", "nests groups 65 deep"),
    ],
)
def test_a_condition_past_a_limit_is_refused_with_file_and_line(when: str, message: str) -> None:
    problem = only_problem({"big.toml": "# first\n" + rule(when)})
    assert problem.startswith("big.toml:7: "), problem
    assert message in problem, problem


def test_limits_leave_room_for_rules_a_person_writes() -> None:
    deep = "not " * 63 + "is_novel"
    wide = " and ".join(f"meta.a{n} == {n}" for n in range(MAX_TERMS // 2))
    ruleset = rules_from_files({"ok.toml": rule(deep, "deep") + "\n" + rule(wide, "wide")})
    assert ruleset.get("deep").matches({"is_novel": False})  # type: ignore[union-attr]
    signals = {"meta": {f"a{n}": n for n in range(MAX_TERMS)}}
    assert ruleset.get("wide").matches(signals)  # type: ignore[union-attr]


def test_the_line_of_a_deep_multiline_condition_is_where_it_is_deepest() -> None:
    when = "is_novel\nand " + "not " * 300 + "is_novel"
    problem = only_problem({"big.toml": rule(when)})
    assert problem.startswith("big.toml:7: condition is nested more than 64 deep"), problem


def test_too_many_rules_and_too_large_or_deep_files(tmp_path: Path) -> None:
    many = "\n".join(rule("is_novel", f"r-{n}") for n in range(MAX_RULES + 1))
    problem = only_problem({"many.toml": many})
    assert problem.startswith(f"many.toml:{7 * MAX_RULES + 1}: too many rules"), problem
    assert problem.endswith(f"a folder may hold {MAX_RULES:,} (this is one more)")

    (tmp_path / "big.toml").write_text(rule("is_novel") + "#" * 1_000_001 + "\n")
    (tmp_path / "deep.toml").write_text(rule("is_novel", "b") + "x = " + "[" * 5000 + "]" * 5000)
    problems = [str(p) for p in check_rules(tmp_path)]
    assert problems == [
        "big.toml:0: the file is 1,000,086 bytes (the limit is 1,000,000)",
        "deep.toml:7: arrays and tables are nested 5000 deep (the limit is 64)",
    ]


def test_limits_apply_to_rules_edited_in_the_app_and_to_shadow_rules() -> None:
    files = dict(load_rules(shipped_rules_dir()).files)
    with pytest.raises(RulesError) as caught:
        set_rule_field(files, "customer-promise", "when", NOT_1000)
    assert "condition is nested more than 64 deep" in str(caught.value)
    shadow = rule(AND_330, "draft", shadow="true")
    assert "condition has 660 terms" in only_problem({**files, "drafts.toml": shadow})


FRAGMENTS = st.sampled_from(
    [
        "not ", "(", ")", "[", "]", " and ", " or ", "-", "+", "*", "/", ".", ",", "==", "<",
        " in ", "=~", "@", "~", "meta", ".a", "is_novel", "output", "len(", "1", "1e999", '"x"',
        "r'(a+)+$'", "'(?=x)'", "'\\\\1'", "'['", "'\\\\b'", "#", "\n", "'''", "\\", "\x00", "é",
        "lambda", "__import__", "{", "}", ":", "if", "else", "for", "=",
    ]
)  # fmt: skip
WHEN_TEXT = st.lists(FRAGMENTS, max_size=60).map("".join) | st.text(max_size=200)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(when=WHEN_TEXT, repeat=st.sampled_from([1, 1, 1, 40, 400]))
def test_any_text_as_a_condition_compiles_or_is_a_located_problem(when: str, repeat: int) -> None:
    text = when * repeat
    try:
        rules_from_files({"fuzz.toml": "# fuzz\n" + rule(text)})
    except RulesError as exc:
        assert exc.problems and all(str(p).startswith("fuzz.toml:") for p in exc.problems)
        assert all(p.line >= 1 for p in exc.problems), exc.problems


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.lists(
        st.sampled_from(["[", "]", "[[rule]]\n", "{", "}", "=", '"', "'''", "x", "\n", "#", ","])
        | st.text(max_size=5),
        max_size=300,
    ).map("".join),
    repeat=st.sampled_from([1, 50]),
)
def test_any_rule_file_loads_or_is_a_located_problem(text: str, repeat: int) -> None:
    try:
        rules_from_files({"fuzz.toml": text * repeat})
    except RulesError as exc:
        located = [p for p in exc.problems if p.file == "fuzz.toml"]
        folder = [str(p) for p in exc.problems if p.file == ""]
        assert located or folder == [":0: no [[rule]] entries in any rule file"], exc.problems
        assert len(located) + len(folder) == len(exc.problems)


# -- a refused folder leaves the last good rules in force ------------------------------------


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return make_cli(tmp_path, db_url, monkeypatch)


@pytest.mark.parametrize(
    "when",
    [NOT_1000, PARENS_1000, MINUS_5000, AND_330, r"output =~ r'(\w+) \1'", "output =~ '(?!no)'"],
)
def test_a_folder_broken_this_way_is_refused_and_the_last_good_rules_stay(
    cli: Cli, when: str
) -> None:
    cli("pull", str(write_jsonl(cli.folder / "a.jsonl", [record(1)])))
    good = cli.json("explain", "rec-0001")["rules_version"]
    (cli.rules / "broken.toml").write_text("# new\n" + rule(when, "broken"))

    check = cli("rules", "check", str(cli.rules), ok=False)
    assert check.exit_code == 1
    lines = check.stderr.splitlines()
    assert lines[0].startswith(f"{cli.rules / 'broken.toml'}:7: "), check.stderr
    assert lines[-1] == "1 problem"

    pulled = cli("pull", str(write_jsonl(cli.folder / "b.jsonl", [record(2), record(3)])))
    assert "broken.toml:7" in pulled.stderr and good in pulled.stderr
    for ref in ("rec-0002", "rec-0003"):
        explained = cli.json("explain", ref)
        assert explained["rules_version"] == good and explained["lane"] in ("deep", "scan", "pass")
    totals = cli.json("retriage")
    assert sum(totals["lanes"].values()) == 3
    assert {cli.json("explain", f"rec-000{n}")["rules_version"] for n in (1, 2, 3)} == {good}

    ws = Workspace.open(Config(cli.env["TRIAGE_DB"], cli.rules, "ana"))
    try:
        in_force = ws.rules(reload=True)  # what the app's rules screen shows
        assert in_force.fallback and in_force.ruleset.version == good
        assert [p.file for p in in_force.problems] == ["broken.toml"]
    finally:
        ws.close()


def test_a_stored_rule_set_that_no_longer_loads_gives_way(cli: Cli) -> None:
    stale = {"old.toml": rule("output =~ '(?=refund)'", "old")}  # kept by an older triage
    ws = Workspace.open(Config(cli.env["TRIAGE_DB"], cli.rules, "ana"))
    try:
        ws.store.remember_ruleset("r-000000000000", None, str(cli.rules), stale)
    finally:
        ws.close()
    (cli.rules / "broken.toml").write_text(rule(NOT_1000, "broken"))
    failed = cli("pull", str(write_jsonl(cli.folder / "a.jsonl", [record(1)])), ok=False)
    assert failed.exit_code == 1
    assert "broken.toml:6: condition is nested" in failed.stderr and "old.toml" not in failed.stderr

    ws = Workspace.open(Config(cli.env["TRIAGE_DB"], None, "ana"))
    try:  # with no folder configured, the shipped rules take over from the stale set
        assert ws.rules().ruleset.version == load_rules(shipped_rules_dir()).version
    finally:
        ws.close()


def test_checking_a_long_line_that_opens_a_bracket_takes_one_pass(tmp_path: Path) -> None:
    # Valid TOML whose second line starts like a table header but never closes on it:
    # the header scan once tried every split of the line (hours for this one).
    text = "x = [\n[" + " " * 990_000 + "\n]\n]\n" + rule("is_novel")
    (tmp_path / "long.toml").write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "triage", "rules", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,  # a safety net against a hang, not a measure of speed
    )
    assert done.returncode == 1
    assert f"{tmp_path / 'long.toml'}:1: unknown table or key 'x'" in done.stderr
