"""One demo home for the end-to-end modules: two zones, the 2020 baseline wave, 2021 and
the first wave of every later instrument version, published once."""

from __future__ import annotations

import pytest

from orchestration.codebook import load_codebook
from orchestration.dagster_runs import run_demo
from orchestration.demo.generator import GeneratorConfig
from orchestration.settings import Home

# Every questionnaire version is fielded in the demo: a new version in the codebook
# adds its first wave here by itself.
WAVES = tuple(
    sorted({2020, 2021} | {spec["first_wave"] for spec in load_codebook().instruments.values()})
)
CONFIG = GeneratorConfig(zones=2, waves=WAVES)  # SH-01 and JS-01


# Session scope: the pipeline run takes minutes, and every e2e module reads the same home.
@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("e2e") / "home").ensure()
    outcome = run_demo(home, CONFIG)
    assert outcome.rebuild.success, outcome.rebuild.failure
    assert all(o.success for o in outcome.ingestion.values())
    return home
