"""Patterns of ``=~``: matched in linear time, with Python's answers, and what linear
time rules out refused at check time with ``file:line`` and the reason."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from factories import record, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.rules import check_rules, compile_condition
from triage.rules.patterns import PatternError, compile_pattern
from triage.service.workspace import shipped_rules_dir

CATASTROPHIC = "a" * 40 + "!"


def rule_file(when: str, rule_id: str = "pattern-rule", lane: str = "deep") -> str:
    return (
        f'[[rule]]\nid = "{rule_id}"\nlane = "{lane}"\nwhy = "A pattern."\n'
        f'owner = "kim"\nwhen = {json.dumps(when)}\n'
    )


def test_the_backtracking_pattern_is_evaluated_at_once() -> None:
    condition = compile_condition('output =~ "(a+)+$"')
    assert condition.evaluate({"output": CATASTROPHIC}) is False
    assert condition.evaluate({"output": "aaaa"}) is True
    assert condition.explain({"output": "xaaa"}) == {'output =~ "(a+)+$"': "xaaa"}


def test_a_pull_never_hangs_on_a_backtracking_rule(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), rules)
    (rules / "backtrack.toml").write_text(rule_file('output =~ "(a+)+$"', "runs-of-a"))
    items = write_jsonl(
        tmp_path / "day.jsonl",
        [record(n, output=CATASTROPHIC) for n in range(1, 5)] + [record(5, output="aaaa")],
    )
    env = {
        **os.environ,
        "TRIAGE_DB": f"sqlite:///{tmp_path / 'triage.db'}",
        "TRIAGE_RULES": str(rules),
        "TRIAGE_REVIEWER": "ana",
    }

    def triage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "triage", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,  # a safety net against a hang, not a measure of speed
        )

    checked = triage("rules", "check", str(rules))
    assert checked.returncode == 0, checked.stderr
    pulled = triage("pull", str(items), "--json")
    assert pulled.returncode == 0, pulled.stderr
    report = json.loads(pulled.stdout)
    assert report["new"] == 5 and sum(report["lanes"].values()) == 5
    queue = json.loads(triage("queue", "--json").stdout)
    assert sorted(entry["id"] for entry in queue) == [f"rec-{n:04d}" for n in range(1, 6)]
    assert all(entry["lane"] in ("deep", "scan", "pass") for entry in queue)
    explained = json.loads(triage("explain", "rec-0005", "--json").stdout)
    assert "runs-of-a" in {reason["rule"] for reason in explained["reasons"]}
    explained = json.loads(triage("explain", "rec-0001", "--json").stdout)
    assert "runs-of-a" not in {reason["rule"] for reason in explained["reasons"]}


@pytest.mark.parametrize(
    ("pattern", "column", "words"),
    [
        (r"(ab)\1", 4, ["backreference", "linear time", "(aa|bb)"]),
        (r"(?P<w>ab)(?P=w)", 9, ["backreference", "linear time"]),
        (r"refund(?=ed)", 6, ["lookahead (?=...)", "linear time", "output =~"]),
        (r"refund(?!ed)", 6, ["negative lookahead (?!...)", "not output =~"]),
        (r"(?<=no )refund", 0, ["lookbehind (?<=...)", "linear time"]),
        (r"(?<!no )refund", 0, ["negative lookbehind (?<!...)", "not output =~"]),
        (r"(a)?(?(1)b|c)", 4, ["conditional group", "linear time"]),
        (r"(?>ab)c", 0, ["atomic group", "never backtracks"]),
        (r"a++b", 2, ["possessive repeat", "never backtracks"]),
        (r"a{1001}", 1, ["repeat counts above 1000"]),
        (r"(?:a{100}){100}", None, ["repeat counts may reach 1000 in all"]),
        (r"\w{1000}", None, ["too large"]),
        (r"a$b", 1, ["$ followed by more of the pattern"]),
        (r"\b(^|x)", 0, ["side by side"]),
    ],
)
def test_what_linear_time_rules_out_is_refused_with_the_reason(
    tmp_path: Path, pattern: str, column: int | None, words: list[str]
) -> None:
    when = 'task_type == "x" and output =~ r"' + pattern + '"'
    (tmp_path / "p.toml").write_text("# a pattern\n" + rule_file(when))
    problems = check_rules(tmp_path)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.file, problem.line) == ("p.toml", 7)
    literal = when.index('r"') + 1  # 1-based column of the pattern's literal
    expected = literal if column is None else literal + 2 + column
    assert problem.message.startswith(f"in 'when' at column {expected}: "), problem.message
    for word in words:
        assert word in problem.message, problem.message


def test_a_huge_alternation_within_the_limits_is_matched() -> None:
    words = [f"w{n}x" for n in range(1500)]
    condition = compile_condition('output =~ r"\\b(' + "|".join(words) + ')\\b"')
    assert condition.evaluate({"output": "we saw W1499X today"}) is True
    assert condition.evaluate({"output": "we saw w1500x today"}) is False


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\bcafé\b", "un café noir"),  # a word ending in a letter beyond ASCII
        (r"\bnaïve\b", "naïveté"),  # no boundary between two Unicode letters
        (r"\w+@\w+", "josé@example"),
        (r"^\s*$", "\u00a0\u3000\n"),  # Unicode spaces only
        (r"refund of \d+", "refund of ٣٠ dinars"),  # Arabic-Indic digits
        (r"straße", "STRASSE"),  # Python folds one letter at a time: no match
        (r"i", "\u0130"),  # İ matches i under Python's IGNORECASE
        (r"[^\W\d_]+", "élan"),
        (r"promise\b", "promise\u0301"),  # a combining mark is not a word character
        (r"(?m)^ok$", "first\nok\nlast"),
        (r"done$", "done\n"),
        (r"(?s)a.b", "a\nb"),
        (r"\Bis\B", "this is it"),
    ],
)
def test_answers_are_pythons(pattern: str, text: str) -> None:
    compiled = compile_pattern(pattern)
    assert compiled.found(text) is (re.search(pattern, text, re.IGNORECASE) is not None)


ATOMS = [
    "a", "é", "i", "I", "ß", "k", "1", " ", r"\n", ".", r"\w", r"\W", r"\d", r"\D", r"\s", r"\S",
    r"\b", r"\B", "^", r"\A", r"\Z", "[a-c]", "[^a]", r"[\w-]", r"[^\W\d_]", r"[^\S\n]", "[h-j]",
    "(?s:.)", "(?-i:a)", "(?m:^)", "ı", "\u212a", "\u017f", "(?-i:[sS])", r"[^\D]", r"[\S\d]",
    r"[^\Wa]", r"[^\Da]", r"[\x00-\uffff]",
]  # fmt: skip
TEXT = "abiIkKsSéÉß1٣ \n\t\u00a0_x.İı\u212a\u017f-\u0301"


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return (
        st.lists(inner, min_size=1, max_size=3).map("".join)
        | st.lists(inner, min_size=1, max_size=3).map(lambda parts: "(" + "|".join(parts) + ")")
        | st.tuples(
            inner, st.sampled_from(["*", "+", "?", "{2}", "{0}", "{0,2}", "*?", "{1,3}?"])
        ).map(lambda t: "(?:" + t[0] + ")" + t[1])
    )


PATTERNS = st.recursive(st.sampled_from(ATOMS), _grow, max_leaves=8)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flags=st.sampled_from(["", "(?s)", "(?m)", "(?a)", "(?x)"]),
    pattern=PATTERNS,
    texts=st.lists(st.text(alphabet=TEXT, max_size=10), min_size=1, max_size=5),
)
def test_every_pattern_gives_pythons_answer_or_is_refused(
    flags: str, pattern: str, texts: list[str]
) -> None:
    pattern = flags + pattern
    try:
        python = re.compile(pattern, re.IGNORECASE)
    except re.error:
        return
    try:
        compiled = compile_pattern(pattern)
    except PatternError:
        return  # refused at check time: fine, as long as it says why
    for text in texts:
        assert compiled.found(text) is (python.search(text) is not None), (pattern, text)
        span = compiled.span(text)
        assert (span is None) is (python.search(text) is None)
        if span is not None:
            assert 0 <= span[0] <= span[1] <= len(text)
