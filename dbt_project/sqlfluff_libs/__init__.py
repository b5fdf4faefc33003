"""dbt's Jinja context, as much of it as the models and macros use, for sqlfluff.

sqlfluff's jinja templater (`library_path` in the repository's .sqlfluff) puts every
top-level name here into the template context, next to the macros of
dbt_project/macros (`load_macros_from_path`) and its own dbt builtins (ref, source,
config, this, is_incremental, return). That renders each model without compiling the
dbt project, which made the dbt templater take over 10 minutes.

The rendering is dbt's parse-time one on the DuckDB target: `execute` is false, so
the macros that query the warehouse (zone_waves.sql) take their "no database" branch,
and `var` returns the project's own defaults from dbt_project.yml.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from jinja2 import Environment, pass_context
from jinja2.runtime import Context, Macro
from sqlfluff.core.templaters.builtins.dbt import MacroReturn

_PROJECT = Path(__file__).resolve().parents[1]
_VARS: dict[str, Any] = yaml.safe_load((_PROJECT / "dbt_project.yml").read_text("utf-8"))["vars"]


def _call_catching_return(self: Macro, *args: Any, **kwargs: Any) -> Any:
    try:
        return _macro_call(self, *args, **kwargs)
    except MacroReturn as returned:
        return returned.value


# dbt catches `return()` around every macro call; sqlfluff only around the macros it
# puts into the context, so a macro calling another macro of its own file (pseudonym.sql:
# pseudonym_key -> is_hex_key) would hand the inner return value to the outer macro.
# Catching it on every jinja macro call does what dbt does (this process only lints).
_macro_call = Macro.__call__
Macro.__call__ = _call_catching_return  # type: ignore[method-assign]

# Parse time, as `dbt parse`: nothing is queried.
execute = False

target = SimpleNamespace(type="duckdb", name="lint", schema="main", database="build")
# Not a command that writes tables: pseudonym_key() renders a placeholder key.
flags = SimpleNamespace(WHICH="parse")


def var(name: str, default: Any = None) -> Any:
    """The project's value of a dbt var (dbt_project.yml), as dbt would give it."""
    return _VARS.get(name, default)


def env_var(name: str, default: str = "") -> str:
    # The default, never the linting shell's environment: lint output must not
    # depend on who runs it (and the pseudonym key is no business of the linter).
    return default


def run_query(sql: str) -> None:
    raise RuntimeError("run_query() during lint: guard it with `execute`")


def _raise_compiler_error(message: str) -> None:
    raise RuntimeError(message)


exceptions = SimpleNamespace(raise_compiler_error=_raise_compiler_error)
dbt = SimpleNamespace(type_string=lambda: "varchar")

# The zone-wave stamps' fingerprint (zone_waves.sql) digests the model's code and the
# project's macros; any constant renders the same SQL shape.
project_name = "smesurvey"
invocation_id = "lint"
model = SimpleNamespace(raw_code="", config={})
context: dict[str, Any] = {}


def local_md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class _Adapter:
    """adapter.dispatch as dbt resolves it for DuckDB: duckdb__<name>, else default__<name>."""

    @pass_context
    def dispatch(self, context: Context, name: str, package: str | None = None) -> Callable:
        for prefix in ("duckdb__", "default__"):
            macro = context.resolve_or_missing(prefix + name)
            if callable(macro):
                return macro
        raise RuntimeError(f"no duckdb__{name} or default__{name} macro")

    def get_columns_in_relation(self, relation: Any) -> list[Any]:
        return []


adapter = _Adapter()


# ------------------------------------------------------------------ the indicator catalog
# The real catalog (macros/generated/indicator_catalog.sql, excluded from the macro path
# in .sqlfluff) makes int_indicator_sums about 1 MB of SQL, which sqlfluff parses for many
# minutes. The models hold no branch on an indicator's fields: every indicator goes
# through the same loops, and what differs between indicators is macro output, a
# templated area whose violations sqlfluff does not report (ignore_templated_areas;
# DuckDB's dbt build is what checks that SQL). So lint sees a sample: the first two
# indicators of the first two dimensions of each scoring measure (every loop over
# several items still renders more than one, and int_enterprise_scores finds each
# scoring indicator in the catalog). Two dimensions of six instead of all six: lint
# 70 -> 46 CPU-s, the same findings (2026-12-04).
_CATALOG_FILE = _PROJECT / "macros" / "generated" / "indicator_catalog.sql"


def _returned_literals(path: Path) -> dict[str, Any]:
    """Macro name -> the literal its `return(...)` gives, for a generated macro file."""
    pattern = r"macro (\w+)\(\).*?\{\{ return\((.*?)\) \}\}\s*\{%- endmacro"
    found = re.finditer(pattern, path.read_text("utf-8"), re.S)
    return {m[1]: Environment().compile_expression(m[2])() for m in found}


def _sample() -> tuple[list[dict[str, Any]], dict[str, dict[str, list[str]]]]:
    literals = _returned_literals(_CATALOG_FILE)
    scoring = {
        measure: {dimension: ids[:2] for dimension, ids in list(dimensions.items())[:2]}
        for measure, dimensions in literals["scoring_catalog"].items()
    }
    keep = {i for dimensions in scoring.values() for ids in dimensions.values() for i in ids}
    return [e for e in literals["indicator_catalog"] if e["id"] in keep], scoring


_CATALOG, _SCORING = _sample()


def indicator_catalog() -> list[dict[str, Any]]:
    return _CATALOG


def scoring_catalog() -> dict[str, dict[str, list[str]]]:
    return _SCORING
