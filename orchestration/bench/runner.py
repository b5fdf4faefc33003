"""Plan and run the benchmark: wave sizes x zone layouts, incremental waves, the site.

Every layout starts from a fresh SMESURVEY_HOME (always the same path, so dbt's
partial parsing sees the same profile and parses once, as a long-lived
installation does). Results are written to <out>/results.json after every layout,
so a long run can be read (and the report rendered) while it goes on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.bench import commands
from orchestration.bench.baselines import ESTIMATES_FILE
from orchestration.bench.children import BenchError, ProcessRun, run_dbt, run_step
from orchestration.bench.machine import load_average, machine, versions
from orchestration.settings import DBT_PRODUCTION_BUILD, DBT_WRITE_ARTIFACTS, Home

RESULTS_FILE = "results.json"
# The build Dagster runs in production (without dbt's unit tests), but with dbt's
# artifacts: the node timings come from its run_results.json.
BENCH_DBT_BUILD = (*DBT_PRODUCTION_BUILD, *DBT_WRITE_ARTIFACTS)
PIPELINE_STAGES = ("land_parse", "gate", "load", "ingest_overhead", "dbt", "publish", "dashboards")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Incremental:
    """Waves added one by one; the cost of adding wave K is measured for K in `measured`."""

    waves: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024, 2025)
    zones: int = 50
    firms_per_zone: int = 200
    measured: tuple[int, ...] = (2, 6)


@dataclass(frozen=True)
class TargetRuns:
    """The operator-command targets of issue 13 besides the layouts' end to end.

    A `zones` x `waves` warehouse (`firms_per_zone` each) and a one-zone, one-wave one
    are built once (`ingest --inbox`, untimed set-up), then the same new zone-wave of
    `added_rows` respondents is added to each with `ingest FILES --zone --wave`; the
    large warehouse then times a zero-byte file's refusal and `status`. `demo` runs in
    an empty home.
    """

    zones: int = 50
    waves: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024, 2025)
    firms_per_zone: int = 200
    added_rows: int = 400
    demo: bool = True
    status_repeat: int = 3

    def __post_init__(self) -> None:
        if self.zones < 1 or not self.waves or self.firms_per_zone < 1 or self.added_rows < 1:
            raise ValueError(
                f"the warehouse to add to needs zones, waves and firms >= 1 "
                f"(got {self.zones} x {len(self.waves)} x {self.firms_per_zone})"
            )


# The layouts the targets name: 10k over 50 zones, 1M over 1 and over 50 zones.
TARGET_LAYOUTS = ((10_000, 50), (1_000_000, 1), (1_000_000, 50))


@dataclass(frozen=True)
class BenchConfig:
    out: Path
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    layouts: tuple[int, ...] = (1, 50)
    wave: int = 2020  # v2020, UTF-8 with BOM: the floor needs no transcoding
    seed: int = 20200701
    repeat_up_to: int = 10_000  # this small in the fewest zones: run twice, the faster reported
    warehouse: bool = True  # dbt, publish and dashboards (off: ingestion and baselines only)
    incremental: Incremental | None = field(default_factory=Incremental)
    measure_site: bool = True
    profile: bool = True  # a cProfile pass of ingestion at the largest one-zone size
    spark: bool = False  # also `dbt build --target spark` (local session) on every layout
    # Keep the other layouts (and the incremental run, if not re-run) of <out>/results.json:
    # re-measuring one layout after a change need not repeat the whole hour.
    merge: bool = False
    skip: frozenset[tuple[int, int]] = frozenset()
    command: str = ""
    # (size, zones) pairs to measure instead of sizes x layouts (`--targets`: TARGET_LAYOUTS)
    pairs: tuple[tuple[int, int], ...] | None = None
    # Each layout's end to end is `smesurvey ingest --inbox` (always); `stages` adds the
    # per-stage breakdown (the pipeline's calls one by one) in a second, fresh home.
    stages: bool = True
    cli: bool = True  # off: the stage breakdown only (the plumbing's smoke test)
    targets: TargetRuns | None = field(default_factory=TargetRuns)

    def __post_init__(self) -> None:
        for size, zones in self.planned():
            if size % zones or size < zones:
                raise ValueError(f"size {size} does not split into {zones} equal zones")

    def planned(self) -> list[tuple[int, int]]:
        """The layouts to measure, in order (skipped ones left out)."""
        pairs = self.pairs or tuple((s, z) for s in self.sizes for z in self.layouts)
        return [pair for pair in pairs if pair not in self.skip]


@dataclass(frozen=True)
class Paths:
    out: Path

    @property
    def home(self) -> Home:
        return Home(self.out / "home")

    @property
    def deliveries(self) -> Path:
        return self.out / "deliveries"

    @property
    def dbt_target(self) -> Path:
        return self.out / "dbt_target"

    def logs(self, label: str) -> Path:
        return self.out / "logs" / label

    def scratch(self, label: str) -> Path:
        return self.out / "scratch" / label


def fresh_home(paths: Paths) -> Home:
    shutil.rmtree(paths.home.root, ignore_errors=True)
    return paths.home.ensure()


def link_files(folder: Path, target: Path) -> None:
    """The files of `folder` into `target`, hard-linked (copied across filesystems)."""
    target.mkdir(parents=True, exist_ok=True)
    for file in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            os.link(file, target / file.name)
        except OSError:
            shutil.copy2(file, target / file.name)


def stage_inbox(deliveries: Path, home: Home, wave: int) -> list[tuple[str, int]]:
    """Drop the wave's deliveries into the inbox (hard links: the bytes arrive instantly)."""
    zone_waves = []
    for folder in sorted(deliveries.glob(f"*/{wave}")):
        link_files(folder, home.inbox / folder.parent.name / folder.name)
        zone_waves.append((folder.parent.name, wave))
    return zone_waves


def _figures(run: ProcessRun, stage: str) -> dict[str, float]:
    """A one-stage child: its work time and the process's wall time and peak RSS."""
    return {
        "seconds": round(run.wall, 2),
        "work_seconds": run.result["stages"][stage]["seconds"],
        "peak_mb": round(run.peak_mb, 1),
    }


def _ingest_figures(run: ProcessRun) -> dict[str, dict[str, float]]:
    stages = dict(run.result["stages"])
    inside = sum(s["seconds"] for s in stages.values())
    # Interpreter start, imports (GX, dagster-free pipeline modules) and codebook loading.
    stages["ingest_overhead"] = {"seconds": round(run.wall - inside, 2), "peak_mb": run.peak_mb}
    return stages


def generate(paths: Paths, config: BenchConfig, zones: int, waves: list[int], firms: int) -> dict:
    shutil.rmtree(paths.deliveries, ignore_errors=True)
    spec = {
        "stage": "generate",
        "zones": zones,
        "waves": waves,
        "firms_per_zone": firms,
        "seed": config.seed,
        "out": str(paths.deliveries),
    }
    run = run_step(spec, paths.logs("generate"), f"generate-{zones}x{firms}")
    return {
        **_figures(run, "generate"),
        "respondents": run.result["respondents"],
        "paper": run.result["paper"],
        "bytes": run.result["bytes"],
    }


def ingest(home: Home, zone_waves: list[tuple[str, int]], logs: Path, profile: bool = False):
    spec = {"stage": "ingest", "home": str(home.root), "zone_waves": zone_waves}
    name = "ingest-profiled" if profile else "ingest"
    return run_step({**spec, "profile": profile}, logs, name)


def build_and_publish(paths: Paths, logs: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """dbt build + publish: their figures and dbt's node timings."""
    home = paths.home
    dbt = run_dbt(BENCH_DBT_BUILD, home, paths.dbt_target, logs / "dbt-build.log")
    stages = {"dbt": {"seconds": round(dbt.wall, 2), "peak_mb": round(dbt.peak_mb, 1)}}
    publish = run_step({"stage": "publish", "home": str(home.root)}, logs, "publish")
    stages["publish"] = _figures(publish, "publish")
    return stages, {"returncode": dbt.returncode, **dbt.result}


def build_on_spark(paths: Paths, logs: Path) -> tuple[dict[str, float], dict[str, Any]]:
    """`dbt build --target spark` on the raw Parquet the ingestion wrote (after DuckDB's build:
    an alternative engine for the same step, not part of the end-to-end sum)."""
    target = paths.out / "dbt_target_spark"
    run = run_dbt(
        BENCH_DBT_BUILD, paths.home, target, logs / "dbt-build-spark.log", dbt_target="spark"
    )
    figures = {"seconds": round(run.wall, 2), "peak_mb": round(run.peak_mb, 1)}
    return figures, {"returncode": run.returncode, **run.result}


def agreement(analytics_db: Path, estimates: Path, wave: int) -> dict[str, int]:
    """Zone cells (domain all) where pandas and the published marts count the same n_base, n_yes."""
    from orchestration.dbt_vars import pooled_zone_id

    with duckdb.connect(str(analytics_db), read_only=True) as con:
        row = con.execute(
            f"""
            with marts as (
                select zone_id, indicator_id, n_base, n_yes
                from marts.fct_indicator_estimates
                where domain = 'all' and wave_id = ? and zone_id <> ?
            ), analyst as (
                select zone_id, indicator_id, n_base, n_yes from read_parquet('{estimates}')
            )
            select count(*),
                   count(*) filter (where m.n_base = a.n_base and m.n_yes = a.n_yes),
                   count(*) filter (where m.zone_id is null),
                   count(*) filter (where a.zone_id is null)
            from marts m full join analyst a using (zone_id, indicator_id)
            """,
            [wave, pooled_zone_id()],
        ).fetchone()
    cells, equal, only_pandas, only_marts = row
    return {"cells": cells, "equal": equal, "only_pandas": only_pandas, "only_marts": only_marts}


def baselines(paths: Paths, config: BenchConfig, logs: Path, label: str) -> dict[str, Any]:
    scratch = paths.scratch(label)
    shutil.rmtree(scratch, ignore_errors=True)
    common = {"deliveries": str(paths.deliveries), "wave": config.wave, "scratch": str(scratch)}
    floor = run_step({"stage": "floor", **common}, logs, "floor")
    analyst = run_step({"stage": "pandas", **common}, logs, "pandas")
    out = {
        "floor": {
            **_figures(floor, "floor"),
            "transcode_seconds": floor.result["stages"]["transcode"]["seconds"],
            "rows": floor.result["rows"],
        },
        "pandas": {**_figures(analyst, "pandas"), "cells": analyst.result["cells"]},
    }
    if config.warehouse and paths.home.analytics_db.is_file():
        out["agreement"] = agreement(paths.home.analytics_db, scratch / ESTIMATES_FILE, config.wave)
    return out


def register_inbox_zones(home: Home, zone_waves: list[tuple[str, int]]) -> None:
    """The generator's zones beyond the reference ones (Z08-01...) are registered first,
    as an operator would with `smesurvey zones add` before their first delivery."""
    from orchestration.ingest.admission import register_zones

    register_zones(home, sorted({zone_id for zone_id, _ in zone_waves}))


def staged_pass(paths: Paths, config: BenchConfig, logs: Path) -> dict[str, Any]:
    """The per-stage breakdown: the pipeline's calls one by one in child processes, in a
    fresh home. Its sum is not the target figure (the CLI's is)."""
    record: dict[str, Any] = {}
    home = fresh_home(paths)
    zone_waves = stage_inbox(paths.deliveries, home, config.wave)
    ingested = ingest(home, zone_waves, logs)
    stages = _ingest_figures(ingested)
    record["rows_read"] = ingested.result["rows_read"]
    record["rows_rejected"] = ingested.result["rows_rejected"]
    walls = [ingested.wall]
    peaks = [ingested.peak_mb]
    if config.warehouse:
        built, record["dbt"] = build_and_publish(paths, logs)
        site = run_step({"stage": "dashboards", "home": str(home.root)}, logs, "dashboards")
        stages |= built | {"dashboards": _figures(site, "dashboards")}
        record["site_bytes"] = site.result["site_bytes"]
        walls += [built["dbt"]["seconds"], built["publish"]["seconds"], site.wall]
        peaks += [built["dbt"]["peak_mb"], built["publish"]["peak_mb"], site.peak_mb]
        if config.spark:
            stages["dbt_spark"], record["dbt_spark"] = build_on_spark(paths, logs)
    record["stages"] = stages
    record["end_to_end"] = {"seconds": round(sum(walls), 2), "peak_mb": round(max(peaks), 1)}
    return record


def measure_layout(paths: Paths, config: BenchConfig, size: int, zones: int, run: int) -> dict:
    label = f"{size}x{zones}-run{run}"
    logs = paths.logs(label)
    record: dict[str, Any] = {"load_average": load_average(), "started": _now()}
    record["generate"] = generate(paths, config, zones, [config.wave], size // zones)
    if config.cli:
        # End to end as the operator runs it: the drop in the inbox, `ingest --inbox`
        # until the release is published.
        home = fresh_home(paths)
        zone_waves = stage_inbox(paths.deliveries, home, config.wave)
        register_inbox_zones(home, zone_waves)
        record["cli"] = commands.ingest_inbox(home, logs / "ingest-inbox.log")
        record |= baselines(paths, config, logs, label)  # agreement: with the CLI's release
    if config.stages:
        try:
            record |= staged_pass(paths, config, logs)
        except BenchError as exc:
            if not config.cli:
                raise
            # The pipeline's internals are reworked while the CLI stays: a breakdown that
            # no longer matches them must not cost the target figures.
            record["stages_error"] = str(exc)
    if not config.cli:
        record |= baselines(paths, config, logs, label)
    return record


def profile_ingestion(paths: Paths, logs: Path, wave: int) -> dict[str, Any]:
    """cProfile of each ingestion stage on the current deliveries (a second, untimed pass)."""
    home = fresh_home(paths)
    run = ingest(home, stage_inbox(paths.deliveries, home, wave), logs, profile=True)
    return run.result.get("profiles", {})


def measure_site(paths: Paths, logs: Path) -> dict[str, Any]:
    """`python -m dashboards.measure` on the public release: bytes and time to interactive."""
    site = paths.out / "site"
    shutil.rmtree(site, ignore_errors=True)
    command = [sys.executable, "-m", "dashboards.measure"]
    command += ["--public", str(paths.home.public), "--out", str(site)]
    logs.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(command, capture_output=True, text=True, cwd=paths.home.root.parent)
    (logs / "measure.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout)


def measure_incremental(paths: Paths, config: BenchConfig, inc: Incremental) -> dict[str, Any]:
    """Add waves one at a time; for K in inc.measured: ingestion + dbt build + publish."""
    logs = paths.logs("incremental")
    record: dict[str, Any] = {"load_average": load_average(), "started": _now()}
    record |= {"zones": inc.zones, "waves": list(inc.waves), "firms_per_zone": inc.firms_per_zone}
    record["generate"] = generate(paths, config, inc.zones, list(inc.waves), inc.firms_per_zone)
    home = fresh_home(paths)
    steps = []
    for k, wave in enumerate(inc.waves, start=1):
        zone_waves = stage_inbox(paths.deliveries, home, wave)
        ingested = ingest(home, zone_waves, logs / f"k{k}")
        step: dict[str, Any] = {"k": k, "wave": wave, "ingest": round(ingested.wall, 2)}
        step["ingest_stages"] = _ingest_figures(ingested)
        if k in inc.measured:
            built, step["dbt_nodes"] = build_and_publish(paths, logs / f"k{k}")
            step["dbt"], step["publish"] = built["dbt"], built["publish"]
            parts = (step["ingest"], built["dbt"]["seconds"], built["publish"]["seconds"])
            step["cost"] = round(sum(parts), 2)
        steps.append(step)
    record["steps"] = steps
    costs = {s["k"]: s["cost"] for s in steps if "cost" in s}
    first, last = min(costs), max(costs)
    record["ratio"] = round(costs[last] / costs[first], 3)
    record["ratio_of"] = [first, last]
    if home.analytics_db.is_file():
        # Kept: the next layout empties the home, and the site may be re-measured later.
        shutil.copy2(home.analytics_db, paths.out / "incremental-analytics.duckdb")
    if config.measure_site and home.analytics_db.is_file():
        site = run_step({"stage": "dashboards", "home": str(home.root)}, logs, "dashboards")
        record["dashboards"] = _figures(site, "dashboards")
        record["site"] = measure_site(paths, logs)
    return record


def generate_into(out: Path, seed: int, zones: int, waves: list[int], firms: int, logs: Path):
    """Generated deliveries in `out` (a child process, like `generate`)."""
    shutil.rmtree(out, ignore_errors=True)
    spec = {"stage": "generate", "zones": zones, "waves": waves, "firms_per_zone": firms}
    spec |= {"seed": seed, "out": str(out)}
    return run_step(spec, logs, f"generate-{zones}x{len(waves)}x{firms}")


def warehouse_home(root: Path, deliveries: Path, folders: list[Path], extra_zone: str) -> Home:
    """A fresh home whose inbox holds `folders` (<zone>/<wave> under `deliveries`)."""
    shutil.rmtree(root, ignore_errors=True)
    home = Home(root).ensure()
    for folder in folders:
        link_files(folder, home.inbox / folder.relative_to(deliveries))
    zone_waves = [(f.parent.name, int(f.name)) for f in folders]
    register_inbox_zones(home, [*zone_waves, (extra_zone, 0)])
    return home


def measure_targets(paths: Paths, config: BenchConfig, t: TargetRuns, progress: Progress) -> dict:
    """Adding one zone-wave to a large and to a one-zone-wave warehouse, a refused
    zero-byte file and `status` on the large one, and `demo` in an empty home."""
    logs = paths.logs("targets")
    record: dict[str, Any] = {"load_average": load_average(), "started": _now()}
    record |= {"zones": t.zones, "waves": list(t.waves), "firms_per_zone": t.firms_per_zone}
    base = paths.out / "targets-deliveries"
    generate_into(base, config.seed, t.zones, list(t.waves), t.firms_per_zone, logs)
    # The added zone-wave: a zone the warehouses do not hold yet (the generator's next
    # one), in the newest wave, of `added_rows` respondents.
    added_root = paths.out / "targets-added"
    wave = t.waves[-1]
    generate_into(added_root, config.seed, t.zones + 1, [wave], t.added_rows, logs)
    held = {p.name for p in base.iterdir() if p.is_dir()}
    (added_zone,) = {p.name for p in added_root.iterdir() if p.is_dir()} - held
    added = sorted(p for p in (added_root / added_zone / str(wave)).iterdir() if p.is_file())
    record["added"] = {"zone": added_zone, "wave": wave, "rows": t.added_rows}
    layouts = {
        "large": sorted(p for p in base.glob("*/*") if p.is_dir()),
        "small": [sorted(p for p in base.glob("*/*") if p.is_dir())[0]],
    }
    homes = {}
    for name, folders in layouts.items():
        progress(f"targets: building the {name} warehouse ({len(folders)} zone-waves)")
        home = warehouse_home(paths.out / f"targets-home-{name}", base, folders, added_zone)
        build = commands.ingest_inbox(home, logs / f"{name}-build.log")
        progress(f"targets: adding {added_zone}/{wave} to the {name} warehouse")
        add = commands.ingest_files(home, added, added_zone, wave, logs / f"{name}-add.log")
        record[name] = {"zone_waves": len(folders), "build": build, "add": add}
        homes[name] = home
    record["add_ratio"] = round(
        record["large"]["add"]["seconds"] / record["small"]["add"]["seconds"], 3
    )
    large = homes["large"]
    first_zone = layouts["large"][0].parent.name
    progress("targets: a zero-byte file refused; status")
    record["refusal"] = commands.refuse_empty_file(
        large, paths.scratch("targets"), first_zone, wave, logs / "refusal.log"
    )
    record["status"] = commands.status_times(large, logs, t.status_repeat)
    if t.demo:
        progress("targets: smesurvey demo in an empty home")
        record["demo"] = commands.demo(Home(paths.out / "demo-home"), logs / "demo.log")
    record["load_average_end"] = load_average()
    return record


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def new_results(config: BenchConfig) -> dict[str, Any]:
    return {
        "started": _now(),
        "command": config.command,
        "machine": machine(),
        "versions": versions(),
        "config": {
            "sizes": sorted({s for s, _ in config.planned()}),
            "layouts": sorted({z for _, z in config.planned()}),
            "pairs": [list(pair) for pair in config.planned()],
            "stages": config.stages,
            "wave": config.wave,
            "seed": config.seed,
            "repeat_up_to": config.repeat_up_to,
            "skipped": sorted(f"{s}x{z}" for s, z in config.skip),
            "spark": config.spark,
        },
        "layouts": [],
    }


def merged_results(previous_file: Path, fresh: dict[str, Any]) -> dict[str, Any]:
    """A new run's header over an earlier run's measurements (replaced as they are re-made)."""
    if not previous_file.is_file():
        raise BenchError(f"{previous_file}: no earlier results to merge into")
    previous = json.loads(previous_file.read_text(encoding="utf-8"))
    merged = {**previous, **{k: v for k, v in fresh.items() if k != "layouts"}}
    merged["merged_from"] = previous.get("started")
    merged["layouts"] = previous.get("layouts", [])
    return merged


def warm_up_dbt(paths: Paths) -> dict[str, float]:
    """`dbt parse` once (untimed in the figures): later builds parse partially, as in production."""
    home = fresh_home(paths)
    run = run_dbt("parse", home, paths.dbt_target, paths.logs("warm-up") / "dbt-parse.log")
    if run.returncode != 0:
        raise BenchError(f"dbt parse failed ({run.result.get('failure')}); see {run.log}")
    return {"seconds": round(run.wall, 2), "peak_mb": round(run.peak_mb, 1)}


def run_benchmark(
    config: BenchConfig, on_update: Callable[[dict[str, Any]], None], progress: Progress
) -> dict[str, Any]:
    """Run every planned measurement; `on_update(results)` after each (writes JSON, report)."""
    paths = Paths(config.out.resolve())
    paths.out.mkdir(parents=True, exist_ok=True)
    results = new_results(config)
    if config.merge:
        results = merged_results(paths.out / RESULTS_FILE, results)
    if config.warehouse:
        progress("dbt parse (warm-up)")
        results["dbt_parse"] = warm_up_dbt(paths)
    # The incremental run first: it is shorter than the largest layouts, which come last.
    if config.incremental is not None:
        inc = config.incremental
        progress(f"incremental: {len(inc.waves)} waves x {inc.zones} zones x {inc.firms_per_zone}")
        results["incremental"] = measure_incremental(paths, config, inc)
        _write(paths, results, on_update)
    if config.targets is not None:
        results["targets"] = measure_targets(paths, config, config.targets, progress)
        _write(paths, results, on_update)
    planned = config.planned()
    fewest = min(z for _, z in planned) if planned else 0
    largest = max(s for s, _ in planned) if planned else 0
    for size, zones in planned:
        cheap = size <= config.repeat_up_to and zones == fewest
        repeats = 2 if cheap else 1
        runs = []
        for run in range(1, repeats + 1):
            progress(f"{size:,} respondents in {zones} zone(s), run {run}/{repeats}")
            started = time.perf_counter()
            runs.append(measure_layout(paths, config, size, zones, run))
            progress(f"  done in {time.perf_counter() - started:.0f} s")
        layout = {"size": size, "zones": zones, "runs": runs}
        if config.profile and config.stages and zones == fewest and size == largest:
            progress(f"{size:,} x {zones}: profiled ingestion pass")
            layout["profile"] = profile_ingestion(paths, paths.logs("profile"), config.wave)
        results["layouts"] = [
            kept for kept in results["layouts"] if (kept["size"], kept["zones"]) != (size, zones)
        ] + [layout]
        results["layouts"].sort(key=lambda item: (item["size"], item["zones"]))
        _write(paths, results, on_update)
    results["finished"] = _now()
    results["load_average_end"] = load_average()
    _write(paths, results, on_update)
    return results


def _write(paths: Paths, results: dict[str, Any], on_update: Callable[[dict], None]) -> None:
    (paths.out / RESULTS_FILE).write_text(json.dumps(results, indent=1), encoding="utf-8")
    on_update(results)
