"""Neutralize free text before it reaches spreadsheets or HTML pages.

Respondents type enterprise names and comments; exports and dashboards must not
turn them into formulas (CSV/formula injection, OWASP: a cell starting with
= + - @ tab or carriage return is prefixed with an apostrophe) or markup (HTML
escaping of & < > " '). Vectorized over an Arrow array or a pandas Series.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = r"^[=+\-@\t\r]"
# Ampersand first, so the entities of later replacements are not escaped twice.
HTML_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))

T = TypeVar("T", pa.Array, pa.ChunkedArray, "pd.Series")

# The gate's one-line reason may end with the value a rule rejected most, for the
# team at the terminal and in the UI. Stored and published copies leave it out: a
# value that broke its rule can be any text a respondent typed.
OFFENDING_VALUE_NOTE = ", most often '"


def without_offending_value(message: str) -> str:
    cut = message.rfind(OFFENDING_VALUE_NOTE)
    return message if cut < 0 else message[:cut]


def _sanitize_arrow(values: pa.Array | pa.ChunkedArray, formula: bool, html: bool):
    text = pc.cast(values, pa.string())
    risky = pc.match_substring_regex(text, FORMULA_START) if formula else None
    if html:
        for raw, entity in HTML_ENTITIES:
            text = pc.replace_substring(text, raw, entity)
    if formula:
        # the apostrophe is added after escaping: a spreadsheet must see it literally
        text = pc.if_else(
            pc.fill_null(risky, False), pc.binary_join_element_wise("'", text, ""), text
        )
    return text


def sanitize_text(values: T, *, formula: bool = True, html: bool = True) -> T:
    """Return `values` with formula starts neutralized and HTML escaped; NULL stays NULL."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return _sanitize_arrow(values, formula, html)
    # a pandas Series; pandas is imported only here, since recording a refused file
    # sanitizes its message and needs no pandas
    import pandas as pd

    if isinstance(values, pd.Series):
        arrow = pa.array(values.astype(object).where(values.notna(), None), type=pa.string())
        clean = _sanitize_arrow(arrow, formula, html)
        return pd.Series(
            clean.to_numpy(zero_copy_only=False), index=values.index, name=values.name, dtype=object
        )
    raise TypeError(f"sanitize_text: an Arrow array or a pandas Series, not {type(values)}")


def sanitize_table(table: pa.Table, columns: list[str]) -> pa.Table:
    """`sanitize_text` applied to the named string columns of a table."""
    for name in columns:
        i = table.column_names.index(name)
        table = table.set_column(i, name, sanitize_text(table[name]))
    return table
