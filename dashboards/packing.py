"""Files of the site: the data chunks packed as scripts (`SME_DATA(name, base64(gzip(json)))`,
since file:// pages may load scripts but not fetch files), and the static scripts."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

from dashboards.plotly_bundle import plotly_js
from dashboards.render import script_json

ASSETS = ("app.js", "plots.js")


def write(path: Path, data: str | bytes) -> int:
    """Write `data` (text as UTF-8) to `path`, making its folder; returns the bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.write_bytes(raw)
    return len(raw)


def pack(name: str, content: Any) -> bytes:
    """A chunk script: `SME_DATA(name, base64(gzip(json)))` (mtime 0: same data, same bytes)."""
    packed = gzip.compress(
        json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(),
        compresslevel=9,
        mtime=0,
    )
    return (
        f'SME_DATA({script_json(name)},"{base64.b64encode(packed).decode("ascii")}");\n'
    ).encode("ascii")


def unpack(script: bytes) -> Any:
    """The JSON content of a chunk script (tests and the measurement read chunks back)."""
    encoded = script.decode("ascii").rsplit(',"', 1)[1].split('"', 1)[0]
    return json.loads(gzip.decompress(base64.b64decode(encoded)))


def chunk_name(script: bytes) -> str:
    """The name a chunk script registers its data under (`ind/<indicator>`, `report/<wave>`)."""
    head = script.decode("ascii").split("SME_DATA(", 1)[1].rsplit(',"', 1)[0]
    return json.loads(head)


def write_chunks(chunks: dict[str, Any], data_dir: Path) -> tuple[dict[str, str], int]:
    """One `data/<n>.js` per chunk; file names are numbered, never built from data."""
    files, size = {}, 0
    for n, (name, content) in enumerate(sorted(chunks.items())):
        rel = f"{n}.js"
        size += write(data_dir / rel, pack(name, content))
        files[name] = rel
    return files, size


def write_scripts(out_dir: Path) -> int:
    """plotly.js (the checked partial bundle of dashboards/vendor) and the page scripts."""
    size = write(out_dir / "plotly.min.js", plotly_js())
    for asset in ASSETS:
        # The page scripts sit beside this module, in dashboards/.
        size += write(out_dir / asset, Path(__file__).with_name(asset).read_bytes())
    return size
