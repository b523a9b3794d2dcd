"""Running the real ``triage`` command in-process against a test database."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from triage.cli import main
from triage.service.workspace import shipped_rules_dir


@dataclass
class Cli:
    """``triage`` bound to one database and one rules folder."""

    runner: CliRunner
    folder: Path
    rules: Path
    env: dict[str, str]

    def __call__(self, *args: str, ok: bool = True) -> Result:
        result = self.runner.invoke(main, list(args), env=self.env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, (result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)


def make_cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    rules = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), rules)
    monkeypatch.chdir(tmp_path)
    env = {"TRIAGE_DB": db_url, "TRIAGE_RULES": str(rules), "TRIAGE_REVIEWER": "ana"}
    return Cli(CliRunner(), tmp_path, rules, env)
