"""The whole pipeline in-process on the session's published demo (tests/support/demo.py:
2 zones x 3 waves), copied into a temporary home these tests change."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import cli
from orchestration.codebook import load_codebook
from orchestration.dagster_runs import home_instance, run_demo
from orchestration.dbt_state import PARTIAL_PARSE
from orchestration.pipeline import delivery_rows
from orchestration.pseudonym import resolve_key
from orchestration.publish import read_published_tables
from orchestration.rejections import ROWS_SHOWN_IN_UI
from orchestration.release import current_release_id, read_manifest, release_ids
from orchestration.settings import DBT_PROJECT_DIR, Home
from tests.support.demo import DEMO_CONFIG, copy_home

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DBT_PROJECT_DIR / "dbt_project.yml").is_file(), reason="dbt_project/ not present"
    ),
]
CONFIG = DEMO_CONFIG
ZONE_WAVES = CONFIG.zones * len(CONFIG.waves)


@pytest.fixture(scope="module")
def demo_home(published_demo: Home, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A copy of the published demo (the tests below run the pipeline again on it)."""
    return copy_home(published_demo, tmp_path_factory.mktemp("demo") / "home")


def landings(home: Home) -> list[Path]:
    return sorted(p.parent for p in home.landing.glob("*/*/*/manifest.json"))


def test_every_zone_wave_loaded(demo_home: Home) -> None:
    rows = delivery_rows(demo_home.build_db)
    assert len(rows) == ZONE_WAVES
    assert {r.status for r in rows} == {"loaded"}
    assert all(r.rows_read == r.rows_accepted + r.rows_rejected for r in rows)
    assert sum(r.rows_accepted for r in rows) > 0


def test_published_marts_without_restricted_columns(demo_home: Home) -> None:
    counts = read_published_tables(demo_home.analytics_db)
    for mart in ("dim_wave", "dim_zone", "dim_indicator", "fct_indicator_estimates"):
        assert counts.get(mart, 0) > 0, mart
    restricted = {it.id.lower() for it in load_codebook().items if it.restricted}
    with duckdb.connect(str(demo_home.analytics_db), read_only=True) as con:
        columns = con.execute(
            "select distinct table_schema, lower(column_name) from information_schema.columns"
        ).fetchall()
        unsuppressed = con.execute(
            "select count(*) from marts.fct_indicator_estimates "
            "where suppressed and estimate is not null"
        ).fetchone()[0]
    assert {schema for schema, _ in columns} == {"marts"}
    assert not {c for _, c in columns} & restricted
    assert unsuppressed == 0
    parquet = {p.stem for p in demo_home.parquet.glob("*.parquet")}
    assert parquet == set(counts)
    from dashboards.pages import PAGES

    index = (demo_home.dashboards / "index.html").read_text(encoding="utf-8")
    assert all(f"{page}.html" in index for page in PAGES)
    assert all((demo_home.dashboards / f"{page}.html").is_file() for page in PAGES)
    # DB, Parquet and site are one release, described by its manifest.
    manifest = read_manifest(demo_home.current)
    assert manifest["release_id"] == current_release_id(demo_home)
    assert manifest["row_counts"] == counts
    assert len(manifest["deliveries"]) == ZONE_WAVES
    files = {f["path"] for f in manifest["files"]}
    assert {"analytics.duckdb", "dashboards/index.html"} <= files
    assert {f"parquet/{mart}.parquet" for mart in counts} <= files


def test_dashboards_command_leaves_the_release_alone(demo_home: Home, tmp_path: Path) -> None:
    before = read_manifest(demo_home.current)
    out = tmp_path / "site"
    args = ["--home", str(demo_home.root), "dashboards", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    assert read_manifest(demo_home.current) == before
    release = demo_home.current.resolve()
    on_disk = [p.relative_to(release).as_posix() for p in sorted(release.rglob("*"))]
    assert [f["path"] for f in before["files"]] == [
        name for name in on_disk if (release / name).is_file() and name != "manifest.json"
    ]


def test_runs_and_checks_recorded(demo_home: Home) -> None:
    with home_instance(demo_home) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1  # the drop of every zone-wave: one run, one dbt build, one publish
        assert {r.job_name for r in runs} == {"ingest_zone_wave"}
    from orchestration.defs.dagster_storage import DagsterStorage

    checks = DagsterStorage(demo_home.dagster_home).check_results()
    assert checks and all(c.passed for c in checks)


def test_demo_again_changes_no_row_count(demo_home: Home) -> None:
    before_rows = [
        (r.zone_id, r.wave_id, r.rows_accepted) for r in delivery_rows(demo_home.build_db)
    ]
    before_marts = read_published_tables(demo_home.analytics_db)
    before_landings = landings(demo_home)
    before_release = current_release_id(demo_home)
    outcome = run_demo(demo_home, CONFIG)
    assert outcome.rebuild.success
    # A rebuild is a new release; the previous one is kept as it was.
    assert release_ids(demo_home.releases)[-2:] == [before_release, current_release_id(demo_home)]
    after_rows = [
        (r.zone_id, r.wave_id, r.rows_accepted) for r in delivery_rows(demo_home.build_db)
    ]
    assert sorted(after_rows) == sorted(before_rows)
    assert read_published_tables(demo_home.analytics_db) == before_marts
    assert landings(demo_home) == before_landings


def test_dbt_writes_in_the_home_s_restricted_build_area(demo_home: Home) -> None:
    """The rebuild's dbt target and parse state are in the home (orchestration/dbt_state.py);
    the parse state holds the pseudonym key, which reaches nothing under dbt_project/."""
    runs = demo_home.dbt_runs
    assert (runs / PARTIAL_PARSE).is_file()
    [target] = runs.glob("run-*")
    # the SQL dbt ran and its log; no JSON artifacts (DBT_PRODUCTION_BUILD)
    assert (target / "run").is_dir() and (target / "dbt.log").is_file()
    assert not (target / "run_results.json").exists()
    key = resolve_key(demo_home).value.encode()
    assert len(key) == 64 and key in (runs / PARTIAL_PARSE).read_bytes()
    leaked = [
        path
        for path in (DBT_PROJECT_DIR / "target").rglob("*")
        if path.is_file() and key in path.read_bytes()
    ]
    assert leaked == []


def test_bad_delivery_blocks_with_one_line(demo_home: Home, tmp_path: Path) -> None:
    bad = tmp_path / "platform_export.csv"
    bad.write_text("not,a,questionnaire\n1,2,3\n", encoding="utf-8")
    published = current_release_id(demo_home)
    zone = sorted(p.name for p in demo_home.inbox.iterdir())[0]
    landed_before = landings(demo_home)
    with home_instance(demo_home) as instance:
        runs_before = len(instance.get_runs())
    result = CliRunner().invoke(
        cli, ["--home", str(demo_home.root), "ingest", str(bad), "--zone", zone, "--wave", "2022"]
    )
    assert result.exit_code == 1
    message = result.output.strip().splitlines()[-1]
    assert message.startswith("smesurvey: ") and "platform_export.csv" in message
    rows = [r for r in delivery_rows(demo_home.build_db) if (r.zone_id, r.wave_id) == (zone, 2022)]
    assert {r.status for r in rows} == {"loaded", "blocked"}
    assert current_release_id(demo_home) == published  # nothing downstream ran
    status = CliRunner().invoke(cli, ["--home", str(demo_home.root), "status"])
    assert status.exit_code == 1, status.output  # the refused zone-wave needs attention
    assert f"{zone}/2022 blocked since" in status.output and "Last runs" in status.output
    # refused by the parser before any run: no run was made, the archive has the file
    with home_instance(demo_home) as instance:
        assert runs_before == len(instance.get_runs())
    assert len(landings(demo_home)) == len(landed_before) + 1


def latest_gate_evaluation(home: Home):
    """The newest evaluation of raw_delivery's quality_gate check, as the Dagster UI shows it."""
    import dagster as dg

    with home_instance(home) as instance:
        records = instance.get_event_records(
            dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
            limit=50,
            ascending=False,
        )
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.check_name == "quality_gate":
            return evaluation
    raise AssertionError("no quality_gate evaluation recorded")


def latest_gate_check(home: Home) -> tuple[bool, str]:
    """What the Dagster UI shows for raw_delivery's quality_gate check: passed, description."""
    evaluation = latest_gate_evaluation(home)
    return evaluation.passed, evaluation.description or ""


def test_rows_failing_rules_above_the_threshold_fail_the_gate_check(
    demo_home: Home, tmp_path: Path
) -> None:
    """Every row with an invalid USCC check character: quarantined, share 100% > 5%: blocked."""
    import pandas as pd

    zone = sorted(p.name for p in demo_home.inbox.iterdir())[0]
    source = demo_home.inbox / zone / "2021" / "platform_export.csv"
    raw = source.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "gb18030"
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding=encoding)
    uscc = frame.columns[0]
    frame[uscc] = frame[uscc].str[:17] + frame[uscc].str[17].map(lambda c: "0" if c != "0" else "1")
    bad = tmp_path / "platform_export.csv"
    frame.to_csv(bad, index=False, encoding=encoding)
    published = current_release_id(demo_home)
    result = CliRunner().invoke(
        cli, ["--home", str(demo_home.root), "ingest", str(bad), "--zone", zone, "--wave", "2021"]
    )
    assert result.exit_code == 1, result.output
    message = result.output.strip().splitlines()[-1].removeprefix("smesurvey: ")
    assert "threshold" in message or "%" in message, message
    passed, description = latest_gate_check(demo_home)
    # the CLI names the zone-wave and the run around the check's reason
    assert not passed and message.startswith(f"{zone}/2021: refused: {description} (run ")
    assert current_release_id(demo_home) == published
    rows = [r for r in delivery_rows(demo_home.build_db) if (r.zone_id, r.wave_id) == (zone, 2021)]
    blocked = [r for r in rows if r.status == "blocked"]
    assert blocked and blocked[0].rows_read == blocked[0].rows_rejected == len(frame)
    # The UI shows the rejected rows as the check's metadata: file row, column, value,
    # rule, reason, with the USCC masked (restricted), and the command for all of them.
    metadata = latest_gate_evaluation(demo_home).metadata
    table = metadata["rejected_rows"].value
    lines = table.splitlines()
    assert lines[0] == "| file | row | column | value | rule | reason |"
    first = [c.strip() for c in lines[2].strip("|").split("|")]
    assert first[0] == "platform_export.csv" and first[1] == "1"
    assert first[2] == "A1_uscc" and first[3] == "(restricted)"
    assert not any(code in table for code in frame[uscc])
    shown = [line for line in lines if line.startswith("| platform_export.csv |")]
    assert len(shown) == min(ROWS_SHOWN_IN_UI, len(frame))
    if len(frame) > ROWS_SHOWN_IN_UI:
        assert lines[-1] == f"{ROWS_SHOWN_IN_UI} of {len(frame)} lines shown."
    command = metadata["all_rejected_rows"].value
    assert command == f"smesurvey rejected {zone} 2021 --csv rejected-{zone}-2021.csv"
