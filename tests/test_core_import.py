"""The core never pulls in Textual: it must serve the CLI, scripts and the UI alike."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "triage.models", "triage.signals", "triage.inert", "triage.rules", "triage.storage.store",
    "triage.storage.reviews", "triage.ingest.jsonl", "triage.ingest.http", "triage.engine",
    "triage.novelty", "triage.service", "triage.demo", "triage.config", "triage.cli",
]  # fmt: skip


def test_core_imports_without_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}: importlib.import_module(name)\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_help_does_not_import_the_database_layer() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from triage.cli import main\n"
        "result = CliRunner().invoke(main, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'sqlmodel' not in sys.modules and 'sqlalchemy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
