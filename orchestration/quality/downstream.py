"""Rules for data after the gate: the staged responses model and the marts (in DuckDB).

These suites guard dbt's output rather than deliveries: a failure blocks publish,
no row is rejected. Cross-row rules use derived violation columns like the raw
suite (NULL = fine), computed in the SQL that reads the relation (`downstream_validation.py`).
"""

from __future__ import annotations

from orchestration.codebook import Codebook
from orchestration.quality.rules import PROVENANCE, STAGED, Rule, item_rules

INDICATOR_COLUMNS = (
    "wave_id",
    "zone_id",
    "domain",
    "indicator_id",
    "n_base",
    "n_yes",
    "estimate",
    "ci_low",
    "ci_high",
    "weighted_estimate",
    "weighted_ci_low",
    "weighted_ci_high",
    "suppressed",
)
INDICATOR_KEY = ("wave_id", "zone_id", "domain", "indicator_id")
BASE_CONSISTENCY = "chk_base_consistency"
SCORE_RANGE = "chk_score_range"
LEVEL_MISSING = "chk_level_missing"
ENTERPRISE_COLUMN = "enterprise_key"  # keyed hash of A1_uscc (dbt macro enterprise_key)
ENTERPRISE_KEY = (ENTERPRISE_COLUMN, "wave_id")
STAGED_KEY = "response_id"


def _check(expectation: str, kwargs: dict, rule_id: str, column: str, reason: str) -> Rule:
    return Rule(expectation, kwargs, rule_id, column, reason, level="table")


def staged_rules(cb: Codebook) -> list[Rule]:
    """The staged responses (stg_survey__responses via int_responses_classified): typed,
    restricted items dropped, keyed.

    Codes of any version, ranges and skip rules of every published item, provenance,
    and one answer per enterprise (the keyed USCC hash) and wave.
    """
    rules = [
        _check("expect_column_values_to_not_be_null", {"column": c}, "staged.provenance", c, c)
        for c in (STAGED_KEY, *PROVENANCE)
        if c != "instrument_version"
    ]
    rules.append(
        _check(
            "expect_column_values_to_be_unique",
            {"column": STAGED_KEY},
            "staged.response_id",
            STAGED_KEY,
            "one row per questionnaire",
        )
    )
    rules.append(
        _check(
            "expect_column_values_to_be_in_set",
            {"column": "instrument_version", "value_set": list(cb.versions)},
            "staged.version",
            "instrument_version",
            "unknown instrument version",
        )
    )
    restricted = frozenset(item.id for item in cb.items if item.restricted)
    for item in cb.items:
        if item.id not in restricted:
            rules += item_rules(item, STAGED, restricted)
    rules.append(
        _check(
            "expect_compound_columns_to_be_unique",
            {
                "column_list": ["wave_id", ENTERPRISE_COLUMN],
                "ignore_row_if": "any_value_is_missing",
            },
            "staged.enterprise_unique_in_wave",
            ENTERPRISE_COLUMN,
            "an enterprise answers once per wave",
        )
    )
    return rules


def indicator_rules() -> list[Rule]:
    """fct_indicator_estimates: shares in [0, 1], intervals around estimates, consistent bases."""
    rules = [
        _check("expect_column_to_exist", {"column": c}, "marts.schema", c, f"{c} is missing")
        for c in INDICATOR_COLUMNS
    ]
    rules += [
        _check("expect_column_values_to_not_be_null", {"column": c}, "marts.key", c, f"{c} is null")
        for c in (*INDICATOR_KEY, "n_base")
    ]
    rules.append(
        _check(
            "expect_compound_columns_to_be_unique",
            {"column_list": list(INDICATOR_KEY)},
            "marts.key",
            "indicator_id",
            "one row per wave, zone, domain and indicator",
        )
    )
    rules += [
        _check(
            "expect_column_values_to_be_between",
            {"column": c, "min_value": 0},
            "marts.count",
            c,
            f"{c} is negative",
        )
        for c in ("n_base", "n_yes")
    ]
    rules.append(_pair("n_base", "n_yes", "marts.count"))
    for prefix in ("", "weighted_"):
        for c in ("estimate", "ci_low", "ci_high"):
            col = prefix + c
            rules.append(
                _check(
                    "expect_column_values_to_be_between",
                    {"column": col, "min_value": 0, "max_value": 1},
                    "marts.share",
                    col,
                    f"{col} is not a share in [0, 1]",
                )
            )
        rules.append(_pair(f"{prefix}ci_high", f"{prefix}estimate", "marts.interval"))
        rules.append(_pair(f"{prefix}estimate", f"{prefix}ci_low", "marts.interval"))
    rules.append(
        _check(
            "expect_column_values_to_be_in_set",
            {"column": "suppressed", "value_set": [True, False]},
            "marts.suppressed",
            "suppressed",
            "suppressed is a boolean",
        )
    )
    rules.append(
        _check(
            "expect_column_values_to_be_null",
            {"column": BASE_CONSISTENCY},
            "marts.base_consistency",
            "n_base",
            "indicators of one base population disagree on n_base",
        )
    )
    return rules


def _pair(high: str, low: str, rule_id: str) -> Rule:
    return _check(
        "expect_column_pair_values_a_to_be_greater_than_b",
        {
            "column_A": high,
            "column_B": low,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
        rule_id,
        high,
        f"{low} <= {high} violated",
    )


def enterprise_rules() -> list[Rule]:
    """fct_enterprise_wave: one row per enterprise and wave, scores 0-100 with levels."""
    return [
        *(
            _check(
                "expect_column_values_to_not_be_null", {"column": c}, "marts.key", c, f"{c} null"
            )
            for c in ENTERPRISE_KEY
        ),
        _check(
            "expect_compound_columns_to_be_unique",
            {"column_list": list(ENTERPRISE_KEY)},
            "marts.key",
            "enterprise_key",
            "one row per enterprise and wave",
        ),
        _check(
            "expect_column_values_to_be_between",
            {"column": "weight", "min_value": 0, "strict_min": True},
            "marts.weight",
            "weight",
            "weights are positive",
        ),
        _check(
            "expect_column_values_to_be_null",
            {"column": SCORE_RANGE},
            "marts.score_range",
            SCORE_RANGE,
            "maturity scores lie in 0..100",
        ),
        _check(
            "expect_column_values_to_be_null",
            {"column": LEVEL_MISSING},
            "marts.level",
            LEVEL_MISSING,
            "every score has its level",
        ),
    ]
