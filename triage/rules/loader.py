"""Reading a rule folder: every ``*.toml`` file, validated as a whole.

A folder with any problem is refused: :func:`load_rules` raises
:class:`RulesError` listing *every* problem found, each as ``file:line:
message``, and never returns part of a rule set. :func:`rules_from_files`
applies the same checks to texts held in memory (a stored snapshot, a draft
for a backtest).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from triage.core.rules_version import version_of
from triage.rules.checks import FileCheck, FolderState
from triage.rules.limits import MAX_FILE_BYTES
from triage.rules.model import RuleProblem, RulesError, RuleSet

_NO_FILES = "no rule files (*.toml) in this folder"

__all__ = ["check_rules", "git_commit", "load_rules", "rules_from_files", "version_of"]


def load_rules(directory: Path) -> RuleSet:
    """The rule set in ``directory``; :class:`RulesError` lists every problem if any."""
    files, problems = _read_folder(directory)
    ruleset, more = _build(files, origin=str(directory), commit=None, folder=not problems)
    problems = _in_order(problems + more)
    if problems or ruleset is None:
        raise RulesError(problems, origin=str(directory))
    return RuleSet(
        rules=ruleset.rules,
        settings=ruleset.settings,
        version=ruleset.version,
        commit=git_commit(directory),
        files=ruleset.files,
        origin=ruleset.origin,
    )


def check_rules(directory: Path) -> list[RuleProblem]:
    """Every problem in ``directory``'s rule files (an empty list when it loads cleanly)."""
    files, problems = _read_folder(directory)
    _, more = _build(files, origin=str(directory), commit=None, folder=not problems)
    return _in_order(problems + more)


def rules_from_files(
    files: Mapping[str, str], *, origin: str = "", commit: str | None = None
) -> RuleSet:
    """A rule set from ``{relative path: text}``, checked exactly as a folder is.

    Only ``*.toml`` entries are rule files; others are ignored. ``origin`` (the
    folder the files came from) is kept on the set and named in errors.
    """
    ruleset, problems = _build(files, origin=origin, commit=commit, folder=True)
    if problems or ruleset is None:
        raise RulesError(_in_order(problems), origin=origin)
    return ruleset


def git_commit(directory: Path) -> str | None:
    """The short commit of HEAD of the git work tree holding ``directory``, if any."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--is-inside-work-tree", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.split()
    if done.returncode != 0 or len(out) != 2 or out[0] != "true":
        return None
    return out[1]


def _read_folder(directory: Path) -> tuple[dict[str, str], list[RuleProblem]]:
    files: dict[str, str] = {}
    problems: list[RuleProblem] = []
    if not directory.is_dir():
        what = "is not a folder" if directory.exists() else "does not exist"
        return files, [RuleProblem("", 0, f"the rule folder {what}")]
    for path in sorted(directory.glob("*.toml")):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:  # refused unread
                message = f"the file is {size:,} bytes (the limit is {MAX_FILE_BYTES:,})"
                problems.append(RuleProblem(path.name, 0, message))
                continue
            data = path.read_bytes()
        except OSError as err:
            problems.append(RuleProblem(path.name, 0, f"cannot read the file: {err.strerror}"))
            continue
        try:
            files[path.name] = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            problems.append(RuleProblem(path.name, line, "the file is not UTF-8 text"))
    if not files and not problems:
        problems.append(RuleProblem("", 0, _NO_FILES))
    return files, problems


def _in_order(problems: list[RuleProblem]) -> list[RuleProblem]:
    """Problems by file (the folder's own first), then line; same line keeps its order."""
    return sorted(problems, key=lambda p: (p.file, p.line))


def _build(
    files: Mapping[str, str], *, origin: str, commit: str | None, folder: bool
) -> tuple[RuleSet | None, list[RuleProblem]]:
    names = sorted(rel for rel in files if rel.endswith(".toml"))
    problems: list[RuleProblem] = []
    if not names:
        if folder:
            problems.append(RuleProblem("", 0, _NO_FILES))
        return None, problems
    state = FolderState()
    for rel in names:
        FileCheck(rel, files[rel], state).run()
    problems = state.problems
    if not state.rules and not problems:
        problems.append(RuleProblem("", 0, "no [[rule]] entries in any rule file"))
    if problems:
        return None, problems
    kept = {rel: files[rel] for rel in names}
    ruleset = RuleSet(
        rules=tuple(state.rules),
        settings=state.settings,
        version=version_of(kept),
        commit=commit,
        files=kept,
        origin=origin,
    )
    return ruleset, []
