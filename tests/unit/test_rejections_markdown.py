"""The rejected rows as the Dagster UI shows them (orchestration.rejections)."""

from __future__ import annotations

from orchestration.rejections import ROWS_SHOWN_IN_UI, rejected_rows_markdown


def row(n: int, column: str = "B3_cloud", value: str = "x") -> dict:
    return {
        "source_file": "platform_export.csv",
        "source_row": n,
        "column_name": column,
        "value": value,
        "rule_id": "codes_in_codebook",
        "reason": "not a code of B3_cloud",
    }


def test_rows_as_a_markdown_table_with_restricted_values_masked() -> None:
    rows = [row(3, value="9"), row(4, column="A1_uscc", value="91310000MA1K4XXXX1")]
    table = rejected_rows_markdown(rows, frozenset({"A1_uscc"}), total=2)
    assert table.splitlines() == [
        "| file | row | column | value | rule | reason |",
        "|---|---|---|---|---|---|",
        "| platform_export.csv | 3 | B3_cloud | 9 | codes_in_codebook | not a code of B3_cloud |",
        "| platform_export.csv | 4 | A1_uscc | (restricted) | codes_in_codebook "
        "| not a code of B3_cloud |",
    ]


def test_typed_text_cannot_break_the_table_or_inject_markup() -> None:
    table = rejected_rows_markdown([row(1, value="a|b\n<script>`x`")], frozenset(), total=1)
    cells = table.splitlines()[2].split(" | ")
    assert cells[3] == "a&#124;b &lt;script&gt;&#96;x&#96;"
    long = rejected_rows_markdown([row(1, value="y" * 500)], frozenset(), total=1)
    assert max(len(c) for c in long.splitlines()[2].split(" | ")) <= 60


def test_at_most_the_first_rows_and_how_many_there_are() -> None:
    rows = [row(n) for n in range(1, 100)]
    table = rejected_rows_markdown(rows, frozenset(), total=250)
    lines = table.splitlines()
    assert len([line for line in lines if line.startswith("| platform")]) == ROWS_SHOWN_IN_UI
    assert lines[-1] == f"{ROWS_SHOWN_IN_UI} of 250 lines shown."
