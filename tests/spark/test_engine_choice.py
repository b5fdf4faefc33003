"""One environment variable picks the engine dbt runs on (no Spark started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.defs.assets.dbt import dbt_project
from orchestration.defs.resources import (
    DBT_TARGET_ENV,
    DBT_TARGETS,
    SurveyHome,
    survey_home_now,
)


def test_default_engine_is_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DBT_TARGET_ENV, raising=False)
    assert survey_home_now().target == "duckdb"
    assert dbt_project().target == "duckdb"
    assert survey_home_now().spark_marts() is None


def test_the_variable_picks_the_target(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DBT_TARGET_ENV, "spark")
    monkeypatch.setenv("SMESURVEY_HOME", str(tmp_path))
    survey = survey_home_now()
    assert dbt_project().target == "spark"
    env = survey.dbt_env()
    assert Path(env["SMESURVEY_RAW_PARQUET"]) == survey.paths.raw_parquet
    assert Path(env["SMESURVEY_SPARK_DIR"]).is_relative_to(tmp_path.resolve())
    assert survey.spark_marts() == survey.paths.spark / "warehouse" / "marts.db"


def test_every_target_is_a_profile_output() -> None:
    profiles = (Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml").read_text()
    for target in DBT_TARGETS:
        assert f"\n    {target}:\n" in profiles, target


def test_unknown_target_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"{DBT_TARGET_ENV}='oracle': not a dbt target"):
        _ = SurveyHome(home=str(tmp_path), dbt_target="oracle").target


def test_cluster_target_does_not_publish_stale_marts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="publish reads local marts only"):
        SurveyHome(home=str(tmp_path), dbt_target="spark_thrift").spark_marts()
