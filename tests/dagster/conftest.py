"""Temporary homes with generated deliveries, and a throwaway Dagster instance per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.resources import SurveyHome
from orchestration.demo.generator import GeneratorConfig, write_deliveries
from orchestration.settings import Home

SMALL = {"firms_per_zone": 12}


def generate(folder: Path, zones: int, waves: tuple[int, ...], seed: int = 20200701) -> None:
    write_deliveries(GeneratorConfig(zones=zones, waves=waves, seed=seed, **SMALL), folder)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home").ensure()


@pytest.fixture
def survey(home: Home) -> SurveyHome:
    return SurveyHome(home=str(home.root))


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    with dg.instance_for_test(temp_dir=str(dagster_home)) as inst:
        yield inst


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two zones x two waves of small deliveries, plus a corrected variant (other seed)."""
    root = tmp_path_factory.mktemp("generated")
    generate(root / "original", zones=2, waves=(2021, 2022))
    generate(root / "corrected", zones=2, waves=(2021, 2022), seed=7)
    return root


Drop = Callable[..., Path]


@pytest.fixture
def drop(generated: Path, home: Home) -> Drop:
    """Copy one generated delivery into the home's inbox, as the survey team would."""

    def copy(zone_id: str, wave_id: int, variant: str = "original") -> Path:
        source = generated / variant / zone_id / str(wave_id)
        target = home.inbox / zone_id / str(wave_id)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        return target

    return copy


@pytest.fixture
def zones(generated: Path) -> list[str]:
    return sorted(p.name for p in (generated / "original").iterdir())
