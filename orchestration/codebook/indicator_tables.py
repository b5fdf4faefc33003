"""The indicator catalog's seeds, from definitions/indicators.yaml and the codebook:
indicators, their terms and series breaks, industry groups, report thresholds and
derived pseudo-items. Whether a rule can be evaluated in a version, and how
comparably, is worked out here from the codebook's versions and crosswalks."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orchestration.codebook import Codebook
from orchestration.codebook.generation import DefinitionError, csv_text, version_waves

COMPARABILITY_RANK = {"exact": 0, "approximate": 1, "none": 2}


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
    waves = version_waves(cb)

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
        "indicators.csv": csv_text(
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
        "indicator_terms.csv": csv_text(
            ["indicator_id", "role", "item_id", "value_code"], term_rows
        ),
        "indicator_breaks.csv": csv_text(
            [
                "indicator_id",
                "wave_id",
                "instrument_version",
                "comparability",
                "comparability_note",
            ],
            break_rows,
        ),
        "industry_groups.csv": csv_text(
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
        "report_thresholds.csv": csv_text(
            ["derived_item", "item_id", "band_item_id", "upper_bound_exclusive"], threshold_rows
        ),
        "derived_items.csv": csv_text(
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
