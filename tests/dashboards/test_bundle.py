"""The shipped plotly.js: the committed partial bundle, checked against its record."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from dashboards.packing import ASSETS, write_scripts
from dashboards.plotly_bundle import RECORD, VENDOR, BundleError, load_record, plotly_js


def test_shipped_bundle_matches_its_recorded_sha256_and_size() -> None:
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    data = (VENDOR / recorded["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == recorded["sha256"]
    assert len(data) == recorded["bytes"]
    assert plotly_js() == data
    # The point of the partial bundle: far below the full plotly.js (4.8 MB).
    assert len(data) < 2_000_000


def test_record_lists_the_traces_the_build_script_registers() -> None:
    script = (VENDOR / "build.mjs").read_text(encoding="utf-8")
    traces = re.search(r"const TRACES = \[([^\]]*)\]", script)
    assert traces is not None
    assert tuple(re.findall(r"'(\w+)'", traces.group(1))) == load_record().traces
    lock = json.loads((VENDOR / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/plotly.js"]["version"] == load_record().plotly_js
    assert (VENDOR / "LICENSE.plotly.js").read_text(encoding="utf-8").startswith("MIT License")


def test_site_writes_the_vendored_bundle_as_plotly_min_js(tmp_path: Path) -> None:
    size = write_scripts(tmp_path)
    assert (tmp_path / "plotly.min.js").read_bytes() == load_record().path.read_bytes()
    assert size == sum((tmp_path / f).stat().st_size for f in ("plotly.min.js", *ASSETS))


def test_an_altered_bundle_is_refused_naming_the_file(tmp_path: Path) -> None:
    record = load_record()
    shutil.copy(RECORD, tmp_path / RECORD.name)
    data = bytearray(record.path.read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / record.path.name).write_bytes(bytes(data))
    with pytest.raises(BundleError, match=re.escape(str(tmp_path / record.path.name))) as err:
        plotly_js(tmp_path / RECORD.name)
    assert "\n" not in str(err.value)


def test_a_missing_record_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"bundle\.json: unreadable bundle record"):
        plotly_js(tmp_path / "bundle.json")
