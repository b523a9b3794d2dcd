"""triage.toml and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.config import ConfigError, load_config


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.path is None and config.database_url is None and config.rules_dir is None
    assert config.lane_minutes == {"deep": 5.0, "scan": 1.0, "pass": 0.0}
    assert config.resolved_database_url().endswith("triage.db")


def test_file_values_relative_to_the_file_and_env_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "triage.toml").write_text(
        'database = "sqlite:///data/t.db"\nrules = "my-rules"\nreviewer = "maja"\n'
        "[lanes.minutes]\ndeep = 8\n"
        '[sources.logs]\nkind = "jsonl"\npath = "out"\n'
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(str(folder / "triage.toml"))
    assert config.database_url == f"sqlite:///{(folder / 'data' / 't.db').resolve()}"
    assert config.rules_dir == folder / "my-rules"
    assert config.reviewer == "maja" and config.lane_minutes["deep"] == 8
    assert config.source_path(config.sources["logs"]) == folder / "out"

    monkeypatch.setenv("TRIAGE_DB", "sqlite:///elsewhere.db")
    monkeypatch.setenv("TRIAGE_REVIEWER", "tomas")
    config = load_config(str(folder / "triage.toml"))
    assert config.database_url == "sqlite:///elsewhere.db" and config.reviewer == "tomas"
    isolated = load_config(str(folder / "triage.toml"), use_env=False)
    assert isolated.reviewer == "maja"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("database = ", "triage.toml: "),
        ("colour = 1", "colour: Extra inputs are not permitted"),
        ('[sources.x]\nkind = "ftp"', "sources.x.kind"),
        ('[sources.x]\nkind = "http"\npassword = "hunter2"', "secrets do not belong"),
    ],
)
def test_bad_config_is_reported_with_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "triage.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(str(path))
    assert str(path) in str(caught.value) and "hunter2" not in str(caught.value)
