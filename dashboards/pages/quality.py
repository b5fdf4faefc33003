"""The data-quality page: rows read, accepted and quarantined per delivery, failing
rows per rule and the response-mode mix; a note stands in for a mart not yet published."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from dashboards import figures as fg
from dashboards.catalog import UI
from dashboards.data import PublicData
from dashboards.labels import Labels
from dashboards.pages import Page, panel
from dashboards.selectors import lang_selector, zone_selector

ROW_COUNTS = ("rows_read", "rows_accepted", "rows_rejected", "n_electronic", "n_paper")
QUALITY_COLUMNS = {
    "public_delivery_quality": {"delivery_label", "zone_id", "wave_id", "status", "received_date"}
    | {f"{c}_rounded" for c in ROW_COUNTS},
    "public_rejected_rules": {"zone_id", "wave_id", "rule_id", "rule_columns", "n_rows_rounded"},
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
        q = quality.sort_values(["wave_id", "zone_id", "received_date", "delivery_label"])
        out["deliveries"] = {
            # Axis labels stay short (zone, wave, the delivery's 8-character label); the
            # status is in the hover.
            "label": [
                f"{z} {w} {d}"
                for w, z, d in zip(
                    q["wave_id"], _escaped(q["zone_id"]), _escaped(q["delivery_label"]), strict=True
                )
            ],
            "status": _escaped(q["status"]),
            "zone": _escaped(q["zone_id"]),
            "wave": q["wave_id"].astype(int).tolist(),
            "loaded": (q["status"] == "loaded").tolist(),
            **{c: q[f"{c}_rounded"].fillna(0).astype(int).tolist() for c in ROW_COUNTS},
        }
    if rules is not None:
        # A rule's meaning as the release records it: the columns its failing rows failed on.
        columns = (
            rules.dropna(subset=["rule_columns"])
            .groupby("rule_id")["rule_columns"]
            .agg(lambda c: ", ".join(sorted({x for v in c for x in str(v).split(", ")})))
        )
        out["rule_columns"] = {html.escape(str(k)): html.escape(v) for k, v in columns.items()}
        out["rules"] = {
            "zone": _escaped(rules["zone_id"]),
            "wave": rules["wave_id"].astype(int).tolist(),
            "rule": _escaped(rules["rule_id"]),
            "n": rules["n_rows_rounded"].fillna(0).astype(int).tolist(),
        }
    return out


def quality_page(data: PublicData, labels: Labels) -> Page:
    zone = zone_selector(data, labels, data.pooled_zone)
    quality = _usable(data.delivery_quality, "public_delivery_quality")
    rules = _usable(data.rejected_rules, "public_rejected_rules")
    notes = [
        fg.fmt(UI["no_table"], table=f"public/{table}")
        for table, frame in (("public_delivery_quality", quality), ("public_rejected_rules", rules))
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
