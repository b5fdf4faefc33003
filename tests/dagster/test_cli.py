"""The CLI's contract: --help everywhere, one-line failures with a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration.cli import cli

COMMANDS = ["generate", "demo", "ingest", "ui", "sql", "status", "dashboards"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def one_line_failure(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_sql_without_analytics_db(tmp_path: Path) -> None:
    line = one_line_failure(["--home", str(tmp_path), "sql"])
    assert "analytics.duckdb" in line


def test_status_of_missing_home(tmp_path: Path) -> None:
    line = one_line_failure(["--home", str(tmp_path / "nowhere"), "status"])
    assert "nowhere" in line


def test_status_of_empty_home(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "status"])
    assert result.exit_code == 0
    assert "Deliveries:" in result.output and str(tmp_path) in result.output


def test_status_of_unreadable_dagster_storage(tmp_path: Path) -> None:
    """status reads Dagster's SQLite files itself: a file it cannot read is one line."""
    runs_db = tmp_path / "dagster" / "history" / "runs.db"
    runs_db.parent.mkdir(parents=True)
    runs_db.write_bytes(b"not a database")
    line = one_line_failure(["--home", str(tmp_path), "status"])
    assert "runs.db" in line and "cannot read Dagster's storage" in line


def test_ingest_bad_zone_id(tmp_path: Path) -> None:
    f = tmp_path / "platform_export.csv"
    f.write_text("a\n1\n", encoding="utf-8")
    line = one_line_failure(
        ["--home", str(tmp_path), "ingest", str(f), "--zone", "../x", "--wave", "2022"]
    )
    assert "zone id" in line


def test_demo_bad_waves(tmp_path: Path) -> None:
    line = one_line_failure(["--home", str(tmp_path), "demo", "--waves", "nonsense"])
    assert "nonsense" in line


def test_dashboards_says_publishing_is_elsewhere() -> None:
    result = CliRunner().invoke(cli, ["dashboards", "--help"])
    assert "--out" in result.output and "never changes a release" in result.output


def test_dashboards_never_writes_into_a_release(tmp_path: Path) -> None:
    out = tmp_path / "warehouse" / "releases" / "000001" / "dashboards"
    line = one_line_failure(["--home", str(tmp_path), "dashboards", "--out", str(out)])
    assert "inside a published release" in line


def test_dashboards_without_analytics_db(tmp_path: Path) -> None:
    line = one_line_failure(["--home", str(tmp_path), "dashboards", "--out", str(tmp_path / "s")])
    assert "no analytics DB yet" in line
