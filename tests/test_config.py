"""triage.toml and the environment."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from triage.config import Config, ConfigError, load_config
from triage.core.models import FailureMode
from triage.errors import DatabaseUnavailable
from triage.service.workspace import Workspace


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
    assert config.database_url == f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert config.database_setting == "TRIAGE_DB" and config.reviewer == "tomas"
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


# -- where the database is: paths and URLs are never cut short or merged ----------


def open_and_mark(config: Config, mark: str) -> None:
    """Open the configured database and leave ``mark`` in it (a failure mode)."""
    ws = Workspace.open(config, write=True)
    try:
        ws.reviews.add_failure_mode(FailureMode(id=mark, title=mark), actor="ana")
    finally:
        ws.close()


def marks_in(path: Path) -> list[str]:
    """The marks in the SQLite file at exactly ``path`` (read without any URL)."""
    assert path.is_file(), path
    with closing(sqlite3.connect(path)) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM failure_mode ORDER BY id")]


@pytest.mark.parametrize("odd", ["ws?a", "ws%20a", "ws#a", "ws a", "ws%3Fa", "wśa"])
def test_a_workspace_folder_with_odd_characters_keeps_its_own_database(
    tmp_path: Path, odd: str
) -> None:
    """Two workspaces whose names differ only after a ``?`` (or by ``%20`` against a
    space) each get the database inside their own folder."""
    folders = [tmp_path / odd, tmp_path / odd.replace("a", "b")]
    for folder in folders:
        folder.mkdir()
        (folder / "triage.toml").write_text('database = "sqlite:///data/triage.db"\n')
        config = load_config(str(folder / "triage.toml"))
        open_and_mark(config, folder.name.encode("ascii", "replace").hex())
    for folder in folders:
        assert marks_in(folder / "data" / "triage.db") == [
            folder.name.encode("ascii", "replace").hex()
        ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.name for f in folders)


@pytest.mark.parametrize("where", ["toml", "env"])
def test_a_plain_path_setting_is_taken_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("my?a.db", "my?b.db", "my%20c.db", "my c.db"):
        if where == "toml":
            (tmp_path / "triage.toml").write_text(f'database = "data/{name}"\n')
        else:
            monkeypatch.setenv("TRIAGE_DB", f"data/{name}")
        config = load_config()
        assert config.database_setting == (
            "TRIAGE_DB" if where == "env" else f"`database` in {tmp_path / 'triage.toml'}"
        )
        open_and_mark(config, name.replace(" ", "_").replace("%", "pc").replace("?", "q"))
    assert sorted(p.name for p in (tmp_path / "data").glob("*.db")) == [
        "my c.db",
        "my%20c.db",
        "my?a.db",
        "my?b.db",
    ]
    assert marks_in(tmp_path / "data" / "my?a.db") == ["myqa.db"]
    assert marks_in(tmp_path / "data" / "my c.db") == ["my_c.db"]


@pytest.mark.parametrize("where", ["toml", "env"])
def test_an_unescaped_question_mark_in_a_sqlite_url_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.chdir(tmp_path)
    value = "sqlite:///data/my?db.sqlite"
    if where == "toml":
        (tmp_path / "triage.toml").write_text(f'database = "{value}"\n')
        setting = f"`database` in {tmp_path / 'triage.toml'}"
    else:
        monkeypatch.setenv("TRIAGE_DB", value)
        setting = "TRIAGE_DB"
    with pytest.raises(DatabaseUnavailable) as refused:
        Workspace.open(load_config())
    message = str(refused.value)
    assert message.startswith(f"{setting} = sqlite:///{tmp_path}/data/my?db.sqlite: ")
    assert "write a '?' in a file name as %3F" in message
    assert not (tmp_path / "data").exists()


def test_an_escaped_url_reaches_the_file_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIAGE_DB", "sqlite:///data/my%3Fdb%2520x.db")
    open_and_mark(load_config(), "escaped")
    assert marks_in(tmp_path / "data" / "my?db%20x.db") == ["escaped"]


def test_the_default_database_stays_inside_an_odd_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data?x"))
    open_and_mark(load_config(), "default")
    assert marks_in(tmp_path / "data?x" / "triage.db") == ["default"]


# -- review minutes per lane ------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("scan = -1", "lanes.minutes.scan: Input should be greater than or equal to 0"),
        ("scan = nan", "lanes.minutes.scan: Input should be a finite number"),
        ("deep = inf", "lanes.minutes.deep: Input should be a finite number"),
        ("deep = -inf", "lanes.minutes.deep: Input should be a finite number"),
        ("scan = true", "lanes.minutes.scan: Input should be a valid number"),
        ('scan = "5"', "lanes.minutes.scan: Input should be a valid number"),
        ("fast = 1", "lanes.minutes.fast"),
    ],
)
def test_review_minutes_must_be_finite_and_not_negative(
    tmp_path: Path, line: str, message: str
) -> None:
    path = tmp_path / "triage.toml"
    path.write_text(f"[lanes.minutes]\n{line}\n")
    with pytest.raises(ConfigError) as refused:
        load_config(str(path))
    assert str(refused.value).startswith(f"{path}: {message}")


def test_review_minutes_accept_zero_and_fractions(tmp_path: Path) -> None:
    path = tmp_path / "triage.toml"
    path.write_text("[lanes.minutes]\ndeep = 7\nscan = 0.5\npass = 0\n")
    assert load_config(str(path)).lane_minutes == {"deep": 7.0, "scan": 0.5, "pass": 0.0}


@pytest.mark.parametrize("name", ["bad\\u0000name", "esc\\u001b]0;x", "  "])
def test_a_source_name_that_is_not_printable_text_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "triage.toml"
    path.write_text(f'[sources."{name}"]\nkind = "jsonl"\npath = "x.jsonl"\n')
    with pytest.raises(ConfigError, match="source name must be printable"):
        load_config(str(path))


def test_a_data_directory_that_cannot_be_created_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(blocker / "data"))
    with pytest.raises(ConfigError, match=r"TRIAGE_DATA_DIR .*a-file/data cannot be created"):
        Config(database_url=None, rules_dir=None, reviewer="ana").resolved_database_url()
