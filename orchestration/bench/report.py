"""docs/benchmarks.md from results.json: figures, ratios and the targets, met or missed.

Text between the ANALYSIS markers of an existing report is kept on re-rendering:
it holds the diagnosis written by a person after reading the figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ANALYSIS_START = "<!-- analysis:start -->"
ANALYSIS_END = "<!-- analysis:end -->"
STAGE_TITLES = {
    "land_parse": "landing+parse",
    "gate": "quality gate",
    "load": "load raw",
    "ingest_overhead": "ingest start-up",
    "dbt": "dbt build",
    "publish": "publish",
    "dashboards": "dashboards",
}
FLOOR_FACTOR, FIXED_OVERHEAD_S = 3.0, 30.0
RSS_LIMIT_MB = 4096.0
INCREMENTAL_LIMIT = 1.2
SITE_LIMIT_BYTES, TTI_LIMIT_MS = 6_000_000, 2000.0
BIG = 1_000_000
# Issue 13's targets.
SMALL_LAYOUT = (10_000, 50)
PANDAS_FACTOR, SMALL_LIMIT_S = 3.0, 30.0
ADD_LIMIT_S, ADD_RATIO_LIMIT = 15.0, 1.2
REFUSAL_LIMIT_S, STATUS_LIMIT_S, DEMO_LIMIT_S = 3.0, 2.0, 90.0
Row = list[str]


def _table(header: Row, rows: list[Row]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _cell(fig: dict[str, float] | None) -> str:
    if not fig:
        return "–"
    return f"{fig['seconds']:.1f} s / {fig['peak_mb']:,.0f} MB"


def e2e_seconds(run: dict[str, Any]) -> float:
    """End to end: `smesurvey ingest --inbox` (results of older runs: the stage sum)."""
    return (run.get("cli") or run["end_to_end"])["seconds"]


def e2e_peak_mb(run: dict[str, Any]) -> float:
    """Peak memory of the end to end: the CLI tree's summed RSS (older: the largest stage)."""
    cli = run.get("cli")
    if cli:
        return max(cli["peak_mb"], cli.get("tree_peak_mb", 0.0))
    return max(s["peak_mb"] for s in run["stages"].values())


def best_run(layout: dict[str, Any]) -> dict[str, Any]:
    """The run reported for a layout: the one with the shortest end-to-end time."""
    return min(layout["runs"], key=e2e_seconds)


def _label(layout: dict[str, Any]) -> str:
    return f"{layout['size']:,} x {layout['zones']}"


def _floor_limit(run: dict[str, Any]) -> float:
    return FLOOR_FACTOR * run["floor"]["work_seconds"] + FIXED_OVERHEAD_S


def stage_table(results: dict[str, Any]) -> str:
    header = ["respondents x zones", "generate (not in pipeline)"]
    header += [STAGE_TITLES[s] for s in STAGE_TITLES] + ["stage sum"]
    rows = []
    for layout in results["layouts"]:
        run = best_run(layout)
        if "stages" not in run:
            note = run.get("stages_error", "not run (`--no-stages`)")
            rows.append([_label(layout), _cell(run["generate"]), note] + [""] * len(STAGE_TITLES))
            continue
        row = [_label(layout), _cell(run["generate"])]
        row += [_cell(run["stages"].get(s)) for s in STAGE_TITLES]
        rows.append([*row, f"**{_cell(run['end_to_end'])}**"])
    return _table(header, rows)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "–"


def baseline_table(results: dict[str, Any]) -> str:
    header = ["respondents x zones", "floor: DuckDB CSV load", "pandas analyst script"]
    header += ["`ingest --inbox`", "peak RSS (largest process / tree)", "e2e / floor"]
    header += ["3 x floor + 30 s", "e2e / pandas", "stage sum", "cells equal"]
    rows = []
    for layout in results["layouts"]:
        run = best_run(layout)
        floor, pandas, e2e = run["floor"], run["pandas"], e2e_seconds(run)
        agree = run.get("agreement")
        cli = run.get("cli")
        stage_sum = run.get("end_to_end") if "stages" in run else None
        rows.append(
            [
                _label(layout),
                f"{floor['work_seconds']:.1f} s / {floor['peak_mb']:,.0f} MB",
                f"{pandas['work_seconds']:.1f} s / {pandas['peak_mb']:,.0f} MB",
                f"{e2e:.1f} s" if cli else f"({e2e:.1f} s, stage sum)",
                f"{cli['peak_mb']:,.0f} / {cli.get('tree_peak_mb', 0):,.0f} MB" if cli else "–",
                _ratio(e2e, floor["work_seconds"]),
                f"{_floor_limit(run):.1f} s",
                _ratio(e2e, pandas["work_seconds"]),
                f"{stage_sum['seconds']:.1f} s" if stage_sum else "–",
                f"{agree['equal']}/{agree['cells']}" if agree else "–",
            ]
        )
    return _table(header, rows)


def runs_table(results: dict[str, Any]) -> str:
    rows = []
    for layout in results["layouts"]:
        for i, run in enumerate(layout["runs"], start=1):
            g = run["generate"]
            rows.append(
                [
                    _label(layout),
                    str(i),
                    run["started"],
                    " / ".join(f"{x:.2f}" for x in run["load_average"]),
                    f"{g['respondents']:,} ({g['paper']:,} paper), {g['bytes'] / 1e6:,.0f} MB",
                    f"{run['rows_read']:,} read, {run['rows_rejected']:,} rejected"
                    if "rows_read" in run
                    else "–",
                    f"{e2e_seconds(run):.1f} s",
                ]
            )
    header = ["layout", "run", "started", "load avg 1/5/15 min", "files", "rows", "end to end"]
    return _table(header, rows)


def spark_table(results: dict[str, Any]) -> str:
    """dbt build of the same models on DuckDB and on a local Spark session, per layout."""
    rows = []
    for layout in results["layouts"]:
        stages = best_run(layout).get("stages", {})
        if "dbt_spark" not in stages:
            continue
        duck, spark = stages.get("dbt"), stages["dbt_spark"]
        ratio = _ratio(spark["seconds"], duck["seconds"]) if duck else "–"
        rows.append([_label(layout), _cell(duck), _cell(spark), ratio])
    if not rows:
        return ""
    header = ["respondents x zones", "dbt build DuckDB", "dbt build Spark-local", "Spark / DuckDB"]
    return _table(header, rows)


def dbt_section(results: dict[str, Any], key: str = "dbt") -> str:
    parts = []
    for layout in results["layouts"]:
        dbt = best_run(layout).get(key)
        if not dbt:
            continue
        totals = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(dbt.get("totals", {}).items()))
        slow = "; ".join(
            f"`{n['node'].split('.', 2)[-1]}` {n['seconds']:.1f} s" for n in dbt["slowest"]
        )
        status = ""
        if dbt["returncode"] != 0:
            status = f" (**exit {dbt['returncode']}**: {dbt.get('failure')})"
        parts.append(f"- {_label(layout)}{status}: {totals}. Slowest: {slow}")
    return "\n".join(parts)


def profile_section(results: dict[str, Any]) -> str:
    parts = []
    for layout in results["layouts"]:
        for stage, rows in layout.get("profile", {}).items():
            top = "; ".join(f"`{r['function']}` {r['tottime']:.1f} s" for r in rows)
            parts.append(f"- {_label(layout)}, {STAGE_TITLES.get(stage, stage)} (own time): {top}")
    return "\n".join(parts)


def incremental_section(results: dict[str, Any]) -> str:
    inc = results.get("incremental")
    if not inc:
        return "Not measured in this run."
    rows = []
    for step in inc["steps"]:
        measured = "cost" in step
        rows.append(
            [
                str(step["k"]),
                str(step["wave"]),
                f"{step['ingest']:.1f} s",
                _cell(step.get("dbt")) if measured else "(not run)",
                _cell(step.get("publish")) if measured else "(not run)",
                f"**{step['cost']:.1f} s**" if measured else "–",
            ]
        )
    header = ["K", "wave", "ingest (all zones)", "dbt build", "publish", "cost of adding wave K"]
    first, last = inc["ratio_of"]
    return _table(header, rows) + f"\n\ncost(K={last}) / cost(K={first}) = **{inc['ratio']:.2f}**"


def site_layout(results: dict[str, Any]) -> str:
    inc = results.get("incremental")
    return f"{inc['zones']} zones x {len(inc['waves'])} waves" if inc else "(not measured)"


def site_section(results: dict[str, Any]) -> str:
    site = (results.get("incremental") or {}).get("site")
    if not site:
        return "Not measured in this run."
    if "error" in site:
        return f"`dashboards.measure` failed: {site['error']}"
    sizes = site["bytes"]
    rows = [
        [page, f"{t['scripts']} ms", f"{t['plots']} ms", f"**{t['interactive']} ms**"]
        for page, t in site["time_to_interactive_ms"].items()
    ]
    text = (
        f"Site: **{sizes['total'] / 1e6:.2f} MB** in total (plotly.min.js "
        f"{sizes['plotly.min.js'] / 1e6:.2f} MB, data {sizes['data'] / 1e6:.2f} MB, pages "
        f"{sizes['pages'] / 1e6:.2f} MB; {site['chunks']} data chunks), built in "
        f"{site['build_seconds']} s. Time to interactive (median of 3 cold loads, headless "
        "Chromium, file://):\n\n"
    )
    return text + _table(["page", "scripts evaluated", "plots drawn after", "interactive"], rows)


def _verdict(ok: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: "not measured"}[ok]


Target = tuple[str, str, str, bool | None]  # target, measured, limit, met?


def _check(name: str, value: float | None, limit: float, unit: str, measured: str = "") -> Target:
    """A target `value <= limit` (None: not measured in these results)."""
    if value is None:
        return (name, "", f"<= {limit:g}{unit}", None)
    return (name, measured or f"{value:.2f}{unit}", f"<= {limit:g}{unit}", value <= limit)


def layout_targets(results: dict[str, Any]) -> list[Target]:
    """Issue 13's targets on the layouts: `smesurvey ingest --inbox` end to end."""
    layouts = {(la["size"], la["zones"]): best_run(la) for la in results["layouts"]}
    found: list[Target] = []
    small = layouts.get(SMALL_LAYOUT)
    label = f"{SMALL_LAYOUT[0]:,} x {SMALL_LAYOUT[1]}"
    if small:
        e2e, pandas = e2e_seconds(small), small["pandas"]["work_seconds"]
        found.append(
            _check(
                f"{label} end to end at most 3x the pandas script",
                e2e / pandas if pandas else None,
                PANDAS_FACTOR,
                "x",
                f"{e2e / pandas:.1f}x ({e2e:.1f} s vs pandas {pandas:.1f} s)" if pandas else "",
            )
        )
        found.append(_check(f"{label} end to end at most 30 s", e2e, SMALL_LIMIT_S, " s"))
    else:
        found += [
            _check(f"{label} end to end at most 3x the pandas script", None, PANDAS_FACTOR, "x"),
            _check(f"{label} end to end at most 30 s", None, SMALL_LIMIT_S, " s"),
        ]
    for zones in (1, 50):
        run = layouts.get((BIG, zones))
        name = f"1,000,000 x {zones}"
        if run is None:
            found += [
                (f"{name} end to end within 3x the DuckDB floor + 30 s", "", "", None),
                (f"{name} end to end faster than pandas", "", "", None),
                (f"{name} peak RSS under 4 GB", "", "< 4,096 MB", None),
            ]
            continue
        e2e, floor = e2e_seconds(run), run["floor"]["work_seconds"]
        pandas, peak = run["pandas"]["work_seconds"], e2e_peak_mb(run)
        limit = _floor_limit(run)
        found += [
            (
                f"{name} end to end within 3x the DuckDB floor + 30 s",
                f"{e2e:.1f} s (floor {floor:.1f} s)",
                f"<= {limit:.1f} s",
                e2e <= limit,
            ),
            (
                f"{name} end to end faster than pandas",
                f"{e2e:.1f} s",
                f"< {pandas:.1f} s",
                e2e < pandas,
            ),
            (f"{name} peak RSS under 4 GB", f"{peak:,.0f} MB", "< 4,096 MB", peak < RSS_LIMIT_MB),
        ]
    return found


def command_targets(results: dict[str, Any]) -> list[Target]:
    """Issue 13's targets on single operator commands (the `targets` measurement)."""
    t = results.get("targets") or {}
    large, small = t.get("large"), t.get("small")
    where = f"{t['zones']} x {len(t['waves'])}" if t else "50 x 6"
    add = large["add"]["seconds"] if large else None
    found = [
        _check(f"adding one 400-row zone-wave to a {where} warehouse", add, ADD_LIMIT_S, " s"),
        _check(
            "... at most 1.2x adding it to a 1-wave warehouse",
            t.get("add_ratio"),
            ADD_RATIO_LIMIT,
            "x",
            f"{t['add_ratio']:.2f}x ({add:.1f} s vs {small['add']['seconds']:.1f} s)"
            if large and small
            else "",
        ),
    ]
    refusal = t.get("refusal")
    found.append(
        _check(
            "a zero-byte file refused",
            refusal["seconds"] if refusal else None,
            REFUSAL_LIMIT_S,
            " s",
        )
    )
    status = t.get("status")
    found.append(
        _check(
            f"`smesurvey status` ({status['runs_in_home']} runs in the home)"
            if status
            else "`smesurvey status`",
            status["seconds"] if status else None,
            STATUS_LIMIT_S,
            " s",
        )
    )
    demo = t.get("demo")
    found.append(
        _check("`smesurvey demo` in an empty home", demo and demo["seconds"], DEMO_LIMIT_S, " s")
    )
    return found


def earlier_targets(results: dict[str, Any]) -> list[Target]:
    """Targets of earlier issues, still reported."""
    layouts = {(la["size"], la["zones"]): best_run(la) for la in results["layouts"]}
    found: list[Target] = []
    inc = results.get("incremental")
    found.append(
        (
            "adding wave 6 costs at most 1.2x adding wave 2 (50 zones, stage calls)",
            f"{inc['ratio']:.2f}x" if inc else "",
            "<= 1.2x",
            inc["ratio"] <= INCREMENTAL_LIMIT if inc else None,
        )
    )
    versus = {k: r for k, r in layouts.items() if k[0] == 100_000}
    ok = (
        all(e2e_seconds(r) < r["pandas"]["work_seconds"] for r in versus.values())
        if versus
        else None
    )
    detail = "; ".join(
        f"{s:,} x {z}: {e2e_seconds(r):.0f} s vs pandas {r['pandas']['work_seconds']:.0f} s"
        for (s, z), r in sorted(versus.items())
    )
    found.append(("end to end faster than pandas at 100k", detail, "< pandas", ok))
    site = (inc or {}).get("site")
    if site and "error" not in site:
        slowest = max(t["interactive"] for t in site["time_to_interactive_ms"].values())
        total = site["bytes"]["total"]
        ok = total < SITE_LIMIT_BYTES and slowest < TTI_LIMIT_MS
        detail = f"{total / 1e6:.2f} MB; slowest page {slowest} ms"
    else:
        ok, detail = None, ""
    found.append(
        (
            "site at 50 zones x 6 waves",
            detail,
            "< 6 MB, every page interactive < 2 s",
            ok,
        )
    )
    return found


def targets(results: dict[str, Any]) -> list[Target]:
    """Every target: (target, measured, limit, met?)."""
    return layout_targets(results) + command_targets(results) + earlier_targets(results)


def targets_section(results: dict[str, Any]) -> str:
    rows = [[name, measured, limit, _verdict(ok)] for name, measured, limit, ok in targets(results)]
    return _table(["target", "measured", "target", "met?"], rows)


def commands_section(results: dict[str, Any]) -> str:
    """The `targets` measurement: the commands, their set-up and their figures."""
    t = results.get("targets")
    if not t:
        return "Not measured in this run."

    def fig(run: dict[str, Any]) -> str:
        tree = run.get("tree_peak_mb")
        return f"{run['seconds']:.1f} s / {run['peak_mb']:,.0f} MB" + (
            f" (tree {tree:,.0f} MB)" if tree else ""
        )

    added = t["added"]
    rows = [
        [
            f"{name}: {t[name]['zone_waves']} zone-wave(s) x {t['firms_per_zone']} respondents",
            fig(t[name]["build"]),
            fig(t[name]["add"]),
        ]
        for name in ("large", "small")
        if name in t
    ]
    text = (
        f"Measured from {t['started']} (load average "
        f"{' / '.join(str(x) for x in t['load_average'])} at start, "
        f"{' / '.join(str(x) for x in t.get('load_average_end', []))} at end). "
        f"The added zone-wave: {added['zone']}/{added['wave']}, {added['rows']} respondents "
        "(a zone neither warehouse holds yet).\n\n"
    )
    header = ["warehouse", "built by `ingest --inbox` (set-up)", "`ingest FILES --zone --wave`"]
    text += _table(header, rows)
    refusal, status, demo = t.get("refusal"), t.get("status"), t.get("demo")
    lines = []
    if refusal:
        lines.append(
            f"- zero-byte file: {refusal['seconds']:.2f} s, exit {refusal['returncode']}: "
            f"`{refusal['message']}`"
        )
    if status:
        every = ", ".join(f"{x:.2f}" for x in status["all_seconds"])
        lines.append(
            f"- `smesurvey status` on the large warehouse ({status['runs_in_home']} runs): "
            f"median {status['seconds']:.2f} s of {every} s, peak {status['peak_mb']:,.0f} MB"
        )
    if demo:
        lines.append(f"- `smesurvey demo` in an empty home: {fig(demo)}")
    return text + ("\n\n" + "\n".join(lines) if lines else "")


def bytecode_note(machine: dict[str, Any]) -> str:
    if not machine.get("no_bytecode_cache"):
        return ""
    return (
        "\n- PYTHONDONTWRITEBYTECODE was set: every command compiled its imports from source"
        " (no .pyc cache), which inflates each command's start-up"
    )


def kept_analysis(previous: str | None) -> str:
    if previous and ANALYSIS_START in previous and ANALYSIS_END in previous:
        start = previous.index(ANALYSIS_START)
        return previous[start : previous.index(ANALYSIS_END) + len(ANALYSIS_END)]
    return f"{ANALYSIS_START}\n(No diagnosis written yet.)\n{ANALYSIS_END}"


def render(results: dict[str, Any], previous: str | None = None) -> str:
    m, v = results["machine"], results["versions"]
    cfg = results["config"]
    skipped = ", ".join(cfg["skipped"]) or "none"
    repeats = (
        f"{cfg['repeat_up_to']:,} respondents in {min(cfg['layouts'])} zone(s) ran twice, "
        "the faster run is shown"
        if cfg["repeat_up_to"]
        else "each layout ran once"
    )
    inc = results.get("incremental")
    inc_text = (
        f"{len(inc['steps'])} waves x {inc['generate']['respondents'] // len(inc['steps']):,} "
        "respondents per wave"
        if inc
        else "not run"
    )
    merged = (
        f", merged (`--merge`) into the run started {results['merged_from']}: each run's "
        "start is in the Runs table"
        if results.get("merged_from")
        else ""
    )
    return f"""# Benchmarks

Measured {results["started"]} to {results.get("finished", "(still running)")} by
`smesurvey bench` (orchestration/bench/){merged}. Figures are single measurements ({repeats}),
on a shared machine: the load average at the start of every run is listed below.

## Machine and versions

- {m["cores"]} cores, {m["cpu"]}, {m["ram_gb"]} GB RAM, Linux {m["kernel"]};
  load average at start {" / ".join(str(x) for x in m["load_average"])},
  at end {" / ".join(str(x) for x in results.get("load_average_end", []))}
- {", ".join(f"{k} {val}" for k, val in v.items())}{bytecode_note(m)}

## Reproduce

```
{results["command"] or "make bench"}
```

Sizes {", ".join(f"{s:,}" for s in cfg["sizes"])} respondents in one wave ({cfg["wave"]},
instrument v2020, platform CSV UTF-8 with BOM, at most 400 paper questionnaires per
zone in the XLSX), spread over {" and ".join(str(z) for z in cfg["layouts"])} zone(s);
skipped layouts: {skipped}. Seed {cfg["seed"]}. Incremental: {inc_text}.

## How it is measured

- End to end is the operator's command: every layout starts from an empty
  SMESURVEY_HOME whose `inbox/` holds the generated drop (hard links; the generator's
  extra zones registered as with `smesurvey zones add`), and `smesurvey ingest --inbox`
  runs as a child process, timed from its start to its exit with the release
  published (orchestration/bench/commands.py). Its peak memory is given as the
  largest process of its tree (`os.wait4`) and as the tree's summed RSS sampled every
  0.25 s (Dagster's process and its dbt child live at the same time); the RSS target
  uses the larger. The same holds for the single commands of the targets
  (`ingest FILES --zone --wave`, a refused file, `status`, `demo`).
- The per-stage breakdown (`--stages`, left out by `--targets`) is a second pass in
  a fresh home: the generated deliveries are
  hard-linked into `inbox/`, then the real stages run in order:
  `select_landing` + `parse_delivery` (landing+parse), `run_gate`, `load_delivery`,
  one zone-wave after the other in one child process (the calls of
  `orchestration.pipeline.ingest_zone_wave`); then `dbt build` (its own process, as
  Dagster runs it), `publish_release` (without the site), `build_site`, each in a fresh interpreter.
- Seconds are wall time. A child's seconds include its start-up and imports
  (ingestion's are shown apart as "ingest start-up"); the stage sum = the sum of the
  child processes' wall times. Generation is timed apart and is in neither figure.
- Peak MB: for dbt, publish and dashboards the child's peak RSS from `os.wait4`
  (the `/usr/bin/time -v` figure); for the three ingestion stages the process's
  VmHWM, reset (`/proc/self/clear_refs`) before each stage, so it includes what the
  process still holds from the stage before, as a real run would.
- dbt's manifest was parsed once before the measurements (a warm installation);
  each `dbt build` rebuilds every model (full rebuilds by design).
- Floor: DuckDB `CREATE TABLE AS SELECT * FROM read_csv([...], all_varchar = true)`
  of the platform CSVs into a fresh DuckDB file (no transcoding needed: these waves
  are UTF-8 with BOM; GB18030 files would be re-encoded first, timed apart). The
  paper XLSX is not in the floor (DuckDB has no excel extension here).
- Pandas: `orchestration/bench/baselines.py`: `read_csv` + `read_excel`, labels to
  codes from the codebook, the three derived pseudo-items from the seeds, then
  n_base / n_yes / estimate / Wilson interval of every indicator of the catalog by
  zone (domain all). Floor and pandas figures are in-process work time (the
  interpreter is already running for an analyst). "cells equal" compares pandas'
  n_base and n_yes with the published `fct_indicator_estimates` cell by cell.

## Figures per stage (seconds / peak MB)

{stage_table(results)}

## References and ratios

{baseline_table(results)}

## Runs

{runs_table(results)}

## Where the time goes

dbt (node execution times from run_results.json):

{dbt_section(results) or "not run"}

Ingestion, cProfile top functions by own time (separate profiled pass):

{profile_section(results) or "not run"}

## The same dbt build on Spark (local session)

`smesurvey bench` with `BenchConfig(spark=True)`: after the DuckDB build, `dbt build
--target spark` runs the same models on the raw Parquet the ingestion wrote, in a
local Spark session on this machine's cores (docs/scale-out.md). Spark start-up
(about 20 s) is included; on 2 cores Spark is expected to be slower. Peak MB is the
dbt process only: the JVM driver (bounded by SMESURVEY_SPARK_MEMORY) is not counted.

{spark_table(results) or "not run"}

{dbt_section(results, "dbt_spark")}

## Incremental: adding wave K to a warehouse holding K-1 waves

Cost of adding wave K = ingestion of its zone-waves (one child process) + dbt build
+ publish. Waves 1, 3, 4 and 5 are ingested (not timed) without building.

{incremental_section(results)}

## Dashboards at {site_layout(results)}

Measured with `python -m dashboards.measure` on the analytics DB of the
incremental run after its last wave.

{site_section(results)}

## Operator commands: adding a zone-wave, a refusal, status, demo

{commands_section(results)}

## Targets

Issue 13's targets first, measured through the `smesurvey` commands in this run (each
layout's end to end is `smesurvey ingest --inbox`), then earlier ones.

{targets_section(results)}

## Diagnosis

{kept_analysis(previous)}
"""


def write_report(results: dict[str, Any], doc: Path) -> None:
    previous = doc.read_text(encoding="utf-8") if doc.is_file() else None
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(render(results, previous), encoding="utf-8")
