"""Quality rules derived from the codebook, one `Rule` per GX expectation.

A rule names the GX expectation and its kwargs plus what the gate needs to turn
a failure into `raw.rejected_rows` lines: a stable `rule_id`, the canonical
column to report, and a reason template. Templates may use `{value}` (the
reported column's value), `{wave_year}`, `{version}`, `{zone_id}` and any
column of the judged frame by name; the gate fills them vectorized.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestration.codebook import Codebook, Item
from orchestration.codebook import Condition as SkipCondition

PROVENANCE = (
    "delivery_id",
    "zone_id",
    "wave_id",
    "instrument_version",
    "mode",
    "source_file",
    "source_row",
)
# Multi option columns arrive as 1/0 (files) or true/false (Arrow booleans cast to text).
MULTI_VALUES = ("0", "1", "false", "true")
INT_PATTERN = r"^-?[0-9]+$"
NUM_PATTERN = r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
WAVE_PARAMETER = "wave_year"

# Derived columns the gate adds to the judged frame (see `derived.py`); canonical
# columns start with an upper-case section letter, so these never collide.
NUMERIC_PREFIX = "num_"
SECTION_DIVISION = "chk_section_division"
ZONE_MISMATCH = "chk_zone_mismatch"
USCC_CHECK = "chk_uscc_check"
USCC_DUPLICATE = "chk_uscc_duplicate"
USCC_OTHER_ZONE = "chk_uscc_other_zone"

USCC_ITEM = "A1_uscc"
ZONE_ITEM = "A3_zone"
SECTION_ITEM = "A5_industry_section"
DIVISION_ITEM = "A6_industry_division"


@dataclass(frozen=True)
class RowCondition:
    """The rows a rule applies to: `column operator value`, with pandas' null semantics.

    GX's `Column(...) == 'C'` etc. without importing GX (its import costs 10-16 s of
    CPU): `suites.py` turns it into GX's condition, `bulk.py` into SQL. As in
    pandas, `!=` and `NOT_IN` hold for NULL, `==` and `IN` do not.
    """

    column: str
    operator: str  # "==", "!=", "IN", "NOT_IN" (GX's Operator values)
    value: str | tuple[str, ...]


def _comparison(column: str, codes: tuple[str, ...], *, equal: bool) -> RowCondition:
    if len(codes) == 1:
        return RowCondition(column, "==" if equal else "!=", codes[0])
    return RowCondition(column, "IN" if equal else "NOT_IN", tuple(codes))


@dataclass(frozen=True)
class Rule:
    expectation: str
    kwargs: dict[str, Any]
    rule_id: str
    column: str
    reason: str
    level: str = "row"  # "row": failing rows are rejected; "table": the delivery fails
    extra_meta: dict[str, Any] = field(default_factory=dict)

    @property
    def meta(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "column": self.column,
            "reason": self.reason,
            "level": self.level,
            **self.extra_meta,
        }


def numeric_column(item_id: str) -> str:
    return f"{NUMERIC_PREFIX}{item_id}"


def section_division_pairs(cb: Codebook) -> list[str]:
    """Every valid `section/division` pair, from the A5 options' `divisions` ranges."""
    pairs = []
    for option in cb.item(SECTION_ITEM).options:
        for low, high in option.extra["divisions"]:
            pairs.extend(f"{option.code}/{d}" for d in range(int(low), int(high) + 1))
    return pairs


def skip_condition(cond: SkipCondition) -> RowCondition:
    """The row condition under which an item with `asked_if = cond` must be empty.

    pandas evaluates `x != 'C'` and `x not in [...]` as True for nulls, so an
    unanswered filter question also means the follow-up must be empty.
    """
    return _comparison(cond.item, tuple(cond.codes), equal=cond.negate)


def holds_condition(cond: SkipCondition) -> RowCondition:
    """The row condition under which `cond` holds (nulls excluded)."""
    return _comparison(cond.item, tuple(cond.codes), equal=not cond.negate)


def describe(cond: SkipCondition) -> str:
    codes = "/".join(cond.codes)
    return f"{cond.item} {'!=' if cond.negate else '='} {codes}"


def _schema_rules(cb: Codebook) -> list[Rule]:
    rules = [
        Rule(
            "expect_column_to_exist",
            {"column": col},
            "schema.provenance",
            col,
            f"provenance column {col} is missing",
            level="table",
        )
        for col in PROVENANCE
    ]
    rules += [
        Rule(
            "expect_column_to_exist",
            {"column": it.id},
            "schema.required",
            it.id,
            f"required column {it.id} is missing",
            level="table",
        )
        for it in cb.items
        if it.required
    ]
    return rules


@dataclass(frozen=True)
class Stage:
    """Where a suite judges the codebook's items, and so how their answers look there.

    RAW: the raw responses of one instrument version, text as delivered, before the
    gate; a failing row is rejected. STAGED: stg_survey__responses (orchestration/
    quality/downstream.py), typed columns of every version after dbt; a failure is the
    table's and blocks publishing. `item_rules` turns an item into the rules of either.
    """

    rule_prefix: str  # "" (raw) or "staged."
    level: str  # Rule.level of every item rule
    typed: bool  # booleans and numbers (staged) rather than text (raw)
    version: str | None = None  # raw: the instrument version judged; staged: all


def raw_stage(version: str) -> Stage:
    return Stage(rule_prefix="", level="row", typed=False, version=version)


STAGED = Stage(rule_prefix="staged.", level="table", typed=True)


def item_rules(item: Item, stage: Stage, restricted: frozenset[str] = frozenset()) -> list[Rule]:
    """The rules one codebook item implies for the suite of `stage`.

    Both stages: codes of choice items, multi option columns' values, the skip rule
    (unless its filter item is `restricted`, a column the staged model drops) and the
    range. Raw text only (the staged model is typed and keyed by then): required ids,
    number syntax, the codebook pattern, forced answers and mode-only items.
    """
    version = stage.version
    columns = item.columns(version) if version else _all_columns(item)
    rules: list[Rule] = []

    def rule(expectation: str, kwargs: dict[str, Any], kind: str, column: str, reason: str):
        rid = f"{stage.rule_prefix}{kind}.{item.id}"
        rules.append(Rule(expectation, kwargs, rid, column, reason, level=stage.level))

    if not stage.typed and item.required and item.type == "id":
        rule(
            "expect_column_values_to_not_be_null",
            {"column": item.id},
            "required",
            item.id,
            f"{item.id} is required",
        )
    if item.is_choice:
        if version:
            codes = [o.code for o in item.options_for(version)]
            reason = f"'{{value}}' is not a {version} code of {item.id}"
        else:
            codes = sorted({o.code for o in item.options})
            reason = f"{item.id} holds a value outside the codebook"
        rule(
            "expect_column_values_to_be_in_set",
            {"column": item.id, "value_set": codes},
            "code",
            item.id,
            reason,
        )
    if item.is_multi:
        for col in columns:
            if stage.typed:
                values, reason = [True, False], "multi option columns are booleans"
            else:
                values, reason = (
                    list(MULTI_VALUES),
                    f"'{{value}}' is not 1/0 (selected or not) in {col}",
                )
            rule(
                "expect_column_values_to_be_in_set",
                {"column": col, "value_set": values},
                "code",
                col,
                reason,
            )
    if not stage.typed and item.is_numeric:
        whole = item.type == "int"
        rule(
            "expect_column_values_to_match_regex",
            {"column": item.id, "regex": INT_PATTERN if whole else NUM_PATTERN},
            "numeric",
            item.id,
            f"'{{value}}' in {item.id} is not a {'whole ' if whole else ''}number",
        )
        rules.extend(_raw_range_rules(item))
    if not stage.typed and item.pattern:
        rule(
            "expect_column_values_to_match_regex",
            {"column": item.id, "regex": item.pattern},
            "pattern",
            item.id,
            f"{item.id} does not match the pattern of the codebook",
        )
    if item.asked_if and item.asked_if.item not in restricted:
        for col in columns:
            rule(
                "expect_column_values_to_be_null",
                {"column": col, "row_condition": skip_condition(item.asked_if)},
                "skip",
                col if version else item.id,
                f"{describe(item.asked_if)} required for {item.id} answers",
            )
    if stage.typed:
        _typed_range_rules(item, rule)
    if not stage.typed and item.forced_if:
        rule(
            "expect_column_values_to_be_in_set",
            {
                "column": item.id,
                "value_set": [item.forced_value],
                "row_condition": holds_condition(item.forced_if),
            },
            "forced",
            item.id,
            f"{item.id} must be {item.forced_value} when {describe(item.forced_if)}",
        )
    if not stage.typed and item.modes:
        for col in columns:
            rule(
                "expect_column_values_to_be_null",
                {"column": col, "row_condition": RowCondition("mode", "NOT_IN", tuple(item.modes))},
                "mode",
                col,
                f"{item.id} is only on {'/'.join(item.modes)} questionnaires",
            )
    return rules


def _all_columns(item: Item) -> tuple[str, ...]:
    """The item's columns in any version (the staged model has them all)."""
    if item.is_multi:
        return tuple(item.option_column(o.code) for o in item.options)
    return (item.id,)


def _raw_range_rules(item: Item) -> list[Rule]:
    """Range of a numeric item on its parsed column (`num_<item>`); `wave` is the wave year."""
    low, high = item.range.get("min"), item.range.get("max")
    if low is None and high is None:
        return []
    kwargs: dict[str, Any] = {"column": numeric_column(item.id)}
    if low is not None:
        kwargs["min_value"] = low
    if high == "wave":
        kwargs["max_value"] = {"$PARAMETER": WAVE_PARAMETER}
    elif high is not None:
        kwargs["max_value"] = high
    shown_high = "{wave_year}" if high == "wave" else high
    bounds = f">= {low}" if high is None else f"in {low}..{shown_high}"
    return [
        Rule(
            "expect_column_values_to_be_between",
            kwargs,
            f"range.{item.id}",
            item.id,
            f"{item.id} {{value}} is not {bounds}",
        )
    ]


def _typed_range_rules(item: Item, rule: Callable[..., None]) -> None:
    """Range of a typed numeric column; `wave` as a bound: not after the row's wave_id."""
    low, high = item.range.get("min"), item.range.get("max")
    if item.is_numeric and low is not None:
        kwargs: dict[str, Any] = {"column": item.id, "min_value": low}
        if isinstance(high, int | float):
            kwargs["max_value"] = high
        rule(
            "expect_column_values_to_be_between",
            kwargs,
            "range",
            item.id,
            f"{item.id} out of range",
        )
    if high == "wave":
        rule(
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": "wave_id",
                "column_B": item.id,
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "range",
            item.id,
            f"{item.id} after the wave",
        )


def _version_rules(cb: Codebook, version: str) -> list[Rule]:
    """Columns the version does not have must stay empty (e.g. G4 in v2020)."""
    own = set(cb.columns(version))
    owner = {
        (it.option_column(o.code) if it.is_multi else it.id): it
        for it in cb.items
        for o in (it.options if it.is_multi else (None,))
    }
    return [
        Rule(
            "expect_column_values_to_be_null",
            {"column": col},
            f"version.{owner[col].id}",
            col,
            f"{col} does not exist in instrument {version}",
        )
        for col in cb.all_columns()
        if col not in own
    ]


def _cross_rules(cb: Codebook) -> list[Rule]:
    mode_item = next(it for it in cb.items if it.source == "delivery")
    return [
        Rule(
            "expect_column_values_to_be_in_set",
            {"column": "mode", "value_set": [o.code for o in mode_item.options]},
            "code.mode",
            "mode",
            "'{value}' is not a questionnaire mode",
        ),
        Rule(
            "expect_column_values_to_be_in_set",
            {"column": SECTION_DIVISION, "value_set": section_division_pairs(cb)},
            "cross.division_in_section",
            DIVISION_ITEM,
            f"{DIVISION_ITEM} {{{DIVISION_ITEM}}} is not a division of "
            f"{SECTION_ITEM} {{{SECTION_ITEM}}}",
        ),
        Rule(
            "expect_column_values_to_be_null",
            {"column": ZONE_MISMATCH},
            "cross.zone_of_delivery",
            ZONE_ITEM,
            f"{ZONE_ITEM} {{value}} differs from the delivery's zone {{zone_id}}",
        ),
        Rule(
            "expect_column_values_to_be_null",
            {"column": USCC_CHECK},
            "uscc.check_character",
            USCC_ITEM,
            f"{USCC_ITEM} check character is wrong (GB 32100-2015)",
        ),
        Rule(
            "expect_column_values_to_be_null",
            {"column": USCC_DUPLICATE},
            "uscc.duplicate",
            USCC_ITEM,
            f"{USCC_ITEM} appears {{{USCC_DUPLICATE}}} times in the delivery",
        ),
        Rule(
            "expect_column_values_to_be_null",
            {"column": USCC_OTHER_ZONE},
            "uscc.other_zone",
            USCC_ITEM,
            f"{USCC_ITEM} already answered in zone {{{USCC_OTHER_ZONE}}} in wave {{wave_year}}",
        ),
    ]


def raw_rules(cb: Codebook, version: str) -> list[Rule]:
    """All rules of the raw-responses suite of one instrument version."""
    rules = _schema_rules(cb)
    for item in cb.items_for(version):
        if item.source != "delivery":
            rules += item_rules(item, raw_stage(version))
    return rules + _version_rules(cb, version) + _cross_rules(cb)
