"""``triage learn`` and the refit line of ``triage pull``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clitools import Cli, make_cli
from sqlalchemy import delete
from test_risk_fit import _record, generated, open_ws, seed

from triage.storage.tables import risk_models_t


def prepare(cli: Cli, db_url: str, *, items: int, reviewed: int | None = None) -> None:
    ws = open_ws(db_url)
    try:
        with ws.store.engine.begin() as conn:  # the shared PostgreSQL schema keeps models
            conn.execute(delete(risk_models_t))
        made, fails = generated(items)
        seed(ws, made, fails, reviewed=reviewed)
    finally:
        ws.close()


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return make_cli(tmp_path, db_url, monkeypatch)


def test_learn_prints_the_model_its_figures_and_largest_weights(cli: Cli, db_url: str) -> None:
    prepare(cli, db_url, items=400)
    out = cli("learn").stdout
    lines = out.splitlines()
    assert lines[0].startswith("risk model m-") and "fitted on 400 verdicts" in lines[0]
    assert lines[1].startswith("held out: AUC 0.") and "Brier 0." in lines[1]
    weights = lines[3:-1]
    assert len(weights) == 10
    assert any("task type escalation" in line and "+" in line for line in weights)
    assert lines[-1] == "run `triage retriage` to rescore stored items"
    version = lines[0].split()[2].rstrip(":")
    check = cli.json("audit", "verify")
    assert check["ok"] is True
    assert cli.json("learn")["version"] == version  # the same verdicts, the same model


def test_learn_json_has_the_contract_keys(cli: Cli, db_url: str) -> None:
    prepare(cli, db_url, items=300)
    result = cli.json("learn")
    assert set(result) == {"version", "trained_on", "failures", "metrics", "weights"}
    assert result["trained_on"] == 300 and 0 < result["failures"] < 300
    assert {"auc", "brier", "log_loss", "base_rate"} <= set(result["metrics"])
    assert len(result["weights"]) == 10
    assert set(result["weights"][0]) == {"feature", "weight"}
    sizes = [abs(w["weight"]) for w in result["weights"]]
    assert sizes == sorted(sizes, reverse=True)


def test_learn_with_too_few_verdicts_says_so_and_exits_1(cli: Cli, db_url: str) -> None:
    prepare(cli, db_url, items=30, reviewed=12)
    result = cli("learn", ok=False)
    assert result.exit_code == 1
    assert "too few verdicts" in result.stderr and "12 ok/fail verdicts" in result.stderr
    assert "orders each lane by the rules" in result.stderr


def test_pull_says_when_it_refitted_the_model(cli: Cli, db_url: str, tmp_path: Path) -> None:
    prepare(cli, db_url, items=200)
    more, _ = generated(5, seed=4, offset=200)
    path = tmp_path / "more.jsonl"
    path.write_text("".join(json.dumps(_record(item)) + "\n" for item in more))
    out = cli("pull", str(path)).stdout
    assert "risk model refitted on 200 verdicts: m-" in out
    again = cli.json("pull", str(path))
    assert again["refitted"] is None and again["refitted_on"] == 0
