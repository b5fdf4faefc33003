"""The rows the quality gate rejected, for the survey team (`smesurvey rejected ZONE WAVE`).

The gate keeps one line per broken rule and row in `raw.rejected_rows` of the build
DB (restricted storage: values are shown as delivered). This module reads them for
one delivery of a zone-wave; it imports neither Dagster nor Great Expectations.
"""

from __future__ import annotations

import codecs
import csv
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

COLUMNS = ("source_file", "source_row", "column_name", "value", "rule_id", "reason")
# What the Dagster UI shows of a zone-wave's rejected rows (the quality_gate check's
# metadata); every row is one command away: `smesurvey rejected ZONE WAVE --csv FILE`.
ROWS_SHOWN_IN_UI = 20
CELL_CHARS = 60
RESTRICTED_VALUE = "(restricted)"


def _markdown_cell(value: object) -> str:
    text = " ".join(str("" if value is None else value).split())
    if len(text) > CELL_CHARS:
        text = text[: CELL_CHARS - 1] + "…"
    # a value is whatever a respondent typed: no markup, no table breaks
    return html.escape(text).replace("|", "&#124;").replace("`", "&#96;")


def rejected_rows_markdown(
    rows: Iterable[Mapping[str, object]], restricted: frozenset[str], total: int
) -> str:
    """The first rejected rows as a Markdown table (file, row, column, value, rule,
    reason); values of restricted columns (USCC, names, contacts) are never shown."""
    header = ("file", "row", "column", "value", "rule", "reason")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    shown = 0
    for row in rows:
        if shown == ROWS_SHOWN_IN_UI:
            break
        value = RESTRICTED_VALUE if row["column_name"] in restricted else row["value"]
        cells = [row[c] if c != "value" else value for c in COLUMNS]
        lines.append("| " + " | ".join(_markdown_cell(c) for c in cells) + " |")
        shown += 1
    if total > shown:
        lines.append(f"\n{shown} of {total} lines shown.")
    return "\n".join(lines)


class RejectionsError(RuntimeError):
    """No delivery to report on, or the build DB cannot be read now."""


@dataclass(frozen=True)
class RuleSummary:
    rule_id: str
    column_name: str
    rows: int
    top_value: str | None
    top_count: int


@dataclass(frozen=True)
class Rejections:
    zone_id: str
    wave_id: int
    delivery_id: str
    status: str
    received_at: str
    rows_read: int
    rows_broken: int
    message: str | None
    by_rule: list[RuleSummary]
    rows: list[tuple]

    @property
    def headline(self) -> str:
        findings = sum(rule.rows for rule in self.by_rule)
        return (
            f"{self.zone_id}/{self.wave_id} delivery {self.delivery_id} ({self.status}, received "
            f"{self.received_at}): {self.rows_read} rows read, {self.rows_broken} broke a rule "
            f"({findings} findings)"
        )


def _delivery(
    con: duckdb.DuckDBPyConnection, zone_id: str, wave_id: int, delivery_id: str | None
) -> tuple:
    rows = con.execute(
        """
        select delivery_id, status, strftime(received_at, '%Y-%m-%d %H:%M'),
               coalesce(rows_read, 0), message
        from raw.deliveries
        where zone_id = $zone and wave_id = $wave
            and ($delivery is null or delivery_id = $delivery)
        order by received_at desc
        limit 1
        """,
        {"zone": zone_id, "wave": wave_id, "delivery": delivery_id},
    ).fetchall()
    if not rows:
        which = f"delivery {delivery_id}" if delivery_id else "no delivery"
        raise RejectionsError(
            f"{zone_id}/{wave_id}: {which} recorded"
            + (" for this zone-wave" if delivery_id else "; see `smesurvey status`")
        )
    return rows[0]


def read_rejections(
    build_db: Path, zone_id: str, wave_id: int, delivery_id: str | None = None
) -> Rejections:
    """The newest delivery of the zone-wave (or `delivery_id`) and its rejected rows."""
    if not build_db.is_file():
        raise RejectionsError(f"{build_db}: no build DB yet (nothing was ingested)")
    try:
        con = duckdb.connect(str(build_db), read_only=True)
    except duckdb.IOException as exc:
        raise RejectionsError(
            f"{build_db}: busy (a run is writing it); try again when it is done"
        ) from exc
    with con:
        delivery, status, received_at, rows_read, message = _delivery(
            con, zone_id, wave_id, delivery_id
        )
        where = {"delivery": delivery}
        by_rule = con.execute(
            """
            with counted as (
                select rule_id, column_name, value, count(*) as n
                from raw.rejected_rows
                where delivery_id = $delivery
                group by all
            )
            select rule_id, column_name, sum(n)::bigint as rows,
                arg_max(value, n) as top_value, max(n)::bigint as top_count
            from counted
            group by rule_id, column_name
            order by rows desc, rule_id, column_name
            """,
            where,
        ).fetchall()
        broken = con.execute(
            "select count(distinct (source_file, source_row)) from raw.rejected_rows "
            "where delivery_id = $delivery",
            where,
        ).fetchone()[0]
        rows = con.execute(
            f"select {', '.join(COLUMNS)} from raw.rejected_rows where delivery_id = $delivery "
            "order by source_file, source_row, column_name, rule_id",
            where,
        ).fetchall()
    return Rejections(
        zone_id=zone_id,
        wave_id=wave_id,
        delivery_id=delivery,
        status=status,
        received_at=received_at,
        rows_read=rows_read,
        rows_broken=broken,
        message=message,
        by_rule=[RuleSummary(*rule) for rule in by_rule],
        rows=rows,
    )


def write_csv(rejections: Rejections, path: Path) -> Path:
    """All rejected rows as CSV, UTF-8 with a BOM so that Excel shows Chinese values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(codecs.BOM_UTF8.decode("utf-8"))
        writer = csv.writer(out)
        writer.writerow(["zone_id", "wave_id", "delivery_id", *COLUMNS])
        for row in rejections.rows:
            writer.writerow([rejections.zone_id, rejections.wave_id, rejections.delivery_id, *row])
    return path
