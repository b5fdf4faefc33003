"""Plain-text reports for the CLI: the demo's summary and `smesurvey status`."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg
import duckdb

from orchestration.pipeline import DeliveryRow, delivery_rows
from orchestration.settings import Home
from orchestration.unfinished import published_deliveries

RECENT_RUNS = 10
CHECK_EVENTS = 2000


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned text columns, numbers right-aligned."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    numeric = [all(isinstance(row[i], int | float) for row in rows) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, cells)])


def read_deliveries(home: Home) -> tuple[list[DeliveryRow], str | None]:
    """Deliveries from the build DB, or a one-line note when it is busy or absent."""
    if not home.build_db.is_file():
        return [], f"no build DB yet at {home.build_db}"
    try:
        return delivery_rows(home.build_db), None
    except duckdb.IOException:
        return [], f"{home.build_db} is busy (a run is writing it); try again when it is done"


def current_deliveries(rows: Sequence[DeliveryRow]) -> list[DeliveryRow]:
    """Per zone-wave the delivery in force: the loaded one, else the newest (rows: newest first)."""
    chosen: dict[tuple[str, int], DeliveryRow] = {}
    for row in rows:
        key = (row.zone_id, row.wave_id)
        if key not in chosen or (row.status == "loaded" and chosen[key].status != "loaded"):
            chosen[key] = row
    return sorted(chosen.values(), key=lambda r: (r.wave_id, r.zone_id))


def shown_status(row: DeliveryRow, published: set[str] | None) -> str:
    """`loaded` only once the current release contains it; before that it is not published."""
    if row.status == "loaded" and published is not None and row.delivery_id not in published:
        return "loaded, not published"
    return row.status


def delivery_table(
    rows: Sequence[DeliveryRow], with_id: bool = False, published: set[str] | None = None
) -> str:
    header = ["zone", "wave", "status", "read", "accepted", "rejected"]
    header += ["delivery", "received", "message"] if with_id else []
    body = [
        [r.zone_id, r.wave_id, shown_status(r, published)]
        + [r.rows_read, r.rows_accepted, r.rows_rejected]
        # Stored HTML-escaped for the published tables; a terminal shows it as written.
        + ([r.delivery_id[:12], r.received_at, html.unescape(r.message or "")] if with_id else [])
        for r in rows
    ]
    return table(header, body)


def release_line(home: Home) -> str:
    from orchestration.release import current_release_id, release_ids

    current = current_release_id(home)
    kept = release_ids(home.releases)
    if current is None:
        return "  release      none published yet"
    return f"  release      {current} (kept: {', '.join(kept)})"


def path_lines(home: Home) -> list[str]:
    entries = [
        ("inbox", home.inbox),
        ("landing", home.landing),
        ("build DB", home.build_db),
        ("current", home.current),
        ("analytics DB", home.analytics_db),
        ("parquet", home.parquet),
        ("dashboards", home.dashboards / "index.html"),
        ("DAGSTER_HOME", home.dagster_home),
    ]
    lines = [f"  {name:<13}{p}{'' if p.exists() else '  (missing)'}" for name, p in entries]
    return [release_line(home), *lines]


def demo_summary(home: Home, row_counts: dict[str, int]) -> str:
    rows, note = read_deliveries(home)
    current = current_deliveries(rows)
    lines = ["Zone-waves:", note or delivery_table(current), ""]
    if current:
        lines.append(
            f"Total: {len(current)} zone-waves, "
            f"{sum(r.rows_accepted or 0 for r in current):,} questionnaires accepted, "
            f"{sum(r.rows_rejected or 0 for r in current):,} rejected"
        )
        lines.append("")
    if row_counts:
        lines += ["Published marts:", table(["table", "rows"], sorted(row_counts.items())), ""]
    return "\n".join([*lines, "Paths:", *path_lines(home)])


def latest_check_results(instance: dg.DagsterInstance) -> list[tuple[str, str, bool]]:
    """(asset, check, passed) of the newest evaluation of every check this instance has seen."""
    records = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        limit=CHECK_EVENTS,
        ascending=False,
    )
    latest: dict[tuple[str, str], bool] = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
        latest.setdefault(key, evaluation.passed)
    return sorted((asset, check, passed) for (asset, check), passed in latest.items())


def run_state(run: dg.DagsterRun) -> str:
    """The run's status, CRASHED for a run ended because its process died."""
    from orchestration.recovery import CRASHED_TAG

    return "CRASHED" if CRASHED_TAG in run.tags else run.status.value


def run_failure(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The one-line reason of a failed run: its first step failure, else the run failure."""
    if run.status != dg.DagsterRunStatus.FAILURE:
        return ""
    kinds = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}
    for record in instance.get_records_for_run(run.run_id, of_type=kinds).records:
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data if event is not None else None
        user = getattr(data, "user_failure_data", None)
        error = getattr(data, "error", None)
        text = (
            (user.description if user is not None and user.description else None)
            or (error.message if error is not None else None)
            or (event.message if event is not None else None)
            or ""
        )
        if text.strip():
            return text.strip().splitlines()[0]
    return ""


def run_lines(instance: dg.DagsterInstance) -> list[list[object]]:
    """The newest runs: id, job, status, start time (UTC), partition, failure reason."""
    rows: list[list[object]] = []
    for record in instance.get_run_records(limit=RECENT_RUNS):
        run = record.dagster_run
        started = _utc(record.start_time) if record.start_time else ""
        partition = run.tags.get("dagster/partition") or (
            "all" if run.tags.get("dagster/asset_partition_range_start") else ""
        )
        rows.append(
            [
                run.run_id[:8],
                run.job_name,
                run_state(run),
                started,
                partition,
                run_failure(instance, run),
            ]
        )
    return rows


def pool_lines(instance: dg.DagsterInstance) -> list[str]:
    """Who holds each pool's slots right now (after dead runs were ended)."""
    from orchestration.recovery import slot_holders

    holders = slot_holders(instance)
    if not holders:
        return ["Pools: every slot free"]
    return ["Pools:"] + [
        f"  {h.pool}: held by run {h.run_id[:8]} ({h.job_name}, step {h.step_key}, {h.status})"
        for h in holders
    ]


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def status_report(home: Home, instance: dg.DagsterInstance | None) -> str:
    rows, note = read_deliveries(home)
    waves = sorted({r.wave_id for r in rows})
    zones = sorted({r.zone_id for r in rows})
    lines = [
        f"SMESURVEY_HOME {home.root}",
        f"Waves ({len(waves)}): {', '.join(map(str, waves)) or '-'}",
        f"Zones ({len(zones)}): {', '.join(zones) or '-'}",
        "",
        "Deliveries:",
        note
        or (
            delivery_table(rows, with_id=True, published=published_deliveries(home) or set())
            if rows
            else "  none yet"
        ),
        "",
    ]
    if instance is None:
        lines += ["Runs: no Dagster instance yet (run `smesurvey demo` or `smesurvey ui`)", ""]
    else:
        runs = run_lines(instance)
        lines += ["Last runs:"]
        lines += [
            table(["run", "job", "status", "started", "partition", "reason"], runs)
            if runs
            else "  none"
        ]
        lines += ["", *pool_lines(instance)]
        checks = latest_check_results(instance)
        failed = [c for c in checks if not c[2]]
        lines += ["", f"Checks: {len(checks) - len(failed)} passed, {len(failed)} failed"]
        lines += [f"  FAILED {asset}: {check}" for asset, check, _ in failed]
        lines.append("")
    return "\n".join([*lines, "Paths:", *path_lines(home)])
