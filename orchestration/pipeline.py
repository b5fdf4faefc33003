"""The ingestion step of one zone-wave as plain function calls (no Dagster).

The `raw_delivery` asset, `smesurvey ingest` and the tests all go through
`ingest_zone_wave`: pick the delivery to load (a named one, a new drop in the
inbox, or the newest landed one), land it if needed, parse it, and replace the
zone-wave in the build DB. A file-level problem records the delivery as blocked
and raises `IngestError` with the parser's one-line message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from orchestration.duckdb_memory import spill_under
from orchestration.faults import crash_point
from orchestration.settings import Home

if TYPE_CHECKING:
    from orchestration.ingest.landing import Landing
    from orchestration.ingest.load import LoadResult
    from orchestration.ingest.parse import ParsedDelivery
    from orchestration.quality.gate import GateResult, JudgedBatch


class IngestError(RuntimeError):
    """A zone-wave cannot be ingested; the message is one line naming the file or the folder."""


class GateBlocked(IngestError):
    """The quality gate refused the delivery; carries the gate's result for the asset checks."""

    def __init__(self, message: str, gate: GateResult) -> None:
        super().__init__(message)
        self.gate = gate


@dataclass(frozen=True)
class Ingested:
    landing: Landing
    result: LoadResult
    gate: GateResult


def select_landing(
    home: Home, zone_id: str, wave_id: int, delivery_id: str | None = None
) -> Landing:
    """The delivery a run of this zone-wave loads, landing it from the inbox when it is new.

    With `delivery_id` (set by the sensor and the CLI) that delivery is loaded; a
    newer drop that replaced it in the inbox wins, since it is what the team sent last.
    Without it, a not-yet-landed inbox drop wins over the newest landed delivery.
    """
    from orchestration.ingest.landing import inbox_delivery, land_delivery, landed_deliveries

    landed = landed_deliveries(home, zone_id, wave_id)
    by_id = {la.delivery_id: la for la in landed}
    if delivery_id in by_id:
        return by_id[delivery_id]
    # Only this zone-wave's folder is hashed: hashing the whole inbox per run is quadratic.
    drop = inbox_delivery(home, zone_id, wave_id)
    if drop is not None and (drop.fingerprint not in by_id or drop.fingerprint == delivery_id):
        return land_delivery(list(drop.files), zone_id, wave_id, home)
    if landed:
        return landed[-1]
    raise IngestError(
        f"{home.inbox / zone_id / str(wave_id)}: no delivery for zone {zone_id} wave {wave_id} "
        "in the inbox or the landing archive"
    )


def ingest_zone_wave(
    home: Home, zone_id: str, wave_id: int, delivery_id: str | None = None
) -> Ingested:
    """Land (if needed), parse, judge and load one zone-wave.

    A file-level problem or a gate that refuses the delivery records it as blocked
    and raises IngestError (GateBlocked for the gate); the zone-wave's loaded rows
    stay as they were.
    """
    from orchestration.ingest.load import record_blocked
    from orchestration.ingest.parse import DeliveryError, parse_delivery

    home.ensure()
    with spill_under(home.duckdb_spill):
        landing = select_landing(home, zone_id, wave_id, delivery_id)
        try:
            parsed = parse_delivery(landing)
        except DeliveryError as exc:
            message = str(exc).splitlines()[0]
            record_blocked(landing, home.build_db, message)
            raise IngestError(message) from exc
        crash_point("parse")
        gate = judge_delivery(home, parsed, zone_id, wave_id)
        crash_point("gate")
        if not gate.passed:
            record_blocked(landing, home.build_db, gate.reason, gate.rows_read, gate.rejected_rows)
            raise GateBlocked(gate.reason, gate)
        loaded = load_judged(home, parsed, gate)
        crash_point("load")
        return Ingested(landing=landing, result=loaded, gate=gate)


@dataclass(frozen=True)
class Work:
    """One zone-wave a batch ingests, and the delivery it loads (None: the newest)."""

    zone_id: str
    wave_id: int
    delivery_id: str | None = None

    def __str__(self) -> str:
        return f"{self.zone_id}/{self.wave_id}"


def ingest_zone_waves(
    home: Home,
    work: Sequence[Work],
    say: Callable[[str], None] | None = None,
    before_load: Callable[[], None] | None = None,
) -> dict[Work, Ingested | IngestError]:
    """Land, parse, judge and load several zone-waves delivered together (one drop).

    Every zone-wave is all or nothing on its own: a refused one is recorded as
    blocked and returned as its IngestError (GateBlocked for the gate), the others
    load. The gate judges the parsed deliveries together (`judge_deliveries`).
    `say` gets one line per zone-wave and stage as it ends (stage, rows, seconds);
    `before_load` is called once, when the gate has passed some zone-wave, before
    any loads (a build will follow). In-memory DuckDB connections spill under the
    home (`duckdb_memory.spill_under`).
    """
    home.ensure()
    with spill_under(home.duckdb_spill):
        return _ingest_zone_waves(home, work, say, before_load)


def _ingest_zone_waves(
    home: Home,
    work: Sequence[Work],
    say: Callable[[str], None] | None,
    before_load: Callable[[], None] | None,
) -> dict[Work, Ingested | IngestError]:
    from orchestration.ingest.load import record_blocked
    from orchestration.ingest.parse import DeliveryError, parse_delivery

    def tell(message: str) -> None:
        if say is not None:
            say(message)

    outcomes: dict[Work, Ingested | IngestError] = {}
    parsed: dict[Work, tuple[Landing, ParsedDelivery]] = {}
    for item in work:
        started = time.perf_counter()
        try:
            landing = select_landing(home, item.zone_id, item.wave_id, item.delivery_id)
        except IngestError as exc:
            outcomes[item] = exc
            tell(f"{item} refused: {exc}")
            continue
        try:
            parsed[item] = (landing, parse_delivery(landing))
        except DeliveryError as exc:
            message = str(exc).splitlines()[0]
            record_blocked(landing, home.build_db, message)
            outcomes[item] = IngestError(message)
            tell(f"{item} refused: {message}")
            continue
        rows = parsed[item][1].responses.num_rows
        tell(f"{item} parsed {rows} rows {time.perf_counter() - started:.1f} s")
    crash_point("parse")
    if parsed:
        outcomes.update(_judge_and_load(home, parsed, tell, before_load))
    else:
        crash_point("gate")
    crash_point("load")
    return {item: outcomes[item] for item in work}


def _judge_and_load(
    home: Home,
    parsed: dict[Work, tuple[Landing, ParsedDelivery]],
    tell: Callable[[str], None],
    before_load: Callable[[], None] | None,
) -> dict[Work, Ingested | IngestError]:
    """The gate on the parsed zone-waves together, then each passed one loaded."""
    from orchestration.ingest.load import record_blocked

    started = time.perf_counter()
    judged = judge_unrecorded(
        home, [(p, item.zone_id, item.wave_id) for item, (_, p) in parsed.items()]
    )
    rows = sum(gate.rows_read for gate in judged.results)
    tell(f"gate {len(parsed)} zone-wave(s) {rows} rows {time.perf_counter() - started:.1f} s")
    crash_point("gate")
    if before_load is not None and any(gate.passed for gate in judged.results):
        before_load()

    # The bulk rules have decided; Great Expectations' record of the decision (seconds,
    # whatever the size: its import and per-expectation work) runs meanwhile, beside the
    # loads (1M x 1: docs/benchmarks.md, Diagnosis).
    def record() -> tuple[list[GateResult], float]:
        started = time.perf_counter()
        return record_judged(home, judged), time.perf_counter() - started

    loaded: dict[Work, LoadResult] = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gate-record") as pool:
        recording = pool.submit(record)
        for (item, (landing, delivery)), gate in zip(parsed.items(), judged.results, strict=True):
            if not gate.passed:
                record_blocked(
                    landing, home.build_db, gate.reason, gate.rows_read, gate.rejected_rows
                )
                tell(f"{item} refused: {gate.reason}")
                continue
            started = time.perf_counter()
            loaded[item] = load_judged(home, delivery, gate)
            tell(
                f"{item} loaded {gate.accepted.num_rows} rows, {gate.rows_rejected} quarantined "
                f"{time.perf_counter() - started:.1f} s"
            )
        gates, recorded_in = recording.result()
    tell(f"gate record (Great Expectations) {recorded_in:.1f} s")
    return {
        item: (
            Ingested(landing=landing, result=loaded[item], gate=gate)
            if item in loaded
            else GateBlocked(gate.reason, gate)
        )
        for (item, (landing, _)), gate in zip(parsed.items(), gates, strict=True)
    }


def judge_deliveries(
    home: Home, parsed: Sequence[tuple[ParsedDelivery, str, int]]
) -> list[GateResult]:
    """The quality gate on several parsed deliveries (zone_id, wave_id), in their order.

    One pass over all their rows and one GX validation per run (`quality.gate.run_gates`);
    the cross-zone USCC rule sees the build DB and the other deliveries of the batch.
    Nothing to judge imports nothing (Great Expectations costs seconds to import).
    """
    if not parsed:
        return []
    return record_judged(home, judge_unrecorded(home, parsed))


def judge_unrecorded(home: Home, parsed: Sequence[tuple[ParsedDelivery, str, int]]) -> JudgedBatch:
    """The gate's decision on several parsed deliveries, before GX records it."""
    from orchestration.quality.gate import Delivery, judge_gates

    return judge_gates(
        [
            Delivery(delivery.responses, zone_id, wave_id, delivery.instrument_version)
            for delivery, zone_id, wave_id in parsed
        ],
        build_db=home.build_db if home.build_db.is_file() else None,
    )


def record_judged(home: Home, judged: JudgedBatch) -> list[GateResult]:
    """The gate results with GX's record (stored result, Data Docs in the home)."""
    from orchestration.quality.gate import record_gates

    return record_gates(judged, data_docs_dir=home.data_docs)


def judge_delivery(home: Home, parsed: ParsedDelivery, zone_id: str, wave_id: int) -> GateResult:
    """The quality gate on one parsed delivery (a batch of one)."""
    [gate] = judge_deliveries(home, [(parsed, zone_id, wave_id)])
    return gate


def load_judged(home: Home, parsed: ParsedDelivery, gate: GateResult) -> LoadResult:
    """Load the gate's accepted, normalized rows with its quarantine and normalizations."""
    from orchestration.ingest.load import load_delivery

    return load_delivery(
        replace(parsed, responses=gate.normalized),
        home.build_db,
        rejected=gate.rejected_rows,
        normalizations=gate.normalizations,
    )


@dataclass(frozen=True)
class DeliveryRow:
    zone_id: str
    wave_id: int
    delivery_id: str
    status: str
    rows_read: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    received_at: str
    message: str | None
    # Rows that broke a rule: for a blocked delivery fewer than rows_rejected, which
    # counts every row held back.
    rows_broken: int | None = None


def delivery_rows(build_db: Path) -> list[DeliveryRow]:
    """Every landed delivery recorded in the build DB (newest first within a zone-wave)."""
    if not build_db.is_file():
        return []
    with duckdb.connect(str(build_db), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'deliveries'"
        ).fetchone()[0]
        if not exists:  # raw.rejected_rows is created with it (ensure_raw_schema)
            return []
        rows = con.execute(
            """
            with broken as (
                select delivery_id, count(distinct (source_file, source_row)) as n
                from raw.rejected_rows
                group by delivery_id
            )
            select zone_id, wave_id, delivery_id, status, rows_read, rows_accepted,
                   rows_rejected, strftime(received_at, '%Y-%m-%d %H:%M'), message,
                   coalesce(broken.n, 0)
            from raw.deliveries
            left join broken using (delivery_id)
            order by wave_id, zone_id, received_at desc
            """
        ).fetchall()
    return [DeliveryRow(*row) for row in rows]


def blocked_zone_waves(rows: Sequence[DeliveryRow]) -> list[DeliveryRow]:
    """Zone-waves whose newest delivery was refused: listed until a later one loads.

    A refusal is not forgotten because another zone-wave (or the gate check of a later
    run) passed; only a newer delivery of the same zone-wave ends it.
    """
    newest: dict[tuple[str, int], DeliveryRow] = {}
    for row in rows:  # newest first within a zone-wave
        newest.setdefault((row.zone_id, row.wave_id), row)
    return [r for r in newest.values() if r.status == "blocked"]
