"""Parsing deliveries: encodings, kinds, versions, labels, provenance, errors."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from orchestration.ingest.detect import MODE_OF_KIND, normalize_header, prefix_pattern
from orchestration.ingest.landing import land_delivery
from orchestration.ingest.parse import DeliveryError, parse_delivery
from orchestration.ingest.schema import PROVENANCE, REGISTER_COLUMNS

from .conftest import canonical_rows, first_wave, platform_bytes

ZONE = "SH-01"
PROVENANCE_NAMES = [name for name, _ in PROVENANCE if name != "loaded_at"]


def answers(table: pa.Table, codebook) -> list[dict]:
    return table.select(list(codebook.all_columns())).to_pylist()


def expected_answers(codebook, rows, mode: str) -> list[dict]:
    """Canonical rows widened to all columns, with the mode column set."""
    mode_columns = [it.id for it in codebook.items if it.source == "delivery"]
    blank = dict.fromkeys(codebook.all_columns())
    return [{**blank, **row, **dict.fromkeys(mode_columns, mode)} for row in rows]


def choice_item(codebook, version):
    return next(it for it in codebook.items_for(version) if it.is_choice and it.required)


@pytest.mark.parametrize("version", ["v2020", "v2022"])
def test_every_encoding_gives_the_same_canonical_rows(build, home, codebook, version):
    wave = first_wave(codebook, version)
    rows = canonical_rows(codebook, version, "electronic", 12)
    parsed = {}
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        folder = build.folder(f"{encoding}/{ZONE}/{wave}")
        csv_file = build.platform(folder, version, rows, encoding)
        landing = land_delivery([csv_file], ZONE, wave, home)
        assert landing.manifest["files"][0]["encoding"] == encoding
        parsed[encoding] = parse_delivery(landing, codebook)
    expected = expected_answers(codebook, rows, "electronic")
    for encoding, result in parsed.items():
        assert result.instrument_version == version
        assert answers(result.responses, codebook) == expected, encoding
    # The three files differ in bytes, so they are three different deliveries.
    assert len({p.landing.delivery_id for p in parsed.values()}) == 3


def test_gb18030_bytes_really_differ_from_utf8(codebook):
    rows = canonical_rows(codebook, "v2020", "electronic", 2)
    gb = platform_bytes(codebook, "v2020", rows, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")


def test_skipped_answers_and_multi_options(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    rows = canonical_rows(codebook, "v2020", "electronic", 6)
    folder = build.folder(f"{ZONE}/{wave}")
    landing = land_delivery([build.platform(folder, "v2020", rows, "utf-8-sig")], ZONE, wave, home)
    table = parse_delivery(landing, codebook).responses
    skipped_item = next(it for it in codebook.items_for("v2020") if it.asked_if and it.is_multi)
    column = skipped_item.columns("v2020")[0]
    values = table[column].to_pylist()
    assert values == [row[column] for row in rows]
    assert set(values) == {None, "true", "false"}
    assert codebook.platform["skipped"] not in pc.unique(table[column]).to_pylist()


def test_paper_xlsx_entries(build, home, codebook):
    wave = first_wave(codebook, "v2022")
    rows = canonical_rows(codebook, "v2022", "paper", 7)
    folder = build.folder(f"{ZONE}/{wave}")
    landing = land_delivery([build.paper(folder, "v2022", rows)], ZONE, wave, home)
    entry = landing.manifest["files"][0]
    assert (entry["kind"], entry["instrument_version"]) == ("paper", "v2022")
    parsed = parse_delivery(landing, codebook)
    assert answers(parsed.responses, codebook) == expected_answers(codebook, rows, "paper")
    ints = [it.id for it in codebook.items_for("v2022", "paper") if it.type == "int"]
    assert all("." not in v for c in ints for v in parsed.responses[c].to_pylist() if v)
    assert set(parsed.responses["mode"].to_pylist()) == {"paper"}


def test_platform_and_paper_and_register_with_provenance(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    online = canonical_rows(codebook, "v2020", "electronic", 5)
    paper = canonical_rows(codebook, "v2020", "paper", 3)
    sections = [o.code for o in codebook.item("A5_industry_section").options]
    counts = [
        (s, c, 10 + i)
        for i, (s, c) in enumerate(zip(sections, codebook.size_class_order, strict=False))
    ]
    folder = build.folder(f"{ZONE}/{wave}")
    files = [
        build.platform(folder, "v2020", online, "gb18030"),
        build.paper(folder, "v2020", paper),
        build.register(folder, ZONE, counts),
    ]
    landing = land_delivery(files, ZONE, wave, home)
    parsed = parse_delivery(landing, codebook)
    table = parsed.responses
    assert table.column_names[: len(PROVENANCE_NAMES)] == PROVENANCE_NAMES
    assert set(table["delivery_id"].to_pylist()) == {landing.delivery_id}
    assert set(table["zone_id"].to_pylist()) == {ZONE}
    assert set(table["wave_id"].to_pylist()) == {wave}
    by_file = {}
    for rec in table.select(["source_file", "source_row", "mode"]).to_pylist():
        by_file.setdefault((rec["source_file"], rec["mode"]), []).append(rec["source_row"])
    assert by_file == {
        ("platform_export.csv", "electronic"): [1, 2, 3, 4, 5],
        ("paper_entries.xlsx", "paper"): [1, 2, 3],
    }
    assert parsed.rows_read == {
        "platform_export.csv": 5,
        "paper_entries.xlsx": 3,
        "zone_register.csv": len(counts),
    }
    register = parsed.register
    assert register is not None
    assert register.select(list(REGISTER_COLUMNS)).to_pylist() == [
        dict(zip(REGISTER_COLUMNS, (ZONE, s, c, str(n)), strict=True)) for s, c, n in counts
    ]


def test_v2022_columns_in_a_v2020_wave_are_refused(build, home, codebook):
    wave = first_wave(codebook, "v2022") - 1
    assert codebook.version_for_wave(wave) == "v2020"
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2022", "electronic", 3)
    landing = land_delivery([build.platform(folder, "v2022", rows, "utf-8-sig")], ZONE, wave, home)
    assert landing.manifest["instrument_version"] == "v2022"
    with pytest.raises(DeliveryError) as err:
        parse_delivery(landing, codebook)
    assert str(err.value) == (
        f"platform_export.csv: columns are instrument v2022 but wave {wave} fielded v2020"
    )


def test_v2020_paper_in_a_v2022_wave_is_refused(build, home, codebook):
    wave = first_wave(codebook, "v2022")
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "paper", 3)
    landing = land_delivery([build.paper(folder, "v2020", rows)], ZONE, wave, home)
    with pytest.raises(DeliveryError, match=r"^paper_entries\.xlsx: columns are instrument v2020"):
        parse_delivery(landing, codebook)


def test_missing_required_column_names_file_and_column(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    item = choice_item(codebook, "v2020")
    header = codebook.platform_headers("v2020")[item.id]
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "electronic", 3)
    csv_file = build.platform(folder, "v2020", rows, "utf-8-sig", drop=(item.id,))
    landing = land_delivery([csv_file], ZONE, wave, home)
    with pytest.raises(DeliveryError) as err:
        parse_delivery(landing, codebook)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("platform_export.csv: missing required column")
    assert item.id in message and header in message
    assert (err.value.file, err.value.problem) == ("platform_export.csv", message.split(": ", 1)[1])


def test_missing_optional_column_is_null_and_recorded(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    optional = next(it for it in codebook.items_for("v2020") if it.type == "num")
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "electronic", 3)
    csv_file = build.platform(folder, "v2020", rows, "utf-8", drop=(optional.id,))
    parsed = parse_delivery(land_delivery([csv_file], ZONE, wave, home), codebook)
    assert parsed.missing_columns["platform_export.csv"] == (optional.id,)
    assert parsed.responses[optional.id].null_count == 3


def test_label_not_in_codebook_survives_as_text(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    item = choice_item(codebook, "v2020")
    unknown = "不知道"
    assert unknown not in {o.zh for o in item.options}
    rows = canonical_rows(codebook, "v2020", "electronic", 4)
    rows[1][item.id] = unknown
    folder = build.folder(f"{ZONE}/{wave}")
    landing = land_delivery([build.platform(folder, "v2020", rows, "gb18030")], ZONE, wave, home)
    values = parse_delivery(landing, codebook).responses[item.id].to_pylist()
    assert values[1] == unknown
    assert values[0] == rows[0][item.id] and values[2] == rows[2][item.id]


def test_label_of_the_other_version_is_not_mapped(build, home, codebook):
    """A v2022-only band label in a v2020 file is not a v2020 answer: kept as text."""
    wave = first_wave(codebook, "v2020")
    item, option = next(
        (it, o)
        for it in codebook.items_for("v2020")
        if it.is_choice
        for o in it.options
        if not o.in_version("v2020")
    )
    rows = canonical_rows(codebook, "v2020", "electronic", 2)
    rows[0][item.id] = option.zh
    folder = build.folder(f"{ZONE}/{wave}")
    landing = land_delivery([build.platform(folder, "v2020", rows, "utf-8")], ZONE, wave, home)
    assert parse_delivery(landing, codebook).responses[item.id][0].as_py() == option.zh


def test_unknown_extra_column_is_ignored_and_recorded(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "electronic", 2)
    extra = {"99、备注": "无"}
    csv_file = build.platform(folder, "v2020", rows, "utf-8-sig", extra=extra)
    landing = land_delivery([csv_file], ZONE, wave, home)
    assert landing.manifest["files"][0]["unknown_columns"] == list(extra)
    parsed = parse_delivery(landing, codebook)
    assert parsed.unknown_columns["platform_export.csv"] == tuple(extra)
    assert "无" not in parsed.responses.to_pydict().get("99、备注", [])


def test_undecodable_csv(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    bad = folder / "platform_export.csv"
    bad.write_bytes(b"\xff\xfe\x00\x81" * 50)
    landing = land_delivery([bad], ZONE, wave, home)
    assert landing.manifest["files"][0]["kind"] == "unknown"
    with pytest.raises(DeliveryError, match=r"^platform_export\.csv: cannot decode as UTF-8 or GB"):
        parse_delivery(landing, codebook)


def test_header_only_file_has_no_data_rows(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    landing = land_delivery([build.platform(folder, "v2020", [], "utf-8")], ZONE, wave, home)
    with pytest.raises(DeliveryError, match=r"^platform_export\.csv: no data rows$"):
        parse_delivery(landing, codebook)


def test_workbook_with_two_sheets_is_refused(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "paper", 2)
    landing = land_delivery([build.paper(folder, "v2020", rows, sheets=2)], ZONE, wave, home)
    with pytest.raises(DeliveryError, match=r"^paper_entries\.xlsx: expected one sheet, found 2"):
        parse_delivery(landing, codebook)


def test_kind_comes_from_content_not_name(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "electronic", 2)
    odd = folder / "export(1).txt"
    odd.write_bytes(build.platform(folder, "v2020", rows, "gb18030").read_bytes())
    (folder / "platform_export.csv").unlink()
    parsed = parse_delivery(land_delivery([odd], ZONE, wave, home), codebook)
    assert parsed.responses.num_rows == 2
    assert set(parsed.responses["mode"].to_pylist()) == {"electronic"}


def test_register_only_delivery_is_refused(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    register = build.register(folder, ZONE, [("C", codebook.size_class_order[0], 3)])
    with pytest.raises(DeliveryError, match=rf"^{ZONE}/{wave}: no questionnaire file"):
        parse_delivery(land_delivery([register], ZONE, wave, home), codebook)


def test_register_of_another_zone_is_refused(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "electronic", 2)
    files = [
        build.platform(folder, "v2020", rows, "utf-8"),
        build.register(folder, "BJ-01", [("C", codebook.size_class_order[0], 3)]),
    ]
    with pytest.raises(DeliveryError, match=r"^zone_register\.csv: register rows for zone BJ-01"):
        parse_delivery(land_delivery(files, ZONE, wave, home), codebook)


def test_header_only_workbook_has_no_data_rows(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    landing = land_delivery([build.paper(folder, "v2020", [])], ZONE, wave, home)
    with pytest.raises(DeliveryError, match=r"^paper_entries\.xlsx: no data rows$"):
        parse_delivery(landing, codebook)


def test_headers_match_without_numbers_and_with_stray_spaces(build, home, codebook):
    """Platforms renumber questions and pad cells: only the question text must match."""
    wave = first_wave(codebook, "v2020")
    rows = canonical_rows(codebook, "v2020", "electronic", 3)
    text = build.platform(build.folder("src"), "v2020", rows, "utf-8").read_text("utf-8")
    records = list(csv.reader(io.StringIO(text)))
    pattern = prefix_pattern(codebook)
    records[0] = [f" {normalize_header(h, pattern)}\u3000" for h in records[0]]
    records[1] = [f" {cell} " for cell in records[1]]
    out = io.StringIO()
    csv.writer(out).writerows(records)
    folder = build.folder(f"{ZONE}/{wave}")
    (folder / "export.csv").write_bytes(out.getvalue().encode("gb18030"))
    parsed = parse_delivery(land_delivery([folder / "export.csv"], ZONE, wave, home), codebook)
    assert answers(parsed.responses, codebook) == expected_answers(codebook, rows, "electronic")


def test_file_kinds_stand_for_the_codebook_modes(codebook):
    mode_item = next(it for it in codebook.items if it.source == "delivery")
    assert set(MODE_OF_KIND.values()) == {o.code for o in mode_item.options}


def test_a_column_given_twice_is_refused(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    item = choice_item(codebook, "v2020")
    header = codebook.platform_headers("v2020")[item.id]
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "electronic", 2)
    csv_file = build.platform(folder, "v2020", rows, "utf-8", extra={header: "x"})
    with pytest.raises(
        DeliveryError, match=rf"^platform_export\.csv: column {item.id} appears twice"
    ):
        parse_delivery(land_delivery([csv_file], ZONE, wave, home), codebook)


def test_ragged_csv_row_is_refused(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "electronic", 2)
    csv_file = build.platform(folder, "v2020", rows, "utf-8")
    csv_file.write_bytes(csv_file.read_bytes() + b"short,row\r\n")
    with pytest.raises(DeliveryError, match=r"^platform_export\.csv: malformed CSV: .*Expected"):
        parse_delivery(land_delivery([csv_file], ZONE, wave, home), codebook)
