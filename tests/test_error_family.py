"""Every error triage raises on purpose is one of :mod:`triage.errors`.

The package's source is walked: every ``raise`` statement must raise a
:class:`~triage.errors.TriageError` (directly, through a function that builds
one, or by raising again what was caught), and every exception class defined in
the package must be one. The few exceptions are listed here, each with why: the
protocols Python, click and pydantic define, control flow that never leaves its
module, and checks on arguments only a programming error can get wrong.
"""

from __future__ import annotations

import ast
import builtins
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest

from triage.errors import TriageError

PACKAGE = Path(__file__).resolve().parent.parent / "triage"

PROTOCOLS: dict[str, type[BaseException]] = {
    # Python's own protocols: attribute lookup and sequence indexing.
    "__getattr__": AttributeError,
    "__getitem__": IndexError,
}
"""A function of this name may raise this built-in: the language asks for it."""

CONTROL_FLOW = {
    "triage.platforms.retry.Transient": "raised by an attempt, caught by Retrying.call",
    "triage.platforms.retry.GaveUp": "turned into a SourceError or a later retry by callers",
    "triage.storage.reviews._Recorded": "leaves a write transaction inside Reviews.record",
}
"""Exceptions used as control flow that never reach a caller outside the platforms or
storage (their docstrings say so)."""

PROGRAMMING_ERRORS = {
    ("triage.learn.quality", "auc", ValueError): (
        "lists of different lengths come from one caller's bug, not from data"
    ),
    ("triage.learn.quality", "reliability", ValueError): "as above: fewer than one bin",
    ("triage.learn.stats_math", "wilson_interval", ValueError): (
        "counts come from the database; more failures than reviews is a caller's bug"
    ),
    ("triage.platforms.lines", "check_read_sizes", ValueError): (
        "batch sizes and byte limits are set by code ([limits] is validated as config)"
    ),
    ("triage.platforms.lines", "split_lines", ValueError): "as above, the record limit",
    ("triage.platforms.registry", "adapters", TypeError): (
        "a platform module declaring itself wrongly is a bug in that module"
    ),
    ("triage.platforms.registry", "_check_unique", TypeError): "as above: a kind declared twice",
    ("triage.platforms.sniff", "_head", OSError): (
        "damaged gzip data takes the path of every unreadable file, which detection "
        "turns into a SourceError naming the file"
    ),
    ("triage.rules.regex_classes", "parse_class", ValueError): (
        "an item sre_parse never produces: an internal invariant"
    ),
    ("triage.storage.queue", "entries", ValueError): "keyset paging is only ever asked with a lane",
    ("triage.storage.suggestions", "record", ValueError): (
        "the decision is one of two constants the learning loop passes"
    ),
    ("triage.storage.row_hashes", "row_hash", ValueError): (
        "the table names come from the audit log's own constants"
    ),
    ("triage.tui.widgets.queue_list", "row", IndexError): (
        "the empty list's row source: indexing past the end, as a sequence does"
    ),
    ("triage.config.schema", "_one_of", Exception): (
        "pydantic validators report with pydantic's own errors; loading the "
        "configuration turns them into a ConfigError"
    ),
}
"""(module, enclosing function, built-in class or a base of what it raises): why it
may stay a built-in."""

USED: set[tuple[str, str | None, type]] = set()
"""The entries of :data:`PROGRAMMING_ERRORS` the walk of the package needed."""


@dataclass(frozen=True)
class Finding:
    """A ``raise`` (or an exception class) that is not one of the family."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class Checker:
    """Resolves what each ``raise`` of one module raises, and judges it."""

    def __init__(self, name: str, tree: ast.Module, namespace: dict[str, Any]) -> None:
        self.name = name
        self.tree = tree
        self.namespace = dict(namespace)
        for node in ast.walk(tree):  # imports inside functions and TYPE_CHECKING blocks too
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    try:
                        value = getattr(importlib.import_module(node.module), alias.name)
                    except (ImportError, AttributeError):
                        continue
                    self.namespace.setdefault(alias.asname or alias.name, value)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname is None:
                        top = alias.name.split(".")[0]
                        self.namespace.setdefault(top, importlib.import_module(top))

    def findings(self) -> Iterator[Finding]:
        yield from self._walk(self.tree, [])

    def _walk(self, node: ast.AST, stack: list[ast.AST]) -> Iterator[Finding]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Raise) and child.exc is not None:
                yield from self._judge_raise(child, stack)
            if isinstance(child, ast.ClassDef):
                yield from self._judge_class(child)
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            yield from self._walk(child, [*stack, child] if inner else stack)

    def _where(self, node: ast.AST) -> str:
        return f"{self.name}:{getattr(node, 'lineno', '?')}"

    def _judge_raise(self, node: ast.Raise, stack: list[ast.AST]) -> Iterator[Finding]:
        exc = node.exc
        assert exc is not None
        function = next(
            (f for f in reversed(stack) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)),
            None,
        )
        if not isinstance(exc, ast.Call):
            raised = self._value(exc)
            if not isinstance(raised, type):
                return  # raising again what was caught or built before
            classes = [raised]
        elif _is_type_of_call(exc.func):
            return  # ``raise type(error)(...)``: again the class that was caught
        else:
            found = self._classes(exc.func, function)
            if found is None:
                yield Finding(self._where(node), f"cannot tell what {ast.unparse(exc)} raises")
                return
            classes = found
        for cls in classes:
            if not self._allowed(cls, function):
                yield Finding(
                    self._where(node),
                    f"raises {cls.__module__}.{cls.__qualname__}, not a TriageError",
                )

    def _judge_class(self, node: ast.ClassDef) -> Iterator[Finding]:
        cls = self.namespace.get(node.name)
        if not isinstance(cls, type) or not issubclass(cls, BaseException):
            return
        if issubclass(cls, TriageError | click.ClickException):
            return
        if f"{self.name}.{node.name}" in CONTROL_FLOW:
            return
        yield Finding(self._where(node), f"exception class {node.name} is not a TriageError")

    def _allowed(self, cls: type, function: ast.AST | None) -> bool:
        if issubclass(cls, TriageError):
            return True
        if self.name.startswith("triage.cli") and issubclass(cls, click.ClickException):
            return True  # click prints these (usage errors, exit 2)
        name = getattr(function, "name", None)
        if name in PROTOCOLS and issubclass(cls, PROTOCOLS[name]):
            return True
        if f"{cls.__module__}.{cls.__qualname__}" in CONTROL_FLOW:
            return True
        for base in cls.__mro__:
            key = (self.name, name, base)
            if base.__module__ == "builtins" and key in PROGRAMMING_ERRORS:
                USED.add(key)
                return True
        return False

    def _value(self, node: ast.expr) -> Any:
        """What a name or dotted name refers to at module level, or ``None``."""
        if isinstance(node, ast.Name):
            if node.id in self.namespace:
                return self.namespace[node.id]
            return getattr(builtins, node.id, None)
        if isinstance(node, ast.Attribute):
            owner = self._value(node.value)
            return getattr(owner, node.attr, None) if owner is not None else None
        return None

    def _classes(self, func: ast.expr, function: ast.AST | None) -> list[type] | None:
        """The classes a call to ``func`` raises: a class itself; a parameter typed
        ``type[X]``; or a function (found by name, here first, then in the package)
        whose return annotation names the class."""
        value = self._value(func)
        if isinstance(value, type):
            return [value]
        if isinstance(func, ast.Name) and isinstance(function, ast.FunctionDef):
            for arg in [*function.args.args, *function.args.kwonlyargs]:
                if arg.arg == func.id and arg.annotation is not None:
                    return _type_argument(arg.annotation, self.namespace)
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name is None:
            return None
        defs = [(self.namespace, d) for d in _functions_named(self.tree, name)]
        if not defs:
            defs = [(CHECKERS[m].namespace, d) for m, d in PACKAGE_FUNCTIONS.get(name, [])]
        classes: list[type] = []
        for namespace, definition in defs:
            if definition.returns is None:
                return None
            returned = _evaluate(definition.returns, namespace)
            if not isinstance(returned, type):
                return None
            classes.append(returned)
        return classes or None


def _is_type_of_call(func: ast.expr) -> bool:
    return isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "type"


def _evaluate(annotation: ast.expr, namespace: dict[str, Any]) -> Any:
    text = annotation.value if isinstance(annotation, ast.Constant) else ast.unparse(annotation)
    try:
        return eval(str(text), dict(namespace))
    except Exception:
        return None


def _type_argument(annotation: ast.expr, namespace: dict[str, Any]) -> list[type] | None:
    """``X`` of a parameter annotated ``type[X]``."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    if (
        isinstance(annotation, ast.Subscript)
        and isinstance(annotation.value, ast.Name)
        and annotation.value.id == "type"
    ):
        found = _evaluate(annotation.slice, namespace)
        return [found] if isinstance(found, type) else None
    return None


def _functions_named(tree: ast.AST, name: str) -> Iterator[ast.FunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            yield node


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__main__.py" or "migrations" in path.parts:
            continue  # running the command line / alembic's scripts: no raises of ours
        yield module_name(path), ast.parse(path.read_text(encoding="utf-8"))


def _build() -> dict[str, Checker]:
    checkers = {}
    for name, tree in _sources():
        checkers[name] = Checker(name, tree, vars(importlib.import_module(name)))
    return checkers


CHECKERS = _build()
PACKAGE_FUNCTIONS: dict[str, list[tuple[str, ast.FunctionDef]]] = {}
for _name, _checker in CHECKERS.items():
    for _node in ast.walk(_checker.tree):
        if isinstance(_node, ast.FunctionDef):
            PACKAGE_FUNCTIONS.setdefault(_node.name, []).append((_name, _node))


def check_source(name: str, source: str, namespace: dict[str, Any]) -> list[str]:
    """The findings for ``source`` as if it were the module ``name``."""
    tree = ast.parse(source)
    exec(compile(tree, name, "exec"), namespace)
    return [str(f) for f in Checker(name, tree, namespace).findings()]


def test_every_error_raised_on_purpose_is_a_triage_error() -> None:
    findings = [str(f) for checker in CHECKERS.values() for f in checker.findings()]
    assert findings == []


def test_every_exception_listed_is_still_needed() -> None:
    USED.clear()
    for checker in CHECKERS.values():
        list(checker.findings())
    assert set(PROGRAMMING_ERRORS) - USED == set()


def test_the_walk_covers_the_whole_package() -> None:
    # The service, the storage, the platforms and the faces are all read.
    for module in ("triage.service.workspace", "triage.storage.store", "triage.cli.common"):
        assert module in CHECKERS
    assert len(CHECKERS) > 150


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("def f():\n    raise ValueError('x')\n", "raises builtins.ValueError"),
        ("def f():\n    raise LookupError\n", "raises builtins.LookupError"),
        ("class Oops(ValueError):\n    pass\n", "exception class Oops is not a TriageError"),
        (
            "def make() -> KeyError:\n    return KeyError('k')\ndef f():\n    raise make()\n",
            "raises builtins.KeyError",
        ),
        (
            "def f(error: type[ValueError]):\n    raise error('x')\n",
            "raises builtins.ValueError",
        ),
        ("def f(thing):\n    raise thing.no_such_factory('x')\n", "cannot tell what"),
    ],
)
def test_the_walk_finds_a_bare_built_in(source: str, found: str) -> None:
    (finding,) = check_source("triage.example", source, {})
    assert found in finding and finding.startswith("triage.example:")


@pytest.mark.parametrize(
    "source",
    [
        "from triage.errors import NotFound\ndef f():\n    raise NotFound('x')\n",
        "from triage.errors import Refused\nclass Mine(Refused):\n    pass\n",
        "def f():\n    try:\n        pass\n    except KeyError as error:\n        raise error\n",
        "from triage.errors import SourceError\n"
        "def f():\n    try:\n        pass\n    except SourceError as e:\n"
        "        raise type(e)('m')\n",
        "from triage.errors import InvalidInput\n"
        "def bad() -> InvalidInput:\n    return InvalidInput('x')\n"
        "def f():\n    raise bad()\n",
        "class C:\n    def __getattr__(self, name):\n        raise AttributeError(name)\n",
    ],
)
def test_the_walk_accepts_the_family_and_raising_again(source: str) -> None:
    assert check_source("triage.example", source, {}) == []


def test_the_cli_net_catches_only_the_family() -> None:
    """A bug in a command is not dressed up as ``error: …``: it keeps its traceback."""
    from click.testing import CliRunner

    from triage.cli.common import CliGroup
    from triage.errors import NotFound

    @click.group(cls=CliGroup)
    def group() -> None:
        pass

    @group.command()
    def missing() -> None:
        raise NotFound("no item 'x'")

    @group.command()
    def bug() -> None:
        raise LookupError("a bug, not a message")

    runner = CliRunner()
    refused = runner.invoke(group, ["missing"])
    assert refused.exit_code == 1 and "error: no item 'x'" in refused.output
    crashed = runner.invoke(group, ["bug"])
    assert isinstance(crashed.exception, LookupError)
    assert "error:" not in crashed.output


# -- files triage is asked to write: a failure is a message, not a traceback ---------


def test_a_rule_file_that_cannot_be_written_is_refused_by_name(tmp_path: Path) -> None:
    from triage.errors import Refused
    from triage.rules.edit import write_files

    (tmp_path / "b.toml").mkdir()  # in the way of the file: even root cannot write it
    with pytest.raises(Refused, match=r"cannot write .*b\.toml") as caught:
        write_files(tmp_path, {}, {"a.toml": "# a\n", "b.toml": "# b\n"})
    assert isinstance(caught.value.__cause__, OSError)
    assert (tmp_path / "a.toml").read_text() == "# a\n"  # written before; the caller restores
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_audit_key_file_that_cannot_be_created_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.errors import ConfigError
    from triage.storage import seal

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.delenv("TRIAGE_AUDIT_KEY", raising=False)
    monkeypatch.setenv("TRIAGE_CONFIG_DIR", str(blocker))
    with pytest.raises(ConfigError, match="cannot create the audit key file"):
        seal.load_key(create=True)


def test_an_export_that_cannot_be_written_is_an_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from triage.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("")
    env = {"TRIAGE_DB": f"sqlite:///{tmp_path / 't.db'}", "TRIAGE_REVIEWER": "ana"}
    result = CliRunner().invoke(
        main, ["failure-model", "export", "-o", str(tmp_path / "taken" / "model.md")], env=env
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "model.md" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
