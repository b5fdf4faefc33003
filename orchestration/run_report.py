"""Plain-text reports for the CLI: the demo's summary and `smesurvey status`.

Neither imports dagster (about 4 s here): `status` reads the home's Dagster storage
with sqlite3 (orchestration/defs/dagster_storage.py) and writes nothing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from orchestration.defs.dagster_storage import (
    CRASHED_TAG,
    PARTITION_RANGE_START_TAG,
    PARTITION_TAG,
    CheckResult,
    DagsterStorage,
)
from orchestration.pipeline import DeliveryRow, blocked_zone_waves, delivery_rows
from orchestration.settings import Home

RECENT_RUNS = 10
NOT_ENDED_YET = "ended by the next writing command"


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
    header = ["zone", "wave", "status", "read", "accepted", "not loaded", "broke a rule"]
    header += ["delivery", "received", "message"] if with_id else []
    body = [
        [r.zone_id, r.wave_id, shown_status(r, published)]
        + [r.rows_read, r.rows_accepted, r.rows_rejected, r.rows_broken]
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


def run_lines(storage: DagsterStorage) -> list[list[object]]:
    """The newest runs: id, job, status, start time (UTC), partition, failure reason.

    A run whose process died is CRASHED: ended already (tagged by recovery), or dead
    but still recorded as running, which the next writing command ends (status writes
    nothing).
    """
    rows: list[list[object]] = []
    for run in storage.recent_runs(RECENT_RUNS):
        state, why = run.status, storage.failure_reason(run)
        if not why and run.status == "SUCCESS":
            why = refusal_note(storage.gate_verdicts(run))
        dead = storage.is_dead(run)
        if CRASHED_TAG in run.tags:
            state = "CRASHED"
        elif dead is not None:
            state = "CRASHED"
            why = f"process {dead.pid} died without finishing the run; {NOT_ENDED_YET}"
        partition = run.tags.get(PARTITION_TAG) or (
            "all" if run.tags.get(PARTITION_RANGE_START_TAG) else ""
        )
        started = _utc(run.start_time) if run.start_time else ""
        rows.append([run.run_id[:8], run.job_name, state, started, partition, why])
    return rows


def refusal_note(verdicts: dict[str, str | None]) -> str:
    """A run's refused zone-waves in one line (a refusal fails a check, not the run)."""
    refused = {zone_wave_of(p): why for p, why in verdicts.items() if why is not None}
    if not refused:
        return ""
    first = min(refused)
    return f"{len(refused)} of {len(verdicts)} zone-waves refused; {first}: {refused[first]}"


def pool_lines(storage: DagsterStorage) -> list[str]:
    """Who holds each pool's slots; a dead or finished holder is freed by the next writer."""
    slots = storage.slots()
    if not slots:
        return ["Pools: every slot free"]
    runs = storage.runs_by_id([s.run_id for s in slots])
    lines = ["Pools:"]
    for slot in slots:
        run = runs.get(slot.run_id)
        job, state = (run.job_name, run.status) if run is not None else ("?", "missing")
        if run is not None and storage.is_dead(run) is not None:
            state = f"{run.status}, process dead; {NOT_ENDED_YET}"
        elif run is None or run.finished:
            state = f"{state}; freed by the next writing command"
        lines.append(
            f"  {slot.pool}: held by run {slot.run_id[:8]} ({job}, step {slot.step_key}, {state})"
        )
    return lines


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def published_deliveries(home: Home) -> set[str] | None:
    """Delivery ids in the current release's manifest; None before the first release.

    As orchestration.unfinished.published_deliveries, without importing the ingestion
    modules (numpy, pyarrow) that module needs for its other work.
    """
    from orchestration.release import delivery_ids, read_manifest

    if not home.current.is_dir():
        return None
    return delivery_ids(read_manifest(home.current.resolve()))


@dataclass(frozen=True)
class StatusFilter:
    """What `smesurvey status --zone/--wave/--failed` narrows the report to."""

    zone_id: str | None = None
    wave_id: int | None = None
    failed_only: bool = False

    def keeps(self, zone_id: str, wave_id: int) -> bool:
        return (self.zone_id is None or zone_id == self.zone_id) and (
            self.wave_id is None or wave_id == self.wave_id
        )

    def keeps_zone_wave(self, zone_wave: str) -> bool:
        """`SH-01/2024` (a check's metadata) or `2024|SH-01` (a partition key)."""
        if "/" in zone_wave:
            zone, _, wave = zone_wave.partition("/")
        else:
            wave, _, zone = zone_wave.partition("|")
        return self.keeps(zone, int(wave)) if wave.isdigit() else self.zone_id is None


@dataclass(frozen=True)
class Status:
    text: str
    attention: list[str]  # what needs someone: exit code 1 when not empty


def zone_wave_of(partition: str) -> str:
    """A wave x zone partition key (`2024|SH-01`) as the CLI names zone-waves (`SH-01/2024`)."""
    wave, sep, zone = partition.partition("|")
    return f"{zone}/{wave}" if sep and wave.isdigit() else partition


def check_line(check: CheckResult) -> str:
    where = (
        ", ".join(check.zone_waves)
        or (check.partition and zone_wave_of(check.partition))
        or "all partitions"
    )
    return f"{check.asset}: {check.check} failed ({where})"


def attention_lines(
    rows: Sequence[DeliveryRow], checks: Sequence[CheckResult], only: StatusFilter
) -> list[str]:
    lines = [
        f"{r.zone_id}/{r.wave_id} blocked since {r.received_at}: "
        f"{html.unescape(r.message or 'refused')}  (smesurvey rejected {r.zone_id} {r.wave_id})"
        for r in blocked_zone_waves(rows)
        if only.keeps(r.zone_id, r.wave_id)
    ]
    for check in checks:
        if check.passed:
            continue
        named = check.zone_waves or ((check.partition,) if check.partition else ())
        if not named or any(only.keeps_zone_wave(zw) for zw in named):
            lines.append(check_line(check))
    return lines


def status(home: Home, only: StatusFilter | None = None) -> Status:
    """What `smesurvey status` prints; reads the build DB and Dagster's storage, writes nothing."""
    only = only or StatusFilter()
    rows, note = read_deliveries(home)
    storage = DagsterStorage(home.dagster_home)
    checks = storage.check_results() if storage.exists() else []
    attention = attention_lines(rows, checks, only)
    shown = [r for r in rows if only.keeps(r.zone_id, r.wave_id)]
    if only.failed_only:
        blocked = {(r.zone_id, r.wave_id) for r in blocked_zone_waves(rows)}
        shown = [r for r in shown if (r.zone_id, r.wave_id) in blocked]
    lines = [
        "Needs attention:" if attention else "Needs attention: nothing",
        *(f"  {line}" for line in attention),
        "",
    ]
    if only.failed_only:
        if shown:
            lines += ["Deliveries:", delivery_table(shown, with_id=True), ""]
        return Status("\n".join(lines).rstrip("\n"), attention)
    waves = sorted({r.wave_id for r in rows})
    zones = sorted({r.zone_id for r in rows})
    lines = [
        f"SMESURVEY_HOME {home.root}",
        f"Waves ({len(waves)}): {', '.join(map(str, waves)) or '-'}",
        f"Zones ({len(zones)}): {', '.join(zones) or '-'}",
        "",
        *lines,
        "Deliveries:",
        note
        or (
            delivery_table(shown, with_id=True, published=published_deliveries(home) or set())
            if shown
            else "  none yet"
        ),
        "",
    ]
    if not storage.exists():
        lines += ["Runs: no Dagster instance yet (run `smesurvey demo` or `smesurvey ui`)", ""]
    else:
        runs = run_lines(storage)
        lines += ["Last runs:"]
        lines += [
            table(["run", "job", "status", "started", "partition", "reason"], runs)
            if runs
            else "  none"
        ]
        lines += ["", *pool_lines(storage)]
        failed = [c for c in checks if not c.passed]
        lines += ["", f"Checks: {len(checks) - len(failed)} passed, {len(failed)} failed"]
        lines += [f"  FAILED {check_line(c)}" for c in failed]
        lines.append("")
    return Status("\n".join([*lines, "Paths:", *path_lines(home)]), attention)


def status_report(home: Home) -> str:
    """The whole `smesurvey status` text."""
    return status(home).text
