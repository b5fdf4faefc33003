"""The codebook's lookup seeds: items, options, crosswalk, size-class thresholds and
classes, instruments, sections (`cb_*.csv`)."""

from __future__ import annotations

from typing import Any

from orchestration.codebook import Codebook
from orchestration.codebook.generation import csv_text, version_waves

# Size-class measures of the MIIT standard -> the codebook items that carry them.
MEASURE_ITEMS = {"employees": "A8_employees", "revenue": "A9_revenue", "assets": "A10_assets"}


def crosswalk_rows(cb: Codebook) -> list[list[Any]]:
    """(version, source item, source code, target item, target code, comparability, notes)."""
    rows: list[list[Any]] = []
    for src in cb.items:
        cw = src.crosswalk
        if cw is None:
            continue
        target = cb.item(cw.target)
        target_codes = {o.code for o in target.options_for(cb.versions[0])}
        for v in src.versions:
            if not cw.maps(v, cb.versions[0]):
                continue
            for o in src.options_for(v):
                mapped = cw.mapping.get(o.code, o.code if o.code in target_codes else None)
                if mapped is None:
                    continue
                rows.append(
                    [v, src.id, o.code, target.id, mapped, cw.comparability, cw.note_en, cw.note_zh]
                )
    return rows


def codebook_tables(cb: Codebook) -> dict[str, str]:
    waves = version_waves(cb)
    items = []
    for order, it in enumerate(cb.items, start=1):
        first = min(waves[v][0] for v in it.versions)
        last = None if cb.versions[-1] in it.versions else waves[it.versions[-1]][1]
        items.append(
            [it.id, order, it.section, it.type, it.zh, it.en, it.restricted, first, last, it.unit]
        )
    options = [
        [it.id, o.code, v, n, o.zh, o.en, o.extra.get("min"), o.extra.get("max")]
        for it in cb.items
        for v in it.versions
        for n, o in enumerate(it.options_for(v), start=1)
    ]
    crosswalk = crosswalk_rows(cb)
    ranks = {c: r for r, c in enumerate(cb.size_class_order, start=1)}
    thresholds = [
        [g.group, lo, hi, cls, ranks[cls], measure, MEASURE_ITEMS[measure], bound]
        for g in cb.size_class_groups
        for lo, hi in g.divisions
        for cls, bounds in g.bounds.items()
        for measure, bound in bounds.items()
    ]
    size_classes = [
        [c, ranks[c], cb.size_class_labels[c]["zh"], cb.size_class_labels[c]["en"]]
        for c in cb.size_class_order
    ]
    instruments = [[v, waves[v][0], waves[v][1]] for v in cb.versions]
    sections = [[k, s["zh"], s["en"]] for k, s in cb.sections.items()]
    return {
        "cb_items.csv": csv_text(
            [
                "item_id",
                "sort_order",
                "section",
                "item_type",
                "label_zh",
                "label_en",
                "restricted",
                "first_wave",
                "last_wave",
                "unit",
            ],
            items,
        ),
        "cb_options.csv": csv_text(
            [
                "item_id",
                "option_code",
                "instrument_version",
                "sort_order",
                "label_zh",
                "label_en",
                "band_min",
                "band_max",
            ],
            options,
        ),
        "cb_crosswalk.csv": csv_text(
            [
                "instrument_version",
                "source_item",
                "source_code",
                "target_item",
                "target_code",
                "comparability",
                "note_en",
                "note_zh",
            ],
            crosswalk,
        ),
        "cb_size_class_thresholds.csv": csv_text(
            [
                "size_group",
                "division_from",
                "division_to",
                "size_class",
                "class_rank",
                "measure",
                "item_id",
                "lower_bound",
            ],
            thresholds,
        ),
        "cb_size_classes.csv": csv_text(
            ["size_class", "class_rank", "label_zh", "label_en"], size_classes
        ),
        "cb_instruments.csv": csv_text(
            ["instrument_version", "first_wave", "last_wave"], instruments
        ),
        "cb_sections.csv": csv_text(["section", "label_zh", "label_en"], sections),
    }
