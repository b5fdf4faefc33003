"""One published demo home (two zones; 2020, 2021 and the first wave of every later
questionnaire version) for every suite that reads one.

`smesurvey demo`'s pipeline (run_demo: generate, one drop, one dbt build, one publish)
runs once per session (tests/support/shared.py). tests/e2e read it as it is;
tests/dagster/test_pipeline.py changes a copy (`copy_home`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.codebook import load_codebook
from orchestration.dagster_runs import run_demo
from orchestration.demo.generator import GeneratorConfig
from orchestration.settings import Home
from tests.support.shared import built_once, copy_tree

# Every questionnaire version is fielded in the demo: a new version in the codebook
# adds its first wave here by itself.
WAVES = tuple(
    sorted({2020, 2021} | {spec["first_wave"] for spec in load_codebook().instruments.values()})
)
DEMO_CONFIG = GeneratorConfig(zones=2, waves=WAVES)  # SH-01 and JS-01


def _publish(folder: Path) -> None:
    home = Home(folder / "home").ensure()
    outcome = run_demo(home, DEMO_CONFIG)
    assert outcome.rebuild.success, outcome.rebuild.failure
    assert all(o.success for o in outcome.ingestion.values())
    assert len(outcome.ingestion) == DEMO_CONFIG.zones * len(DEMO_CONFIG.waves)


def published_demo(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return Home(built_once(tmp_path_factory, "demo", _publish) / "home")


def copy_home(home: Home, target: Path) -> Home:
    """A private copy of a home (its `current` link is relative: it follows the copy)."""
    return Home(copy_tree(home.root, target))
