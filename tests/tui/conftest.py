"""A small demo workspace, built once, copied for every UI test."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot

from triage.config import Config
from triage.demo.workspace import build_workspace
from triage.tui.app import TriageApp, make_app

DEMO_END = date(2026, 11, 20)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "ws"
    build_workspace(folder, end=DEMO_END, days=3, per_day=24)
    return folder


@pytest.fixture
def demo_config(tmp_path: Path, demo_template: Path) -> Config:
    folder = tmp_path / "ws"
    shutil.copytree(demo_template, folder)
    return Config(
        database_url=f"sqlite:///{folder / 'triage.db'}",
        rules_dir=folder / "rules",
        reviewer="ana",
    )


@pytest.fixture
def app_factory(demo_config: Config) -> Callable[..., TriageApp]:
    def build(**overrides: object) -> TriageApp:
        config = demo_config
        if overrides:
            config = Config(**{**config.__dict__, **overrides})  # type: ignore[arg-type]
        return make_app(config)

    return build


async def until(pilot: Pilot[None], condition: Callable[[], bool], tries: int = 200) -> None:
    """Let the app run until ``condition`` holds (workers finish, screens change)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never reached the expected state")
