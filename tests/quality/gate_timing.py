"""Time the quality gate on generated deliveries, next to a DuckDB CSV-load floor (not a test).

    smesurvey generate --zones 50 --waves 2020 --firms-per-zone 200 --seed 1 --out D
    python tests/quality/gate_timing.py D HOME {batch,each}

`batch`: `judge_deliveries` on every zone-wave at once; `each`: `judge_delivery` per
zone-wave (what runs one zone-wave after the other). The code measured is whatever
`orchestration` is on sys.path (PYTHONPATH=<an older checkout> times the old gate).
HOME is deleted and recreated. Prints one JSON line: imports (GX apart), floor,
landing+parse, gate wall and CPU seconds (CPU includes DuckDB's threads), load average.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path


def main(src: Path, home_dir: Path, mode: str) -> dict:
    start = time.perf_counter()
    import duckdb

    import orchestration.pipeline as pipeline
    from orchestration.ingest.admission import register_zones
    from orchestration.ingest.parse import parse_delivery
    from orchestration.settings import Home

    imports = time.perf_counter() - start
    start = time.perf_counter()
    import great_expectations  # noqa: F401  (its import, timed apart from the gate)

    gx_import = time.perf_counter() - start

    shutil.rmtree(home_dir, ignore_errors=True)
    home = Home(home_dir).ensure()
    zone_waves = sorted((z.name, int(w.name)) for z in src.iterdir() for w in z.iterdir())
    register_zones(home, sorted({z for z, _ in zone_waves}))
    for z, w in zone_waves:
        shutil.copytree(src / z / str(w), home.inbox / z / str(w))

    csvs = [str(src / z / str(w) / "platform_export.csv") for z, w in zone_waves]
    start = time.perf_counter()
    with duckdb.connect(str(home_dir / "floor.duckdb")) as con:
        con.execute("create table t as select * from read_csv($1, all_varchar = true)", [csvs])
        floor_rows = con.execute("select count(*) from t").fetchone()[0]
    floor = time.perf_counter() - start

    start = time.perf_counter()
    parsed = [(parse_delivery(pipeline.select_landing(home, z, w)), z, w) for z, w in zone_waves]
    land_parse = time.perf_counter() - start

    cpu, start = time.process_time(), time.perf_counter()
    if mode == "batch":
        gates = pipeline.judge_deliveries(home, parsed)
    else:
        gates = [pipeline.judge_delivery(home, p, z, w) for p, z, w in parsed]
    gate, gate_cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "mode": mode,
        "zone_waves": len(zone_waves),
        "rows": sum(g.rows_read for g in gates),
        "rejected": sum(g.rows_rejected for g in gates),
        "passed": sum(g.passed for g in gates),
        "import_pipeline_s": round(imports, 2),
        "import_gx_s": round(gx_import, 2),
        "floor_csv_s": round(floor, 2),
        "floor_rows": floor_rows,
        "land_parse_s": round(land_parse, 2),
        "gate_s": round(gate, 2),
        "gate_cpu_s": round(gate_cpu, 2),
        "loadavg": os.getloadavg(),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])))
