"""One demo home for the end-to-end modules: two zones, three waves, published once."""

from __future__ import annotations

import pytest

from orchestration.dagster_runs import run_demo
from orchestration.demo.generator import GeneratorConfig
from orchestration.settings import Home

CONFIG = GeneratorConfig(zones=2, waves=(2020, 2021, 2022))  # SH-01 and JS-01


# Session scope: the pipeline run takes minutes, and every e2e module reads the same home.
@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("e2e") / "home").ensure()
    outcome = run_demo(home, CONFIG)
    assert outcome.rebuild.success, outcome.rebuild.failure
    assert all(o.success for o in outcome.ingestion.values())
    return home
