"""The core never pulls in Textual: it must serve the CLI, scripts and the UI alike.

Every module outside ``triage.tui`` is imported (found by walking the package, so a
new module is covered the day it is added), and neither ``textual`` nor any part of
``triage.tui`` may have been loaded.
"""

from __future__ import annotations

import subprocess
import sys


def test_everything_but_the_app_imports_without_textual_or_the_app() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import triage\n"
        "names = [m.name for m in pkgutil.walk_packages(triage.__path__, 'triage.')\n"
        "         if not m.name.startswith('triage.tui') and '.migrations' not in m.name]\n"
        "assert len(names) > 100, names\n"
        "for name in names: importlib.import_module(name)\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
        "loaded = [m for m in sys.modules if m.startswith('triage.tui')]\n"
        "assert not loaded, loaded\n"
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
