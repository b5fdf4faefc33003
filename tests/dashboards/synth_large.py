"""A large synthetic analytics DB for measuring the site: the fixture's marts spread over
many zones and waves, in DuckDB SQL.

Each synthetic zone copies a source zone of the fixture (round robin), each extra wave
copies a fixture wave; counts are rescaled per zone-wave and jittered per cell so the
data is not a byte-for-byte repeat (which would flatter any compression). Estimates,
Wilson intervals, suppression and the pooled `ALL` rows are then recomputed with the
marts' own rules, so the DB looks like a published one to the site builder.

    python tests/dashboards/synth_large.py SRC.duckdb DST.duckdb --zones 50 --waves 6
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from orchestration.dbt_vars import pooled_zone_id, wilson_z
from orchestration.disclosure import disclosure_thresholds, primary_rule

# The marts' own constants (dbt_project.yml vars), never typed again here.
Z = wilson_z()
THRESHOLDS = disclosure_thresholds()
POOLED = pooled_zone_id()


def _wilson(p: str, n: str, sign: str) -> str:
    bound = (
        f"(({p}) + {Z * Z} / (2.0 * {n}) {sign} {Z} * sqrt(({p}) * (1.0 - ({p})) / {n}"
        f" + {Z * Z} / (4.0 * {n} * {n}))) / (1.0 + {Z * Z} / {n})"
    )
    clip = "greatest(0.0, " if sign == "-" else "least(1.0, "
    return f"case when {n} > 0 then round({clip}{bound}), 6) end"


def _maps(con: duckdb.DuckDBPyConnection, zones: int, waves: int) -> None:
    """zone_map(zone_id, src_zone, scale) and wave_map(wave_id, src_wave)."""
    con.execute(f"""
        create temp table zone_map as
        with src as (
            select zone_id, row_number() over (order by zone_id) - 1 as k
            from (select distinct zone_id from src.marts.fct_indicator_estimates
                  where zone_id <> '{POOLED}')
        ),
        ids as (
            select i, case when i <= (select count(*) from src.marts.dim_zone
                                      where has_reference)
                      then null else printf('Z%02d-01', i) end as zone_id
            from range(1, {zones} + 1) t(i)
        ),
        ref as (
            select zone_id, row_number() over (order by zone_id) as i
            from src.marts.dim_zone where has_reference
        )
        select coalesce(ids.zone_id, ref.zone_id) as zone_id,
               (select zone_id from src where k = (ids.i - 1) % (select count(*) from src))
                   as src_zone,
               0.6 + 1.2 * ((hash(ids.i) % 1000) / 1000.0) as scale
        from ids left join ref on ref.i = ids.i
    """)
    con.execute(f"""
        create temp table wave_map as
        with src as (
            select wave_id, row_number() over (order by wave_id) - 1 as k
            from src.marts.dim_wave
        )
        select (select min(wave_id) from src) + i as wave_id,
               (select wave_id from src where k = i % (select count(*) from src)) as src_wave
        from range(0, {waves}) t(i)
    """)


def _estimates(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
        create table marts.fct_indicator_estimates as
        with cells as (
            select w.wave_id, z.zone_id, e.domain, e.domain_type, e.indicator_id,
                   greatest(1, round(e.n_base * z.scale))::bigint as n_base,
                   e.n_base as src_base, e.estimate as src_p,
                   (hash(z.zone_id, w.wave_id, e.domain, e.indicator_id) % 1000) / 1000.0 as u
            from src.marts.fct_indicator_estimates e
            join zone_map z on z.src_zone = e.zone_id
            join wave_map w on w.src_wave = e.wave_id
        ),
        counted as (
            select * exclude (src_base, src_p, u),
                   least(n_base, greatest(0, round(n_base * least(1.0, greatest(0.0,
                       coalesce(src_p, 0.5) + (u - 0.5) * 0.2)))))::bigint as n_yes
            from cells
        ),
        pooled as (
            select wave_id, '{POOLED}' as zone_id, domain, domain_type, indicator_id,
                   sum(n_base)::bigint as n_base, sum(n_yes)::bigint as n_yes
            from counted group by all
        ),
        props as (
            select *, n_yes * 1.0 / n_base as p from (
                select * from counted union all select * from pooled)
        )
        select wave_id, zone_id, domain, domain_type, indicator_id, n_base,
               case when not sup then n_yes end as n_yes,
               case when not sup then round(p, 6) end as estimate,
               case when not sup then {_wilson("p", "n_base", "-")} end as ci_low,
               case when not sup then {_wilson("p", "n_base", "+")} end as ci_high,
               sup as suppressed
        from (select *, {primary_rule("n_base", "n_yes", THRESHOLDS)} as sup from props)
    """)


def _copies(con: duckdb.DuckDBPyConnection) -> None:
    """Tables copied per zone and wave (no recomputation needed for the site)."""
    con.execute("""
        create table marts.fct_enterprise_wave as
        select e.* replace (w.wave_id as wave_id, z.zone_id as zone_id,
                            e.enterprise_key || '-' || z.zone_id as enterprise_key)
        from src.marts.fct_enterprise_wave e
        join zone_map z on z.src_zone = e.zone_id
        join wave_map w on w.src_wave = e.wave_id
    """)
    con.execute(f"""
        create table marts.fct_maturity_transitions as
        select t.* replace (coalesce(z.zone_id, '{POOLED}') as zone_id,
                            w.wave_id as wave_from, w.wave_id + 1 as wave_to)
        from src.marts.fct_maturity_transitions t
        left join zone_map z on z.src_zone = t.zone_id
        join wave_map w on w.src_wave = t.wave_from
        where (z.zone_id is not null or t.zone_id = '{POOLED}')
          and w.wave_id + 1 <= (select max(wave_id) from wave_map)
    """)
    for table in ("fct_delivery_quality", "fct_rejected_rules"):
        con.execute(f"""
            create table marts.{table} as
            select q.* replace (z.zone_id as zone_id, w.wave_id as wave_id,
                                z.zone_id || '-' || w.wave_id || '-a' as delivery_id)
            from src.marts.{table} q
            join zone_map z on z.src_zone = q.zone_id
            join wave_map w on w.src_wave = q.wave_id
        """)


def _dimensions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table marts.dim_indicator as select * from src.marts.dim_indicator")
    con.execute(
        "create table marts.dim_reference_benchmark as "
        "select * from src.marts.dim_reference_benchmark"
    )
    con.execute("""
        create table marts.dim_wave as
        select w.wave_id, d.instrument_version,
               d.is_first_wave_of_version and w.wave_id = d.wave_id as is_first_wave_of_version,
               d.n_responses, d.n_enterprises, d.n_zones
        from wave_map w join src.marts.dim_wave d
            on d.wave_id = (select max(wave_id) from src.marts.dim_wave where wave_id <= w.wave_id)
    """)
    con.execute("""
        create table marts.dim_zone as
        select coalesce(d.zone_id, z.zone_id) as zone_id, d.* exclude (zone_id)
        from zone_map z left join src.marts.dim_zone d on d.zone_id = z.zone_id
    """)


def synthesize(src: Path, dst: Path, zones: int = 50, waves: int = 6) -> Path:
    """Write `dst` (replaced) from the published fixture `src`."""
    dst.unlink(missing_ok=True)
    with duckdb.connect(str(dst)) as con:
        con.execute(f"attach '{src}' as src (read_only)")
        con.execute("create schema marts")
        _maps(con, zones, waves)
        _estimates(con)
        _copies(con)
        _dimensions(con)
    return dst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--zones", type=int, default=50)
    parser.add_argument("--waves", type=int, default=6)
    args = parser.parse_args()
    print(synthesize(args.src, args.dst, args.zones, args.waves))


if __name__ == "__main__":
    main()
