"""scikit-learn is for fitting the risk model only: the command line, the app and the
workspace start without it (scoring needs only the model's plain numbers)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["triage.cli", "triage.tui.app", "triage.service.workspace"])
def test_starting_up_does_not_import_scikit_learn(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "loaded = sorted(m for m in sys.modules if m == 'sklearn' or m.startswith('sklearn.'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fitting_does_import_it() -> None:
    # The check above would pass vacuously if the name were wrong: fitting loads it.
    code = (
        "import sys\n"
        "from triage.learn.risk_fit import fit_rows, TrainingSet\n"
        "rows = [{'a': float(i % 2), 'b': 1.0} for i in range(40)]\n"
        "data = TrainingSet(rows, [i % 2 for i in range(40)], [(i, 'ok') for i in range(40)])\n"
        "fit_rows(data)\n"
        "assert 'sklearn' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
