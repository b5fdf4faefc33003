"""The `smesurvey` command line.

Every command fails with a non-zero exit and one line naming the problem; the
work itself lives in plain modules that this file only calls (imported lazily
so `--help` stays fast).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from orchestration.gc_tuning import large_heap_collector
from orchestration.settings import PRIVATE_UMASK, PROJECT_ROOT, Home

T = TypeVar("T")
DEFINITIONS_MODULE = "orchestration.definitions"


class SurveyError(click.ClickException):
    """A failure the user can act on: printed as one line, exit code 1."""

    def show(self, file=None) -> None:
        click.echo(f"smesurvey: {self.format_message()}", err=True)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _home_root() -> Path:
    ctx = click.get_current_context(silent=True)
    home = ctx.find_root().obj.get("home") if ctx is not None and ctx.find_root().obj else None
    return home.root if home is not None else Path.cwd()


def guarded(work: Callable[[], T]) -> T:
    """Run `work`; any exception becomes a one-line SurveyError (details are in the run logs).

    A full disk or an I/O error is named as such, with the path (orchestration/storage.py).
    """
    from orchestration.storage import storage_problem

    try:
        return work()
    except (SurveyError, click.exceptions.Exit):
        raise
    except Exception as exc:
        raise SurveyError(storage_problem(exc, _home_root()) or first_line(exc)) from exc


def reason(failure: str | None) -> str:
    """A failed run's one-line reason, with storage failures named as such."""
    from orchestration.storage import storage_problem_in_text

    text = failure or "run failed"
    return storage_problem_in_text(text, _home_root()) or text


def _home(ctx: click.Context) -> Home:
    return ctx.obj["home"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SMESURVEY_HOME",
    default="data",
    show_default=True,
    help="SMESURVEY_HOME: inbox, landing, warehouse (with its releases) and Dagster state.",
)
@click.pass_context
def cli(ctx: click.Context, home: Path) -> None:
    """SME digital-maturity survey warehouse: deliveries in, validated marts and dashboards out."""
    ctx.ensure_object(dict)
    ctx.obj["home"] = Home(home.resolve())


@cli.command()
@click.option(
    "--zones", type=int, default=7, show_default=True, help="Number of zones (the first is SH-01)."
)
@click.option(
    "--waves",
    default="2020-2025",
    show_default=True,
    help="Wave years, e.g. 2020-2025 or 2020,2022.",
)
@click.option(
    "--firms-per-zone",
    type=int,
    default=None,
    help="Respondents per zone-wave (default: the demo's 80-400, with SH-01 2020 = 99).",
)
@click.option(
    "--seed",
    type=int,
    default=20200701,
    show_default=True,
    help="Random seed: same seed, same bytes.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write <zone>/<wave>/ deliveries into.",
)
def generate(zones: int, waves: str, firms_per_zone: int | None, seed: int, out: Path) -> None:
    """Generate synthetic deliveries (platform CSV, paper XLSX, zone register)."""
    from orchestration.demo.generator import GeneratorConfig, parse_waves, write_deliveries

    try:
        config = GeneratorConfig(
            zones=zones, waves=parse_waves(waves), firms_per_zone=firms_per_zone, seed=seed
        )
    except ValueError as exc:
        raise SurveyError(str(exc)) from exc
    summary = write_deliveries(config, out)
    click.echo(summary.describe())


@cli.command()
@click.option("--zones", type=int, default=7, show_default=True, help="Number of demo zones.")
@click.option("--waves", default="2020-2025", show_default=True, help="Wave years, e.g. 2020-2025.")
@click.option(
    "--firms-per-zone", type=int, default=None, help="Respondents per zone-wave (default 80-400)."
)
@click.pass_context
def demo(ctx: click.Context, zones: int, waves: str, firms_per_zone: int | None) -> None:
    """Generate the demo deliveries into inbox/ and run the whole pipeline on them.

    One run loads every zone-wave, builds the warehouse (one dbt build) and
    publishes a release (analytics DB, Parquet, dashboards), printing a line per
    stage and zone-wave to stderr as it goes. Running it again lands nothing new
    and changes no row count.
    """
    from orchestration.dagster_runs import run_demo
    from orchestration.demo.generator import GeneratorConfig, parse_waves
    from orchestration.publish import read_published_tables
    from orchestration.run_report import demo_summary

    home = _home(ctx).ensure()
    try:
        config = GeneratorConfig(
            zones=zones, waves=parse_waves(waves), firms_per_zone=firms_per_zone
        )
    except ValueError as exc:
        raise SurveyError(str(exc)) from exc
    outcome = guarded(lambda: run_demo(home, config))
    counts = read_published_tables(home.analytics_db) if home.analytics_db.is_file() else {}
    click.echo(demo_summary(home, counts))
    failed = {zw: o for zw, o in outcome.ingestion.items() if not o.success}
    if outcome.refusals:
        first_refusal = outcome.refusals[0]
        raise SurveyError(
            f"{len(outcome.refusals)} inbox folder(s) refused; {first_refusal.reason}"
        )
    if failed:
        zone_wave, first = next(iter(sorted(failed.items())))
        raise SurveyError(
            f"{len(failed)} zone-wave(s) not ingested; {zone_wave}: {reason(first.failure)}"
        )
    if not outcome.rebuild.success:
        raise SurveyError(f"warehouse build failed: {reason(outcome.rebuild.failure)}")


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--zone", "zone_id", help="Zone id, e.g. SH-01.")
@click.option("--wave", "wave_id", type=int, help="Wave year, e.g. 2024.")
@click.option(
    "--inbox",
    "from_inbox",
    is_flag=True,
    help="Ingest every zone-wave waiting in SMESURVEY_HOME/inbox/<zone>/<wave>/ instead.",
)
@click.option(
    "--new-zone", is_flag=True, help="--zone is a new zone: register it (see `smesurvey zones`)."
)
@click.pass_context
def ingest(
    ctx: click.Context,
    files: tuple[Path, ...],
    zone_id: str | None,
    wave_id: int | None,
    from_inbox: bool,
    new_zone: bool,
) -> None:
    """Land FILE... as the delivery of one zone in one wave and run that zone-wave.

    The files are archived under landing/, loaded into the build DB (replacing an
    earlier delivery of the same zone-wave), then dbt runs and a release (analytics
    DB, Parquet, dashboards) is published under warehouse/current/.

    With --inbox: every inbox delivery not landed yet, in one run that loads each
    zone-wave (one line per zone-wave: ingested, or refused with the reason), then
    builds and publishes the warehouse once. Exits 1 if any was refused.
    Progress (a line per stage and zone-wave) goes to stderr as the run goes.
    """
    home = _home(ctx).ensure()
    if from_inbox:
        if files or zone_id or wave_id is not None or new_zone:
            raise SurveyError("ingest --inbox takes no FILE, --zone, --wave or --new-zone")
        ingest_inbox(home)
        return
    if not files or zone_id is None or wave_id is None:
        raise SurveyError("ingest needs FILE... with --zone and --wave, or --inbox")
    from orchestration.ingest.admission import admit_logged, register_zones

    if new_zone:
        guarded(lambda: register_zones(home, [zone_id]))
    # Admission, landing and parsing before Dagster, dbt or GX are even imported: a
    # refused file answers in a second or two instead of after a run's start-up.
    guarded(lambda: admit_logged(files, zone_id, wave_id, home))
    landing = guarded(lambda: refuse_unreadable(home, files, zone_id, wave_id))
    from orchestration.dagster_runs import run_ingest

    outcome = guarded(lambda: run_ingest(home, files, zone_id, wave_id, landing=landing))
    run = f"(run {outcome.run_id[:8]})"
    if not outcome.success:
        raise SurveyError(f"{zone_id}/{wave_id}: refused: {reason(outcome.failure)} {run}")
    # The same lines as `ingest --inbox`, so scripts read both alike.
    click.echo(f"{zone_id}/{wave_id}: ingested{describe_rows(outcome.rows)} {run}")
    click.echo(f"warehouse built and published {run}")
    click.echo(f"  analytics DB  {home.analytics_db}")


def refuse_unreadable(home: Home, files: tuple[Path, ...], zone_id: str, wave_id: int):
    """Land the files and parse them; a file the parser refuses ends the command here.

    The refusal is recorded as a run would record it (the delivery `blocked` in
    raw.deliveries, shown by `smesurvey status`; the files stay archived in
    landing/), without a Dagster run: what parses is then run, and parsed again, by
    the run. When another process holds the build DB the refusal cannot be recorded
    now: the run (which waits for the build DB) records it instead.
    """
    import duckdb

    from orchestration.ingest.landing import land_delivery
    from orchestration.ingest.load import record_blocked
    from orchestration.ingest.parse import DeliveryError, parse_delivery
    from orchestration.release import sweep_leftovers

    sweep_leftovers(home)  # what `run_ingest` would do first
    landing = land_delivery(list(files), zone_id, wave_id, home)
    try:
        parse_delivery(landing)
    except DeliveryError as exc:
        message = str(exc).splitlines()[0]
        try:
            record_blocked(landing, home.build_db, message)
        except duckdb.IOException:
            return landing  # busy build DB: the run waits for it and records the refusal
        # Refused before any run: no run id to give.
        raise SurveyError(f"{zone_id}/{wave_id}: refused: {message}") from exc
    return landing


def describe_rows(rows: dict[str, int]) -> str:
    if not rows:
        return ""
    return (
        f" {rows.get('rows_read', 0)} rows, {rows.get('rows_accepted', 0)} accepted, "
        f"{rows.get('rows_rejected', 0)} quarantined"
    )


def ingest_inbox(home: Home) -> None:
    """`ingest --inbox`: one line per zone-wave, then the build; exit 1 if any was refused."""
    from orchestration.dagster_runs import run_inbox

    outcome = guarded(lambda: run_inbox(home))
    for row in outcome.refused_before:
        # Landed and refused by an earlier run: the same files wait for a fix.
        click.echo(
            f"{row.zone_id}/{row.wave_id}: refused on {row.received_at}, the same files are "
            f"still in the inbox: {row.message or 'refused'} "
            f"(smesurvey rejected {row.zone_id} {row.wave_id})"
        )
    if not outcome.ingestion and not outcome.refusals and outcome.rebuild is None:
        click.echo(f"nothing new in {home.inbox}")
        if outcome.refused_before:
            raise SurveyError(
                f"{len(outcome.refused_before)} zone-wave(s) in the inbox wait for a fix"
            )
        return
    for refusal in outcome.refusals:
        # Refused at admission: nothing landed, no run (so no run id).
        click.echo(f"{refusal}: refused: {refusal.reason}")
    for zone_wave, run in outcome.ingestion.items():
        if run.success:
            line = f"{zone_wave}: ingested{describe_rows(run.rows)} (run {run.run_id[:8]})"
        else:
            line = f"{zone_wave}: refused: {reason(run.failure)} (run {run.run_id[:8]})"
        click.echo(line)
    if outcome.rebuild is not None:
        if not outcome.rebuild.success:
            raise SurveyError(f"warehouse build failed: {reason(outcome.rebuild.failure)}")
        click.echo(f"warehouse built and published (run {outcome.rebuild.run_id[:8]})")
        click.echo(f"  analytics DB  {home.analytics_db}")
    refused = len(outcome.refused) + len(outcome.refusals) + len(outcome.refused_before)
    if refused:
        total = len(outcome.ingestion) + len(outcome.refusals) + len(outcome.refused_before)
        raise SurveyError(f"{refused} of {total} zone-waves refused")


@cli.group()
def zones() -> None:
    """The zones deliveries may come from: the reference zones and the registered ones."""


@zones.command("list")
@click.pass_context
def zones_list(ctx: click.Context) -> None:
    """Every known zone, one a line, marked `reference` or `registered`."""
    from orchestration.ingest.admission import reference_zones, registered_zones

    home = _home(ctx)
    reference = reference_zones()
    for zone_id in sorted(reference | registered_zones(home)):
        click.echo(f"{zone_id}\t{'reference' if zone_id in reference else 'registered'}")


@zones.command("add")
@click.argument("zone_ids", nargs=-1, required=True)
@click.pass_context
def zones_add(ctx: click.Context, zone_ids: tuple[str, ...]) -> None:
    """Register new zones in SMESURVEY_HOME/zones.csv, so their deliveries are admitted."""
    from orchestration.ingest.admission import register_zones

    home = _home(ctx).ensure()
    added = guarded(lambda: register_zones(home, zone_ids))
    click.echo(f"registered {', '.join(added)}" if added else "already known")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=3000, show_default=True, help="Port to listen on.")
@click.option(
    "--docs-port",
    type=int,
    default=None,
    help="Port of the Data Docs server beside the UI  [default: --port + 1].",
)
@click.pass_context
def ui(ctx: click.Context, host: str, port: int, docs_port: int | None) -> None:
    """Start the Dagster UI (`dagster dev`) on this home: runs, checks, sensor, backfills.

    Beside it, a read-only HTTP server of the home's Data Docs, so the checks' Data Docs
    links open from the UI.
    """
    from orchestration.dagster_runs import write_dagster_yaml
    from orchestration.quality.docs_server import DOCS_URL_ENV, base_url, start_beside

    home = _home(ctx).ensure()
    write_dagster_yaml(home)
    docs_port = docs_port if docs_port is not None else port + 1
    # Started before the exec below, it outlives this Python and stops with `dagster dev`.
    start_beside(home.data_docs, host, docs_port)
    docs_url = base_url(host, docs_port)
    env = {
        **os.environ,
        "SMESURVEY_HOME": str(home.root),
        "DAGSTER_HOME": str(home.dagster_home),
        # dbt and dagster live next to this Python even when the venv is not activated.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        # `dagster dev` is "superseded" by `dg dev`, which wants a dg project layout
        # (pyproject [tool.dg]) this repository does not use; `dagster dev` stays fully
        # supported in 1.x, so its one-line notice is only noise for an operator.
        "PYTHONWARNINGS": "ignore:Function `dev_command` is superseded",
        # The checks link their Data Docs pages under this address.
        DOCS_URL_ENV: docs_url,
    }
    command = [sys.executable, "-m", "dagster", "dev", "-m", DEFINITIONS_MODULE]
    command += ["--host", host, "--port", str(port)]
    click.echo(
        f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={home.dagster_home}); Ctrl-C stops"
    )
    click.echo(f"Data Docs on {docs_url} ({home.data_docs})")
    # Become `dagster dev` rather than wait for it: a service manager's SIGTERM (or the
    # terminal's Ctrl-C) then reaches dagster itself, which stops the daemon and its code
    # servers; a waiting parent would die alone and leave them running. dagster maps
    # SIGTERM to its SIGINT handler, so SIGINT must not stay ignored (as it is under
    # `nohup` or `&` in a script): an ignored SIGINT would make SIGTERM ignored too.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.chdir(PROJECT_ROOT)
    os.execve(sys.executable, command, env)


SQL_FORMATS = {"table": "-box", "csv": "-csv", "json": "-json", "markdown": "-markdown"}


def duckdb_shell() -> Path | None:
    """The DuckDB shell installed with the project (duckdb-cli), else one on PATH."""
    beside = Path(sys.executable).with_name("duckdb")
    if beside.is_file():
        return beside
    found = shutil.which("duckdb")
    return Path(found) if found else None


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-c", "--command", "query", help="Run this SQL and exit.")
@click.option(
    "--format",
    "output",
    type=click.Choice(sorted(SQL_FORMATS)),
    default="table",
    show_default=True,
    help="Output of -c, FILE and piped SQL.",
)
@click.option(
    "--release",
    "release_id",
    default=None,
    help="A kept release's id (see `smesurvey releases`) instead of the current one.",
)
@click.pass_context
def sql(
    ctx: click.Context, file: str | None, query: str | None, output: str, release_id: str | None
) -> None:
    """The DuckDB shell on the current release's analytics DB, read-only (schema marts).

    Interactive without arguments; `-c "select ..."` runs one query, FILE (a .sql
    file, or - for standard input) runs a script, and SQL piped in runs too; each
    prints as --format table, csv, json or markdown and exits.
    """
    db = _home(ctx).analytics_db
    if release_id is not None:
        from orchestration.release_list import release_path

        db = guarded(lambda: release_path(_home(ctx), release_id)) / "analytics.duckdb"
    if not db.is_file():
        raise SurveyError(f"{db}: no analytics DB yet (run `smesurvey demo` or ingest a delivery)")
    shell = duckdb_shell()
    if shell is None:
        raise SurveyError(
            "the DuckDB shell is missing: run `make install` (it installs duckdb-cli)"
        )
    if query is not None and file is not None:
        raise SurveyError("sql takes -c QUERY or FILE, not both")
    if file not in (None, "-") and not Path(file).is_file():
        raise SurveyError(f"{file}: no such SQL file")
    from orchestration.publish import MARTS

    # Resolve `current` once: a publish during the session does not switch the file.
    command = [str(shell), "-readonly", "-cmd", f"use {MARTS}"]
    interactive = query is None and file is None and sys.stdin.isatty()
    if not interactive:
        command += ["-bail", "-no-init", SQL_FORMATS[output]]
    command.append(str(db.resolve()))
    if query is not None:
        command += ["-c", query]
    elif file not in (None, "-"):
        command += ["-f", str(file)]
    raise SystemExit(subprocess.call(command))


@cli.group(invoke_without_command=True)
@click.pass_context
def releases(ctx: click.Context) -> None:
    """The kept releases, one a line: id, time, code version, deliveries, size, current.

    `releases show ID` prints one release's manifest and its path; `sql --release ID`
    opens its analytics DB. SMESURVEY_KEEP_RELEASES (default 5) releases are kept.
    """
    if ctx.invoked_subcommand is not None:
        return
    from orchestration.release_list import kept_releases

    kept = guarded(lambda: kept_releases(_home(ctx)))
    if not kept:
        click.echo(f"no release yet in {_home(ctx).releases}")
    for release in kept:
        click.echo(release.line())


@releases.command("show")
@click.argument("release_id")
@click.pass_context
def releases_show(ctx: click.Context, release_id: str) -> None:
    """One release's manifest: path, deliveries, parameters, row counts, revisions."""
    from orchestration.release_list import describe

    click.echo(guarded(lambda: describe(_home(ctx), release_id)))


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the site into (not inside warehouse/releases/).",
)
@click.pass_context
def dashboards(ctx: click.Context, out: Path) -> None:
    """Draw the static dashboards of the current release's public tables into --out.

    Published dashboards are part of each release (warehouse/current/dashboards/)
    and are written by `ingest` and `demo`; this command never changes a release.
    """
    from dashboards.site import build_site

    home = _home(ctx)
    out = out.resolve()
    if out.is_relative_to(home.releases.resolve()) or out == home.current.resolve():
        raise SurveyError(f"{out}: inside a published release; choose a folder outside releases/")
    if not home.public.is_dir():
        raise SurveyError(
            f"{home.public}: no public release yet (run `smesurvey demo` or ingest a delivery)"
        )
    # Resolve `current` once, so a publish during the build cannot mix two releases.
    report = guarded(lambda: build_site(home.public.resolve(), out))
    click.echo(f"{report.pages[0]}  ({report.bytes / 1e6:.1f} MB, {len(report.pages)} pages)")


@cli.command()
@click.option("--zone", "zone_id", help="Only this zone, e.g. SH-01.")
@click.option("--wave", "wave_id", type=int, help="Only this wave, e.g. 2024.")
@click.option("--failed", "failed_only", is_flag=True, help="Only what needs attention.")
@click.pass_context
def status(ctx: click.Context, zone_id: str | None, wave_id: int | None, failed_only: bool) -> None:
    """Waves, zones, deliveries (status, rows read/accepted/rejected), last runs, checks, paths.

    First what needs attention: zone-waves whose newest delivery was refused (until a
    later delivery of that zone-wave loads) and failed checks, with their zone-waves.
    Exit code 1 when anything needs attention, so scripts and cron can alert on it.
    Read-only and without Dagster: dead runs are shown as CRASHED, and ended (their
    slots freed) by the next writing command.
    """
    from orchestration.run_report import StatusFilter
    from orchestration.run_report import status as status_of

    home = _home(ctx)
    if not home.root.is_dir():
        raise SurveyError(f"{home.root}: no such SMESURVEY_HOME (run `smesurvey demo` first)")
    found = guarded(lambda: status_of(home, StatusFilter(zone_id, wave_id, failed_only)))
    click.echo(found.text)
    if found.attention:
        raise SystemExit(1)


@cli.command()
@click.argument("zone_id")
@click.argument("wave_id", type=int)
@click.option("--delivery", "delivery_id", help="A delivery id (default: the newest).")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every rejected row to this CSV file (UTF-8 with BOM, opens in Excel).",
)
@click.option("--limit", type=int, default=50, show_default=True, help="Rows to print.")
@click.pass_context
def rejected(
    ctx: click.Context,
    zone_id: str,
    wave_id: int,
    delivery_id: str | None,
    csv_path: Path | None,
    limit: int,
) -> None:
    """The rows a zone-wave's delivery broke: file, data row, column, value, rule and reason.

    Data rows are counted from 1 under the header line. Reads the build DB (restricted
    storage; values are shown as delivered).
    """
    from orchestration.rejections import RejectionsError, read_rejections, write_csv
    from orchestration.run_report import table

    home = _home(ctx)
    try:
        found = read_rejections(home.build_db, zone_id, wave_id, delivery_id)
    except RejectionsError as exc:
        raise SurveyError(str(exc)) from exc
    click.echo(found.headline)
    if found.message:
        click.echo(f"reason: {found.message}")
    if found.by_rule:
        click.echo("")
        click.echo(
            table(
                ["rule", "column", "rows", "most frequent value", "times"],
                [
                    (r.rule_id, r.column_name, r.rows, r.top_value, r.top_count)
                    for r in found.by_rule
                ],
            )
        )
        click.echo("")
        click.echo(
            table(["file", "data row", "column", "value", "rule", "reason"], found.rows[:limit])
        )
        if len(found.rows) > limit:
            click.echo(f"... {len(found.rows) - limit} more; --csv FILE writes them all")
    if csv_path is not None:
        write_csv(found, csv_path)
        click.echo(f"wrote {len(found.rows)} rows to {csv_path}")


@cli.command()
@click.option("--sizes", default="10000,100000,1000000", show_default=True, help="Wave sizes.")
@click.option("--zones", "layouts", default="1,50", show_default=True, help="Zone layouts.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/bench"),
    show_default=True,
    help="Work folder: deliveries, a scratch SMESURVEY_HOME, logs, results.json.",
)
@click.option(
    "--doc",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Report to write [default: docs/benchmarks.md; with --quick <out>/benchmarks.md].",
)
@click.option("--skip", multiple=True, help="A SIZExZONES layout to leave out, e.g. 1000000x50.")
@click.option("--quick", is_flag=True, help="10k only; no incremental or site measurement.")
@click.option(
    "--incremental/--no-incremental",
    default=True,
    show_default=True,
    help="Measure adding wave K (K = 2, 6) and the site at 50 zones x 6 waves.",
)
@click.option(
    "--merge",
    is_flag=True,
    help="Keep the other measurements of <out>/results.json; replace only those re-made.",
)
@click.option(
    "--spark", is_flag=True, help="Also time `dbt build --target spark` (local) on every layout."
)
@click.option(
    "--targets",
    "targets_only",
    is_flag=True,
    help="Only the targets: 10kx50, 1Mx1, 1Mx50 (or --sizes x --zones) through `ingest --inbox`, "
    "adding one zone-wave, a refusal, status, demo.",
)
@click.option(
    "--stages/--no-stages",
    default=True,
    show_default=True,
    help="Also the per-stage breakdown of every layout (a second pass in a fresh home).",
)
@click.option(
    "--layouts-only",
    is_flag=True,
    help="Only the layouts (end to end, stages, floor, pandas): not the operator commands "
    "(adding one zone-wave to a built warehouse, a refusal, status, demo).",
)
@click.option("--no-demo", is_flag=True, help="Leave out the `smesurvey demo` timing.")
@click.option(
    "--add-to",
    default="50x6x200",
    show_default=True,
    help="ZONESxWAVESxFIRMS of the warehouse one 400-row zone-wave is added to.",
)
@click.pass_context
def bench(
    ctx: click.Context,
    layouts: str,
    sizes: str,
    out: Path,
    doc: Path | None,
    skip: tuple[str, ...],
    quick: bool,
    incremental: bool,
    merge: bool,
    spark: bool,
    targets_only: bool,
    stages: bool,
    layouts_only: bool,
    no_demo: bool,
    add_to: str,
) -> None:
    """Time every pipeline stage on generated waves against a DuckDB floor and pandas."""
    from click.core import ParameterSource

    from orchestration.bench.report import write_report
    from orchestration.bench.runner import TARGET_LAYOUTS, BenchConfig, TargetRuns, run_benchmark

    def numbers(text: str, what: str) -> tuple[int, ...]:
        try:
            return tuple(int(x) for x in text.replace("_", "").split(","))
        except ValueError as exc:
            raise SurveyError(f"--{what} {text!r}: expected numbers separated by commas") from exc

    skipped = frozenset(numbers(s.replace("x", ","), "skip")[:2] for s in skip)
    options: dict = {"incremental": None, "measure_site": False} if quick or not incremental else {}
    add_zones, add_waves, add_firms = (numbers(add_to.replace("x", ","), "add-to") + (0,) * 3)[:3]
    waves = tuple(range(2020, 2020 + add_waves))
    try:
        warehouse = TargetRuns(
            zones=add_zones, waves=waves, firms_per_zone=add_firms, demo=not no_demo
        )
    except ValueError as exc:
        raise SurveyError(str(exc)) from exc
    if targets_only and layouts_only:
        raise SurveyError("--targets and --layouts-only exclude each other")
    options["targets"] = None if quick or layouts_only else warehouse
    options["stages"] = stages and not targets_only
    if targets_only:
        options |= {"incremental": None, "measure_site": False, "profile": False}
        given = {ctx.get_parameter_source(p) for p in ("sizes", "layouts")}
        if given == {ParameterSource.DEFAULT}:  # the targets' own layouts
            options["pairs"] = TARGET_LAYOUTS
    try:
        config = BenchConfig(
            out=out,
            sizes=(10_000,) if quick else numbers(sizes, "sizes"),
            layouts=numbers(layouts, "zones"),
            skip=skipped,
            command="smesurvey " + " ".join(sys.argv[1:]),
            spark=spark,
            merge=merge,
            **options,
        )
    except ValueError as exc:
        raise SurveyError(str(exc)) from exc
    report = doc or (out / "benchmarks.md" if quick else PROJECT_ROOT / "docs" / "benchmarks.md")
    guarded(lambda: run_benchmark(config, lambda r: write_report(r, report), click.echo))
    click.echo(f"report: {report}")


@cli.group()
def key() -> None:
    """The secret key of the enterprise pseudonyms (enterprise_key); never printed."""


def _home_key(ctx: click.Context):
    from orchestration.pseudonym import resolve_key

    return guarded(lambda: resolve_key(_home(ctx)))


@key.command("show")
@click.pass_context
def key_show(ctx: click.Context) -> None:
    """Where the key comes from, its fingerprint and the one the warehouse was built with."""
    from orchestration.pseudonym import recorded_fingerprint

    current = _home_key(ctx)
    recorded = recorded_fingerprint(_home(ctx))
    click.echo(f"key          {current.source}")
    click.echo(f"fingerprint  {current.fingerprint}")
    if recorded is None:
        click.echo("warehouse    no build recorded yet (the next build records this key)")
    elif recorded == current.fingerprint:
        click.echo(f"warehouse    built with this key ({recorded})")
    else:
        click.echo(
            f"warehouse    built with {recorded}: builds refused until `smesurvey key accept`"
        )


@key.command("accept")
@click.pass_context
def key_accept(ctx: click.Context) -> None:
    """Accept the current key: the next build rebuilds every enterprise_key with it."""
    from orchestration.pseudonym import record_fingerprint

    current = _home_key(ctx)
    fingerprint = guarded(lambda: record_fingerprint(_home(ctx), current))
    click.echo(f"accepted key {fingerprint} ({current.source}): the next build uses it")


def main() -> None:
    # Operators get one-line messages; Dagster's beta and mixed-policy notices are for developers.
    warnings.filterwarnings("ignore", message=r".*(is currently in beta|varying BackfillPolicies)")
    # Everything this command (and `smesurvey ui`'s Dagster processes, which inherit it)
    # creates is owner-only; releases are made readable for analysts on purpose.
    os.umask(PRIVATE_UMASK)
    with large_heap_collector():
        cli(prog_name="smesurvey")


if __name__ == "__main__":
    sys.exit(main())
