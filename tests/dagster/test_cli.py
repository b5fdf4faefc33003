"""The CLI's contract: --help everywhere, one-line failures with a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from orchestration.cli import cli
from tests.support.timeouts import HANG_GUARD

COMMANDS = ["generate", "demo", "ingest", "ui", "sql", "status", "dashboards", "releases"]


def test_the_main_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    assert set(COMMANDS) <= set(cli.commands)
    for name, command in cli.commands.items():
        summary = command.get_short_help_str(limit=30).removesuffix("...")
        assert summary, f"{name} has no help text"
        assert any(
            line.split()[:1] == [name] and summary in line for line in result.output.splitlines()
        ), f"{name}: {summary!r} not listed"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_help(command: str) -> None:
    """Each command's --help: its usage line, its description and every option it takes."""
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: cli {command}") or result.output.startswith(
        f"Usage: smesurvey {command}"
    ), result.output.splitlines()[0]
    words = (cli.commands[command].help or "").split()
    assert words and " ".join(words[:4]) in " ".join(result.output.split())
    for param in cli.commands[command].params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.opts[0] in result.output, f"{command} --help omits {param.opts[0]}"


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


def test_dashboards_without_a_public_release(tmp_path: Path) -> None:
    line = one_line_failure(["--home", str(tmp_path), "dashboards", "--out", str(tmp_path / "s")])
    assert "no public release yet" in line and "current/public" in line


PROBE = """
import json, sys
from orchestration.cli import cli
try:
    cli(sys.argv[1:], standalone_mode=False)
except Exception as exc:
    print("error:", exc, file=sys.stderr)
heavy = ("dagster", "dbt", "great_expectations")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def test_ingest_refuses_an_unreadable_file_before_dagster_dbt_or_gx(tmp_path: Path) -> None:
    """The parser refuses an empty file in the CLI's own process: no Dagster, dbt or Great
    Expectations import, no run; the refusal is recorded (blocked) and the file archived."""
    import json
    import subprocess
    import sys

    from orchestration.pipeline import delivery_rows
    from orchestration.settings import Home

    empty = tmp_path / "platform_export.csv"
    empty.write_bytes(b"")
    home = Home(tmp_path / "home")
    args = ["--home", str(home.root), "ingest", str(empty), "--zone", "SH-01", "--wave", "2022"]
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert json.loads(probe.stdout.strip().splitlines()[-1]) == [], probe.stderr
    assert "platform_export.csv" in probe.stderr and "empty" in probe.stderr
    [row] = delivery_rows(home.build_db)
    assert (row.zone_id, row.wave_id, row.status) == ("SH-01", 2022, "blocked")
    assert list(home.landing.glob("SH-01/2022/*/platform_export.csv"))
    assert not (home.dagster_home / "dagster.yaml").exists()  # no run, no instance
