"""The data-quality page: rows read, accepted and quarantined per delivery, failing
rows per rule and the response-mode mix; a note stands in for a mart not yet published."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from dashboards import figures as fg
from dashboards.catalog import POOLED_ZONE, UI
from dashboards.data import MartData
from dashboards.labels import Labels
from dashboards.pages import Page, panel
from dashboards.selectors import lang_selector, zone_selector

QUALITY_COLUMNS = {
    "fct_delivery_quality": {"delivery_id", "zone_id", "wave_id", "status", "received_at"}
    | {"rows_read", "rows_accepted", "rows_rejected", "n_electronic", "n_paper"},
    "fct_rejected_rules": {"zone_id", "wave_id", "delivery_id", "rule_id", "n_rows"},
}


def _usable(frame: pd.DataFrame | None, table: str) -> pd.DataFrame | None:
    if frame is None or not QUALITY_COLUMNS[table] <= set(frame.columns):
        return None
    return frame


def _escaped(values: pd.Series) -> list[str]:
    return [html.escape(str(v)) for v in values.fillna("")]


def quality_chunk(quality: pd.DataFrame | None, rules: pd.DataFrame | None) -> Any:
    """Deliveries and failing rows per rule as columns (text from data HTML-escaped)."""
    out: dict[str, Any] = {}
    if quality is not None:
        q = quality.sort_values(["wave_id", "zone_id", "received_at"])
        out["deliveries"] = {
            # Axis labels stay short (zone, wave, 8 hex digits of the 64-hex delivery id
            # identify one in a zone-wave); the status is in the hover.
            "label": [
                f"{z} {w} {d[:8]}"
                for w, z, d in zip(
                    q["wave_id"], _escaped(q["zone_id"]), _escaped(q["delivery_id"]), strict=True
                )
            ],
            "status": _escaped(q["status"]),
            "zone": _escaped(q["zone_id"]),
            "wave": q["wave_id"].astype(int).tolist(),
            "loaded": (q["status"] == "loaded").tolist(),
            **{
                c: q[c].fillna(0).astype(int).tolist()
                for c in ("rows_read", "rows_accepted", "rows_rejected", "n_electronic", "n_paper")
            },
        }
    if rules is not None:
        # A rule's meaning as the mart records it: the columns its failing rows failed on.
        named = rules if "column_name" in rules.columns else rules.assign(column_name=None)
        columns = (
            named.dropna(subset=["column_name"])
            .groupby("rule_id")["column_name"]
            .agg(lambda c: ", ".join(sorted({str(v) for v in c})))
        )
        out["rule_columns"] = {html.escape(str(k)): html.escape(v) for k, v in columns.items()}
        out["rules"] = {
            "zone": _escaped(rules["zone_id"]),
            "wave": rules["wave_id"].astype(int).tolist(),
            "rule": _escaped(rules["rule_id"]),
            "n": rules["n_rows"].fillna(0).astype(int).tolist(),
        }
    return out


def quality_page(marts: MartData, labels: Labels) -> Page:
    zone = zone_selector(marts, labels, POOLED_ZONE)
    quality = _usable(marts.delivery_quality, "fct_delivery_quality")
    rules = _usable(marts.rejected_rules, "fct_rejected_rules")
    notes = [
        fg.fmt(UI["no_table"], table=f"marts.{table}")
        for table, frame in (("fct_delivery_quality", quality), ("fct_rejected_rules", rules))
        if frame is None
    ]
    rows = {
        "rows_read": (UI["rows_read"], fg.OKABE_ITO[0]),
        "rows_accepted": (UI["rows_accepted"], fg.OKABE_ITO[2]),
        "rows_rejected": (UI["rows_rejected"], fg.OKABE_ITO[5]),
    }
    modes = {m: (labels.modes[m], fg.OKABE_ITO[k]) for k, m in enumerate(("electronic", "paper"))}
    panels = [
        # Full width: a release has ~50 deliveries, each labelled upright under its bars.
        panel("deliveries", "quality", fg.deliveries_template(UI["deliveries"], rows))
        | {"wide": True},
        panel(
            "rules",
            "quality",
            fg.quality_template(
                UI["rejected_by_rule"],
                {},
                True,
                UI["no_data" if rules is None else "no_rejections"],
            )
            | {"rule_name": fg.t(UI["rule_legend"])},
        ),
        panel("modes", "quality", fg.quality_template(UI["mode_mix"], modes, True)),
    ]
    return Page(
        "quality",
        [zone, lang_selector()],
        panels,
        {},
        {"quality": quality_chunk(quality, rules)},
        notes,
    )
