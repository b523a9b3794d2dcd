"""Changing rule files the way a person would: only the lines that must change.

Rule files are documents people write and comment, so an edit goes through
tomlkit, which keeps every comment, blank line and the order of keys; a new
rule is appended as text at the end of its file, under a comment saying where
it came from. Every function here takes the folder's texts (relative path →
text, as :attr:`RuleSet.files <triage.rules.RuleSet.files>` holds them) and
returns the new texts *after* checking them exactly as loading the folder would
(:func:`~triage.rules.rules_from_files`), so an edit that would break the folder
raises :class:`~triage.rules.RulesError` and nothing is written.
:func:`write_files` then puts the changed files on disk, each one atomically.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, String, StringType, Table, Trivia

from triage.errors import InvalidInput, NotFound, Refused
from triage.rules.loader import rules_from_files
from triage.rules.model import RulesError

__all__ = [
    "RULE_KEY_ORDER",
    "AddRule",
    "Edit",
    "SetField",
    "add_rule",
    "apply_edits",
    "diff_files",
    "render_rule",
    "set_enabled",
    "set_rule_field",
    "toml_string",
    "write_files",
]

RULE_KEY_ORDER = ("id", "lane", "why", "owner", "when", "failure_modes", "enabled", "notes")
"""The order keys of a new rule are written in (as in ``rules/README.md``);
any other key follows them."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def toml_string(text: str) -> String:
    """``text`` as a TOML string item, written the way a rule author would.

    Conditions and patterns read best as literal strings (``'...'``: quotes and
    backslashes are taken as written), so that is the first choice; a text with
    line breaks becomes a ``'''`` block starting on its own line. A text a literal
    string cannot hold (a single quote, a control character) becomes an ordinary
    escaped ``"..."`` string.
    """
    if "\n" not in text and "\r" not in text and "'" not in text and not _CONTROL.search(text):
        return tomlkit.string(text, literal=True)
    invalid = StringType.MLL.invalid_sequences
    if "\n" in text and "\r" not in text and not any(seq in text for seq in invalid):
        # The newline right after ''' is dropped when read, so the value is `text`.
        return String(StringType.MLL, text, "\n" + text, Trivia())
    return tomlkit.string(text)


def _item(field: str, value: Any) -> Any:
    if isinstance(value, str):
        if field == "when":
            return toml_string(value)
        if "\n" in value:
            return tomlkit.string(value, multiline=True)
        return tomlkit.string(value)
    if isinstance(value, tuple | list):
        array = tomlkit.array()
        array.extend(value)
        return array
    return tomlkit.item(value)


def set_rule_field(
    files: Mapping[str, str], rule_id: str, field: str, value: Any
) -> dict[str, str]:
    """The folder's texts with ``field`` of rule ``rule_id`` set to ``value``.

    An existing ``field = ...`` line is rewritten in place (its trailing comment
    kept); a new key goes right after the rule's last key, before any comment
    that introduces the next rule. ``value`` ``None`` removes the key. Raises
    :class:`~triage.errors.NotFound` when no rule has that id, and :class:`RulesError`
    when the result would not load.
    """
    rel = _file_of(files, rule_id)
    text = files[rel]
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    doc = tomlkit.parse(text[len(bom) :])
    table = _find_table(doc, rule_id)
    if value is None:
        if field in table:
            del table[field]
    elif field in table:
        table[field] = _item(field, value)
    elif isinstance(table, Table):
        keys = [key for key, _ in table.value.body if key is not None]
        # tomlkit's public append would land after the comments that belong to
        # the next [[rule]]; insert after the rule's own last key instead.
        table.value._insert_after(keys[-1], field, _item(field, value))
    else:  # an inline table: keys go inside its braces
        table[field] = _item(field, value)
    new = dict(files)
    new[rel] = bom + tomlkit.dumps(doc)
    _check(new)
    return new


def set_enabled(files: Mapping[str, str], rule_id: str, enabled: bool) -> dict[str, str]:
    """The folder's texts with rule ``rule_id`` switched on or off (``enabled = ...``)."""
    return set_rule_field(files, rule_id, "enabled", enabled)


def render_rule(rule: Mapping[str, Any]) -> str:
    """One ``[[rule]]`` table as TOML text, keys in :data:`RULE_KEY_ORDER`."""
    table = tomlkit.table()
    ordered = [key for key in RULE_KEY_ORDER if key in rule]
    ordered += [key for key in rule if key not in RULE_KEY_ORDER]
    for key in ordered:
        if rule[key] is not None:
            table.add(key, _item(key, rule[key]))
    doc = tomlkit.document()
    entries = tomlkit.aot()
    entries.append(table)
    doc.add("rule", entries)
    return tomlkit.dumps(doc)


def add_rule(
    files: Mapping[str, str],
    file_name: str,
    rule: Mapping[str, Any],
    *,
    comment: str | None = None,
    header: str | None = None,
) -> dict[str, str]:
    """The folder's texts with ``rule`` appended to ``file_name`` as a new ``[[rule]]``
    table, ``comment`` (one or more lines) written above it as ``#`` lines.

    The existing text of the file is kept byte for byte: the rule is only added
    after it, separated by a blank line. A missing file is created, starting with
    ``header`` (as ``#`` lines) when given. Raises :class:`RulesError` when the
    result would not load (a duplicate id, a bad condition, ...).
    """
    if not file_name.endswith(".toml") or "/" in file_name or file_name.startswith("."):
        raise InvalidInput(f"{file_name!r} is not a rule file name (name.toml, in the folder)")
    old = files.get(file_name)
    newline = "\r\n" if old is not None and "\r\n" in old else "\n"
    parts: list[str] = []
    if old is None:
        if header:
            parts.append(_comment_lines(header) + "\n")
    else:
        parts.append(old)
        if old and not old.endswith("\n"):
            parts.append("\n")
        if old.strip():
            parts.append("\n")
    if comment:
        parts.append(_comment_lines(comment))
    parts.append(render_rule(rule))
    text = "".join(parts)
    if newline != "\n":
        added = text[len(old or "") :].replace("\r\n", "\n").replace("\n", newline)
        text = (old or "") + added
    new = dict(files)
    new[file_name] = text
    _check(new)
    return new


def _comment_lines(text: str) -> str:
    lines = _CONTROL.sub(" ", text.replace("\r\n", "\n")).split("\n")
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


def write_files(
    directory: Path, old_files: Mapping[str, str], new_files: Mapping[str, str]
) -> list[str]:
    """Write the files whose text differs from ``old_files`` into ``directory``; returns
    their names. Each is written to a hidden temporary file next to it (which the
    loader ignores), synced, then moved over the old one, so a reader sees the old
    file or the new one, never half of one. Files missing from ``new_files`` are
    left alone. A file that cannot be written (a read-only folder, a full disk)
    raises :class:`~triage.errors.Refused` naming it; the files written before it
    stay written (the caller puts them back)."""
    written: list[str] = []
    for rel in sorted(new_files):
        text = new_files[rel]
        if old_files.get(rel) == text:
            continue
        target = directory / rel
        try:
            _replace(target, text)
        except OSError as error:
            raise Refused(f"cannot write {target}: {error.strerror or error}") from error
        written.append(rel)
    return written


def _replace(target: Path, text: str) -> None:
    mode = target.stat().st_mode & 0o777 if target.exists() else _new_file_mode()
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, mode)  # a temporary file is private; the rule file is not
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    """The mode ``open()`` would give a new file under the process umask."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def diff_files(
    old_files: Mapping[str, str], new_files: Mapping[str, str], *, context: int = 2
) -> tuple[dict[str, tuple[int, int]], str]:
    """What changed between two versions of a folder: per changed file the lines
    (added, removed), and a unified diff of them all."""
    summary: dict[str, tuple[int, int]] = {}
    chunks: list[str] = []
    for rel in sorted(set(old_files) | set(new_files)):
        old, new = old_files.get(rel, ""), new_files.get(rel, "")
        if old == new:
            continue
        lines = list(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{rel}" if rel in old_files else "/dev/null",
                tofile=f"b/{rel}",
                n=context,
            )
        )
        added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
        summary[rel] = (added, removed)
        chunks.extend(line if line.endswith("\n") else line + "\n" for line in lines)
    return summary, "".join(chunks)


@dataclass(frozen=True)
class AddRule:
    """Append a ``[[rule]]`` to ``file`` (created if missing). Without an ``owner``
    in ``rule``, :func:`apply_edits` fills in the one it is given."""

    file: str
    rule: dict[str, Any]
    comment: str = ""
    header: str | None = None
    """The comment a new file starts with."""

    def as_json(self) -> dict[str, Any]:
        return {"add_rule": {"file": self.file, **self.rule}}

    def describe(self) -> str:
        return f"add rule {self.rule['id']} ({self.rule['lane']}) to {self.file}"


@dataclass(frozen=True)
class SetField:
    """Set one key of an existing rule (``None`` removes it)."""

    rule_id: str
    field: str
    value: Any

    def as_json(self) -> dict[str, Any]:
        return {"set_field": {"rule": self.rule_id, "field": self.field, "value": self.value}}

    def describe(self) -> str:
        return f"set {self.field} = {json.dumps(self.value)} on rule {self.rule_id}"


Edit = AddRule | SetField
"""A change to a rule folder, as data: it can be shown, stored, backtested and made."""


def apply_edits(files: Mapping[str, str], edits: Iterable[Edit], *, owner: str) -> dict[str, str]:
    """The folder's texts with ``edits`` made in order (new rules without an owner
    owned by ``owner``); :class:`RulesError` if the result would not load."""
    out = dict(files)
    for edit in edits:
        if isinstance(edit, AddRule):
            rule = {**edit.rule, "owner": edit.rule.get("owner") or owner}
            out = add_rule(out, edit.file, rule, comment=edit.comment, header=edit.header)
        else:
            out = set_rule_field(out, edit.rule_id, edit.field, edit.value)
    return out


def _file_of(files: Mapping[str, str], rule_id: str) -> str:
    """The file holding rule ``rule_id`` (the folder must load as it is)."""
    ruleset = rules_from_files(files)
    rule = ruleset.get(rule_id)
    if rule is None:
        raise NotFound(f"no rule {rule_id!r} in the rule files")
    return rule.file


def _find_table(doc: Any, rule_id: str) -> Any:
    entries = doc.get("rule")
    if isinstance(entries, AoT | list):
        for table in entries:
            if table.get("id") == rule_id:
                return table
    raise NotFound(f"no rule {rule_id!r} in the rule files")


def _check(new: Mapping[str, str]) -> None:
    """Refuse an edit after which the folder would not load."""
    try:
        rules_from_files(new)
    except RulesError as exc:
        raise RulesError(exc.problems, origin="the edited rule files") from None
