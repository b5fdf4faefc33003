"""Codebook-derived dbt seeds: `python -m orchestration.codebook.seeds`.

Writes lookup CSVs (items, options, crosswalk, size-class thresholds), the
indicator catalog and the scoring rules into `dbt_project/seeds/`, and the
generated macros in `dbt_project/macros/generated/` (the canonical column list and
the indicator catalog: dbt needs them at compile time, before any table exists).
Inputs: the codebook and the two definition files in `dbt_project/definitions/`.
The seeds are committed and a test checks they are up to date, so run this after
editing any of the inputs. The macros are build output (`--macros`, run by
`make install`), so a questionnaire change commits data files only.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from orchestration.codebook import Codebook, Item, load_codebook
from orchestration.settings import DBT_PROJECT_DIR

DEFINITIONS_DIR = DBT_PROJECT_DIR / "definitions"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
MACRO_PATH = DBT_PROJECT_DIR / "macros" / "generated" / "codebook_columns.sql"
CATALOG_MACRO_PATH = DBT_PROJECT_DIR / "macros" / "generated" / "indicator_catalog.sql"

# Size-class measures of the MIIT standard -> the codebook items that carry them.
MEASURE_ITEMS = {"employees": "A8_employees", "revenue": "A9_revenue", "assets": "A10_assets"}
COMPARABILITY_RANK = {"exact": 0, "approximate": 1, "none": 2}
SQL_TYPES = {"int": "bigint", "num": "double", "multi": "boolean"}
# Derived pseudo-items -> the int_responses_classified column that carries them and
# whether it is a boolean (yes = true, no = false) or holds the option code itself.
DERIVED_COLUMNS = {
    "X_employees_lt50": ("employees_lt50", True),
    "X_revenue_lt20m": ("revenue_lt20m", True),
    "X_industry_group": ("industry_group", False),
    "X_size_class": ("size_class", False),
}


class DefinitionError(ValueError):
    """A definition file refers to something the codebook does not know."""


@dataclass(frozen=True)
class Term:
    item: str
    code: str


@dataclass(frozen=True)
class Availability:
    """Whether a rule can be evaluated in one instrument version, and how comparably."""

    available: bool
    comparability: str = "exact"
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- helpers


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path}: cannot read definitions ({exc})") from exc


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def _version_waves(cb: Codebook) -> dict[str, tuple[int, int | None]]:
    return {v: (spec["first_wave"], spec.get("last_wave")) for v, spec in cb.instruments.items()}


# --------------------------------------------------------------------------- derived items


def _derived_options(
    cb: Codebook, spec: dict[str, Any], groups: list[dict[str, Any]]
) -> list[tuple[str, str, str]]:
    """(code, zh, en) of a derived pseudo-item's options."""
    kind = spec["options"]
    if kind == "yes_no":
        yes_no = cb.item("B1_large_data_online").options  # the shared yes/no option set
        return [(o.code, o.zh, o.en) for o in yes_no]
    if kind == "size_classes":
        return [
            (c, cb.size_class_labels[c]["zh"], cb.size_class_labels[c]["en"])
            for c in cb.size_class_order
        ]
    if kind == "industry_groups":
        return [(g["group"], *_group_labels(cb, g)) for g in groups]
    raise DefinitionError(f"indicators.yaml: unknown derived option set {kind!r}")


def _group_labels(cb: Codebook, group: dict[str, Any]) -> tuple[str, str]:
    if "zh_from_section" in group:
        option = cb.item("A5_industry_section").option(group["zh_from_section"])
        return option.zh, group.get("en", option.en)
    if "zh_from_size_group" in group:
        size_group = next(g for g in cb.size_class_groups if g.group == group["zh_from_size_group"])
        return size_group.zh, group["en"]
    return group["zh"], group["en"]


# --------------------------------------------------------------------------- availability


def _term_availability(
    cb: Codebook, derived: dict[str, Any], term: Term, version: str
) -> Availability:
    if term.item in derived:
        return Availability(True)
    item = cb.item(term.item)
    base = cb.versions[0]
    own = item.crosswalk if item.crosswalk and item.crosswalk.target == item.id else None
    if item.in_version(version) and term.code in {o.code for o in item.options_for(version)}:
        if own and own.maps(version, base):
            return Availability(True, own.comparability, (own.note_en,))
        return Availability(True)
    # reachable through a crosswalk from an item of this version?
    for source in cb.items_for(version):
        cw = source.crosswalk
        if cw is None or cw.target != item.id or not cw.maps(version, base):
            continue
        codes = {o.code for o in source.options_for(version)}
        if any(cw.map_code(c) == term.code for c in codes):
            return Availability(True, cw.comparability, (cw.note_en,))
    return Availability(False)


def _rule_availability(
    cb: Codebook, derived: dict[str, Any], terms: Sequence[Term], version: str
) -> Availability:
    parts = [_term_availability(cb, derived, t, version) for t in terms]
    if not all(p.available for p in parts):
        return Availability(False)
    worst = max(
        (p.comparability for p in parts), key=COMPARABILITY_RANK.__getitem__, default="exact"
    )
    notes = tuple(dict.fromkeys(n for p in parts for n in p.notes))
    return Availability(True, worst, notes)


def _breaks(
    versions: Sequence[str], per_version: dict[str, Availability]
) -> list[tuple[str, Availability]]:
    """The versions at which an indicator's series breaks: where its answers start to come
    through a crosswalk that is not exact, or through another one than in the version
    before. A version asked the same way as the one before it continues the series."""
    out = []
    for before, version in itertools.pairwise(versions):
        now, then = per_version[version], per_version[before]
        if now.comparability != "exact" and (now.comparability, now.notes) != (
            then.comparability,
            then.notes,
        ):
            out.append((version, now))
    return out


# --------------------------------------------------------------------------- indicators


def _terms(spec: dict[str, list[Any]]) -> list[Term]:
    return [Term(item, str(code)) for item, codes in spec.items() for code in codes]


def _check_terms(cb: Codebook, derived: dict[str, list[str]], terms: Sequence[Term], where: str):
    for t in terms:
        if t.item in derived:
            known = derived[t.item]
        else:
            try:
                known = [o.code for o in cb.item(t.item).options]
            except KeyError as exc:
                raise DefinitionError(f"indicators.yaml: {where}: unknown item {t.item}") from exc
        if t.code not in known:
            raise DefinitionError(f"indicators.yaml: {where}: {t.item} has no code {t.code!r}")


def _label(cb: Codebook, derived: dict[str, Any], spec: dict[str, Any], terms: Sequence[Term]):
    if "zh" in spec and "en" in spec:
        return spec["zh"], spec["en"]
    if len(terms) != 1 or spec.get("match", "any") != "any":
        raise DefinitionError(f"indicators.yaml: {spec['id']}: a composite rule needs zh and en")
    (t,) = terms
    if t.item in derived:
        d = derived[t.item]
        option = next(o for o in d["option_rows"] if o[0] == t.code)
        if t.code == "yes":
            return d["zh"], d["en"]
        return f"{d['zh']}：{option[1]}", f"{d['en']}: {option[2]}"
    item = cb.item(t.item)
    option = item.option(t.code)
    if t.code == "yes":
        return item.zh, item.en
    return f"{item.zh}：{option.zh}", f"{item.en}: {option.en}"


def _section(cb: Codebook, derived: dict[str, Any], terms: Sequence[Term]) -> str:
    first = terms[0].item
    return derived[first]["section"] if first in derived else cb.item(first).section


def _rule_text(terms: Sequence[Term], match: str) -> str:
    by_item: dict[str, list[str]] = {}
    for t in terms:
        by_item.setdefault(t.item, []).append(t.code)
    pairs = " or ".join(f"{item} in ({', '.join(codes)})" for item, codes in by_item.items())
    return f"none of: {pairs}" if match == "none" else pairs


def indicator_tables(cb: Codebook, defs: dict[str, Any]) -> dict[str, str]:
    """indicators.csv, indicator_terms.csv, indicator_breaks.csv, industry_groups.csv,
    report_thresholds.csv, derived_items.csv."""
    groups = defs["industry_groups"]
    derived = {
        name: {**spec, "option_rows": _derived_options(cb, spec, groups)}
        for name, spec in defs["derived_items"].items()
    }
    derived_codes = {name: [o[0] for o in d["option_rows"]] for name, d in derived.items()}
    populations = defs.get("populations", {})
    waves = _version_waves(cb)

    ind_rows: list[list[Any]] = []
    term_rows: list[list[Any]] = []
    break_rows: list[list[Any]] = []
    seen: set[str] = set()
    for order, spec in enumerate(defs["indicators"], start=1):
        iid = spec["id"]
        if iid in seen:
            raise DefinitionError(f"indicators.yaml: duplicate indicator id {iid}")
        seen.add(iid)
        match = spec.get("match", "any")
        if match not in {"any", "none"}:
            raise DefinitionError(f"indicators.yaml: {iid}: match must be any or none")
        not_asked = spec.get("not_asked", "outside")
        if not_asked not in {"outside", "no"}:
            raise DefinitionError(f"indicators.yaml: {iid}: not_asked must be outside or no")
        num = _terms(spec["num"])
        base_spec = spec.get("base", "all")
        if isinstance(base_spec, str) and base_spec != "all":
            if base_spec not in populations:
                raise DefinitionError(f"indicators.yaml: {iid}: unknown population {base_spec}")
            base_name, base = base_spec, _terms(populations[base_spec])
        elif isinstance(base_spec, dict):
            base = _terms(base_spec)
            base_name = _rule_text(base, "any")
        else:
            base_name, base = "all", []
        _check_terms(cb, derived_codes, [*num, *base], iid)

        per_version = {v: _rule_availability(cb, derived, [*num, *base], v) for v in cb.versions}
        available = [v for v in cb.versions if per_version[v].available]
        if not available:
            raise DefinitionError(f"indicators.yaml: {iid}: no instrument version has its items")
        later = [per_version[v] for v in available[1:]]
        comparability = max(
            (a.comparability for a in later), key=COMPARABILITY_RANK.__getitem__, default="exact"
        )
        notes = list(dict.fromkeys(n for a in later for n in a.notes))
        if available[0] != cb.versions[0]:
            notes.insert(0, f"Item exists from instrument {available[0]} only.")
        last = available[-1]
        last_wave = waves[last][1] if last != cb.versions[-1] else None
        label_zh, label_en = _label(cb, derived, spec, num)
        ind_rows.append(
            [
                iid,
                label_zh,
                label_en,
                _section(cb, derived, num),
                base_name,
                "any" if base else "all",
                _rule_text(num, match),
                match,
                waves[available[0]][0],
                last_wave,
                " ".join(available),
                comparability,
                " ".join(notes),
                order,
                not_asked,
            ]
        )
        break_rows += [
            [iid, waves[v][0], v, a.comparability, " ".join(a.notes)]
            for v, a in _breaks(available, per_version)
        ]
        term_rows += [[iid, "numerator", t.item, t.code] for t in num]
        term_rows += [[iid, "base", t.item, t.code] for t in base]

    group_rows: list[list[Any]] = []
    for priority, g in enumerate(groups, start=1):
        zh, en = _group_labels(cb, g)
        clauses: list[tuple[str | None, int | None, int | None]] = [
            (s, None, None) for s in g.get("sections", [])
        ] + [(None, a, b) for a, b in g.get("divisions", [])]
        for section, lo, hi in clauses or [(None, None, None)]:
            group_rows.append([g["group"], priority, zh, en, section, lo, hi])

    threshold_rows = [
        [name, t["item"], t.get("band_item"), t["lt"]]
        for name, t in defs["report_thresholds"].items()
    ]
    derived_rows = [
        [name, d["section"], d["zh"], d["en"], order, code, zh, en, d["source"]]
        for name, d in derived.items()
        for order, (code, zh, en) in enumerate(d["option_rows"], start=1)
    ]
    return {
        "indicators.csv": _csv_text(
            [
                "indicator_id",
                "label_zh",
                "label_en",
                "section",
                "base_population",
                "base_match",
                "numerator_rule",
                "numerator_match",
                "first_wave",
                "last_wave",
                "instrument_versions",
                "comparability",
                "comparability_note",
                "sort_order",
                "not_asked",
            ],
            ind_rows,
        ),
        "indicator_terms.csv": _csv_text(
            ["indicator_id", "role", "item_id", "value_code"], term_rows
        ),
        "indicator_breaks.csv": _csv_text(
            [
                "indicator_id",
                "wave_id",
                "instrument_version",
                "comparability",
                "comparability_note",
            ],
            break_rows,
        ),
        "industry_groups.csv": _csv_text(
            [
                "industry_group",
                "priority",
                "label_zh",
                "label_en",
                "industry_section",
                "division_from",
                "division_to",
            ],
            group_rows,
        ),
        "report_thresholds.csv": _csv_text(
            ["derived_item", "item_id", "band_item_id", "upper_bound_exclusive"], threshold_rows
        ),
        "derived_items.csv": _csv_text(
            [
                "item_id",
                "section",
                "label_zh",
                "label_en",
                "sort_order",
                "option_code",
                "option_zh",
                "option_en",
                "derivation",
            ],
            derived_rows,
        ),
    }


# --------------------------------------------------------------------------- scoring


def scoring_tables(scoring: dict[str, Any], indicator_ids: set[str]) -> dict[str, str]:
    elements: list[list[Any]] = []
    for iid in scoring["dii"]["elements"]:
        elements.append(["dii", "dii", iid])
    for dim, ids in scoring["dma"]["dimensions"].items():
        elements += [["dma", dim, iid] for iid in ids]
    unknown = sorted({e[2] for e in elements} - indicator_ids)
    if unknown:
        raise DefinitionError(f"scoring.yaml: unknown indicators {', '.join(unknown)}")
    levels = [
        [measure, lv["level"], rank, lv["min"], lv["max"], lv["label_en"], lv["label_zh"]]
        for measure in ("dii", "dma")
        for rank, lv in enumerate(scoring[measure]["levels"], start=1)
    ]
    return {
        "scoring_elements.csv": _csv_text(["measure", "dimension", "indicator_id"], elements),
        "scoring_levels.csv": _csv_text(
            ["measure", "level", "level_rank", "min_score", "max_score", "label_en", "label_zh"],
            levels,
        ),
    }


# --------------------------------------------------------------------------- codebook lookups


def _crosswalk_rows(cb: Codebook) -> list[list[Any]]:
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
    waves = _version_waves(cb)
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
    crosswalk = _crosswalk_rows(cb)
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
        "cb_items.csv": _csv_text(
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
        "cb_options.csv": _csv_text(
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
        "cb_crosswalk.csv": _csv_text(
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
        "cb_size_class_thresholds.csv": _csv_text(
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
        "cb_size_classes.csv": _csv_text(
            ["size_class", "class_rank", "label_zh", "label_en"], size_classes
        ),
        "cb_instruments.csv": _csv_text(
            ["instrument_version", "first_wave", "last_wave"], instruments
        ),
        "cb_sections.csv": _csv_text(["section", "label_zh", "label_en"], sections),
    }


# --------------------------------------------------------------------------- generated macro


def _column_entry(cb: Codebook, item: Item, column: str, option: str | None) -> dict[str, Any]:
    return {
        "name": column,
        "item": item.id,
        "option": option,
        "type": item.type,
        "sql_type": SQL_TYPES.get(item.type, "varchar"),
        "restricted": item.restricted,
        "coded": item.is_choice or item.is_multi,
    }


def _jinja_literal(value: Any) -> str:
    """A Jinja literal (JSON, except that Jinja spells null `none`)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)}: {_jinja_literal(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_jinja_literal(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _jinja_list(entries: Sequence[dict[str, Any]]) -> str:
    return "[\n  " + ",\n  ".join(_jinja_literal(e) for e in entries) + "\n]"


def macro_text(cb: Codebook) -> str:
    """The canonical raw columns and the harmonized v2020 columns, as dbt macros."""
    columns: list[dict[str, Any]] = []
    seen: set[str] = set()
    for it in cb.items:
        pairs = (
            [(it.option_column(o.code), o.code) for o in it.options]
            if it.is_multi
            else [(it.id, None)]
        )
        for column, option in pairs:
            if column not in seen:
                seen.add(column)
                columns.append(_column_entry(cb, it, column, option))
    if [c["name"] for c in columns] != list(cb.all_columns()):
        raise DefinitionError("codebook: column order differs from Codebook.all_columns()")
    harmonized = []
    base = cb.versions[0]
    for src in cb.items:
        cw = src.crosswalk
        if cw is None or not src.is_choice:
            continue
        target = cb.item(cw.target)
        target_codes = {o.code for o in target.options_for(base)}
        mapped_versions = [v for v in src.versions if cw.maps(v, base)]
        mapping = {
            o.code: cw.mapping.get(o.code, o.code if o.code in target_codes else None)
            for v in mapped_versions
            for o in src.options_for(v)
        }
        if not target.is_choice:
            continue
        harmonized.append(
            {
                "column": f"{target.id}_{base}",
                "target": target.id,
                "source": src.id,
                "mapped_versions": mapped_versions,
                "approximate": cw.comparability != "exact",
                "mapping": [[k, v] for k, v in mapping.items() if v is not None],
            }
        )
    body_cols = _jinja_list(columns)
    body_harm = _jinja_list(harmonized)
    return (
        "{#- GENERATED by `python -m orchestration.codebook.seeds` from the codebook.\n"
        "    Do not edit: edit orchestration/codebook/codebook.yaml and regenerate. -#}\n\n"
        "{%- macro codebook_columns() -%}\n"
        "{#- Every canonical raw.responses item column, in codebook item order. -#}\n"
        f"{{{{ return({body_cols}) }}}}\n"
        "{%- endmacro -%}\n\n"
        "{%- macro codebook_harmonized_columns() -%}\n"
        "{#- v2020-comparable columns derived through the codebook crosswalks. -#}\n"
        f"{{{{ return({body_harm}) }}}}\n"
        "{%- endmacro -%}\n"
    )


# --------------------------------------------------------------------------- catalog macro


def _asked(cb: Codebook, item_id: str) -> dict[str, Any] | None:
    """When an item is put to a respondent: the instrument versions it exists in (none =
    all) and its skip rule (`if`: the condition item's column holds / does not hold
    `codes`), from the codebook. A response of such a version whose skip rule holds
    and whose column is NULL did not answer: item non-response. None: always asked."""
    item = cb.item(item_id)
    versions = None if set(item.versions) == set(cb.versions) else list(item.versions)
    rule = item.asked_if
    skip = (
        None
        if rule is None
        else {"column": rule.item, "codes": list(rule.codes), "negate": rule.negate}
    )
    if versions is None and skip is None:
        return None
    return {"versions": versions, "if": skip}


def _term_conditions(
    cb: Codebook, crosswalk: Sequence[Sequence[Any]], item_id: str, code: str
) -> list[dict[str, Any]]:
    """When a response "has" (item, code), as conditions on int_responses_classified columns.

    Each condition: `column`, one of `codes` (the column holds one of them), `flag`
    (a multi option's boolean column is true) or `is` (a derived boolean equals it),
    `version` (only responses of that instrument version; none = any), and `asked`
    (when the item is put to the respondent, see _asked; none = always).
    """
    if item_id in DERIVED_COLUMNS:
        column, boolean = DERIVED_COLUMNS[item_id]
        if boolean:
            return [{"column": column, "is": code == "yes", "version": None, "asked": None}]
        return [{"column": column, "codes": [code], "version": None, "asked": None}]
    item = cb.item(item_id)
    asked = _asked(cb, item.id)
    if item.is_multi:
        column = item.option_column(code)
        return [{"column": column, "flag": True, "version": None, "asked": asked}]
    out: list[dict[str, Any]] = [
        {"column": item.id, "codes": [code], "version": None, "asked": asked}
    ]
    for version, source, source_code, target, target_code, *_ in crosswalk:
        if target == item.id and target_code == code and (source, source_code) != (target, code):
            if cb.item(source).is_multi:
                raise DefinitionError(f"codebook: crosswalk from multi item {source} unsupported")
            out.append(
                {
                    "column": source,
                    "codes": [source_code],
                    "version": version,
                    "asked": _asked(cb, source),
                }
            )
    return out


def _merged(conditions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Code conditions on the same column and version merged into one `in (...)`."""
    out: list[dict[str, Any]] = []
    for cond in conditions:
        same = next(
            (
                c
                for c in out
                if "codes" in cond
                and "codes" in c
                and (c["column"], c["version"]) == (cond["column"], cond["version"])
            ),
            None,
        )
        if same is None:
            out.append({**cond, **({"codes": list(cond["codes"])} if "codes" in cond else {})})
        else:
            same["codes"] += [c for c in cond["codes"] if c not in same["codes"]]
    return out


def catalog_macro_text(cb: Codebook, files: dict[str, str]) -> str:
    """The indicator catalog and scoring rules as dbt macros, from the generated seeds.

    Models emit one boolean SQL expression per indicator from it (macros/indicators.sql),
    so no response x item or response x indicator table is ever needed.
    """
    indicators = list(csv.DictReader(io.StringIO(files["seeds/indicators.csv"])))
    terms = list(csv.DictReader(io.StringIO(files["seeds/indicator_terms.csv"])))
    elements = list(csv.DictReader(io.StringIO(files["seeds/scoring_elements.csv"])))
    crosswalk = _crosswalk_rows(cb)
    unknown = sorted(
        {t["item_id"] for t in terms if t["item_id"].startswith("X_")} - set(DERIVED_COLUMNS)
    )
    if unknown:
        raise DefinitionError(f"indicators.yaml: no column for derived items {unknown}")
    entries = []
    for ind in indicators:
        rules: dict[str, list[dict[str, Any]]] = {"base": [], "numerator": []}
        for t in terms:
            if t["indicator_id"] == ind["indicator_id"]:
                rules[t["role"]] += _term_conditions(cb, crosswalk, t["item_id"], t["value_code"])
        entries.append(
            {
                "id": ind["indicator_id"],
                "first_wave": int(ind["first_wave"]),
                "last_wave": int(ind["last_wave"]) if ind["last_wave"] else None,
                "base": None if ind["base_match"] == "all" else _merged(rules["base"]),
                "numerator": _merged(rules["numerator"]),
                "numerator_match": ind["numerator_match"],
                "not_asked": ind["not_asked"],
            }
        )
    scoring: dict[str, dict[str, list[str]]] = {}
    for e in elements:
        scoring.setdefault(e["measure"], {}).setdefault(e["dimension"], []).append(
            e["indicator_id"]
        )
    return (
        "{#- GENERATED by `python -m orchestration.codebook.seeds` from the seeds indicators,\n"
        "    indicator_terms, scoring_elements and the codebook crosswalk. Do not edit. -#}\n\n"
        "{%- macro indicator_catalog() -%}\n"
        "{#- Per indicator: waves, base (none = everyone) and numerator as conditions on\n"
        "    int_responses_classified columns (any condition holding = the response has it). -#}\n"
        f"{{{{ return({_jinja_list(entries)}) }}}}\n"
        "{%- endmacro -%}\n\n"
        "{%- macro scoring_catalog() -%}\n"
        "{#- measure -> dimension -> indicator ids (seed scoring_elements). -#}\n"
        f"{{{{ return({_jinja_literal(scoring)}) }}}}\n"
        "{%- endmacro -%}\n"
    )


# --------------------------------------------------------------------------- entry points


def generate(cb: Codebook | None = None, definitions_dir: Path = DEFINITIONS_DIR) -> dict[str, str]:
    """Seed file name (or the macro path relative to the dbt project) -> content."""
    cb = cb or load_codebook()
    defs = _read_yaml(definitions_dir / "indicators.yaml")
    scoring = _read_yaml(definitions_dir / "scoring.yaml")
    files = {f"seeds/{k}": v for k, v in codebook_tables(cb).items()}
    ind = indicator_tables(cb, defs)
    files.update({f"seeds/{k}": v for k, v in ind.items()})
    ids = {spec["id"] for spec in defs["indicators"]}
    files.update({f"seeds/{k}": v for k, v in scoring_tables(scoring, ids).items()})
    files[str(MACRO_PATH.relative_to(DBT_PROJECT_DIR))] = macro_text(cb)
    files[str(CATALOG_MACRO_PATH.relative_to(DBT_PROJECT_DIR))] = catalog_macro_text(cb, files)
    return files


# The macros are build output, not committed (.gitignore): `make install` writes them,
# so a questionnaire change commits data files only (codebook, definitions, seeds).
GENERATED_MACROS = tuple(
    str(p.relative_to(DBT_PROJECT_DIR)) for p in (MACRO_PATH, CATALOG_MACRO_PATH)
)


def write(project_dir: Path = DBT_PROJECT_DIR, macros_only: bool = False) -> list[Path]:
    """Write the generated files whose content changed (an unchanged file keeps its
    mtime, so dbt's partial parsing stays valid); returns the paths written."""
    written = []
    for rel, text in generate().items():
        if macros_only and rel not in GENERATED_MACROS:
            continue
        path = project_dir / rel
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.tmp")
        scratch.write_text(text, encoding="utf-8")
        scratch.replace(path)  # atomic: a concurrent dbt parse never reads half a file
        written.append(path)
    return written


def stale(project_dir: Path = DBT_PROJECT_DIR, files: dict[str, str] | None = None) -> list[str]:
    """Generated files whose committed content differs from a fresh generation (`files`)."""
    files = generate() if files is None else files
    out = []
    for rel, text in files.items():
        path = project_dir / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            out.append(rel)
    return out


def check(project_dir: Path = DBT_PROJECT_DIR, files: dict[str, str] | None = None) -> int:
    """`--check`: 1 and one line naming the stale files, else 0 and silence."""
    out = stale(project_dir, files)
    if out:
        names = ", ".join(f"{project_dir.name}/{rel}" for rel in out)
        print(f"stale: {names}: run `make generate` (python -m {__spec__.name})")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any output is stale")
    parser.add_argument(
        "--macros", action="store_true", help="write only the dbt macros (build output)"
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            return check()
        written = write(macros_only=args.macros)
    except DefinitionError as exc:
        # A definition naming an unknown item or code: the maintainer's typo, one line.
        print(f"{__spec__.name}: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path.relative_to(DBT_PROJECT_DIR.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
