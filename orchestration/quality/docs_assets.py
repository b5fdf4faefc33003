"""Data Docs without the internet: GX's pages load their scripts, styles and fonts from the
site itself.

GX 1.x writes pages whose <script>/<link>/<img> point at CDNs (bootstrap, jquery,
bootstrap-table, font-awesome, vega...) and at its logo on S3; offline they render
unstyled. The same files, pinned and built in `vendor/` (see vendor/README.md), are
copied into the site's `static/vendor/` after every build, and the CDN URLs of the pages
that build wrote are rewritten to relative paths. `vendor/assets.json` records each
file's size and sha256; a file that no longer matches is refused, so a hand-edited or
half-copied asset never reaches a page.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

VENDOR = Path(__file__).resolve().with_name("vendor")
RECORD = VENDOR / "assets.json"
ASSETS = VENDOR / "assets"
# Inside the site root (SMESURVEY_HOME/data_docs); GX's own static/ sits beside it.
SITE_VENDOR = Path("static") / "vendor"
SITE_RECORD = "assets.json"

# Every CDN URL of GX 1.x's templates (great_expectations/render/view/templates) and the
# vendored file standing for it. Two are served by a sibling: the unminified
# bootstrap-prefers-dark.css by its .min.css, and bootstrap-table 1.19.0's filter-control
# CSS by 1.19.1's (the version of the other bootstrap-table files GX loads).
CDN: dict[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": "bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": "bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": "bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": "bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": "bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome/css/all.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed.min.js",
}
# GX's logos on S3 (the navbar's, with a cache-busting ?d=..., and the dark theme's
# background in the inlined CSS): the site's own static/images/logo-long.png stands for
# both (GX copies it there with every build).
S3_LOGO = re.compile(
    r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/"
    r"(?:logo-long|full_logo_dark)\.png(?:\?d=[^\"')\s]*)?"
)
LOCAL_LOGO = Path("static") / "images" / "logo-long.png"
# Attribute values of a CDN <script>/<link>/<img>, the only places GX puts them.
URL_ATTRIBUTE = re.compile(r'(?P<attr>src|href)="(?P<url>https?://[^"]+)"')
# Subresource integrity and CORS mode only make sense for the CDN copies: a page opened
# over file:// would fetch a crossorigin script in CORS mode, which file:// refuses.
CDN_ONLY_ATTRIBUTES = re.compile(r'\s+(?:integrity="[^"]*"|crossorigin="[^"]*")')
# Links into the site's static/ folder. GX counts the favicon's ../ for validation pages
# one level short (it points into validations/static/), so every such link is recomputed
# from the page's real depth.
STATIC_LINK = re.compile(r'(?P<attr>src|href)="(?:\./|(?:\.\./)+)(?P<path>static/[^"?#]+)"')


class AssetsError(ValueError):
    """The vendored assets or their record are unusable; the message is one line."""


def load_record(record: Path = RECORD) -> dict[str, dict[str, object]]:
    """File name (inside assets/) -> its recorded package, bytes and sha256."""
    try:
        files = json.loads(record.read_text(encoding="utf-8"))["files"]
        if not isinstance(files, dict) or not files:
            raise ValueError("no files")
        return files
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AssetsError(f"{record}: unreadable assets record ({exc})") from exc


def checked_assets(record: Path = RECORD) -> dict[str, bytes]:
    """Every vendored file's bytes, refused unless size and sha256 match the record."""
    out: dict[str, bytes] = {}
    for name, entry in load_record(record).items():
        path = record.parent / "assets" / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AssetsError(f"{path}: cannot read a Data Docs asset ({exc})") from exc
        digest = hashlib.sha256(data).hexdigest()
        if len(data) != entry.get("bytes") or digest != entry.get("sha256"):
            raise AssetsError(
                f"{path}: sha256 {digest} ({len(data)} bytes) differs from {record.name} "
                f"({entry.get('sha256')}, {entry.get('bytes')} bytes); rebuild it "
                "(orchestration/quality/vendor/README.md)"
            )
        out[name] = data
    return out


def install_assets(site: Path, record: Path = RECORD) -> None:
    """Copy the checked assets into `site`/static/vendor/ unless the same set is there.

    The record is written last, so a copy cut short is redone by the next build.
    """
    target = site / SITE_VENDOR
    expected = record.read_bytes() if record.is_file() else b""
    copied = target / SITE_RECORD
    if copied.is_file() and copied.read_bytes() == expected:
        return
    assets = checked_assets(record)
    if target.exists():
        shutil.rmtree(target)
    for name, data in assets.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    copied.write_bytes(expected)


def _relative(site: Path, page: Path, inside: Path) -> str:
    """`inside` (a path relative to the site root) as seen from `page`, in URL form."""
    return Path(os.path.relpath(site / inside, page.parent)).as_posix()


def localized(html: str, site: Path, page: Path) -> str:
    """The page's HTML with every CDN asset replaced by its copy in the site."""

    def asset(match: re.Match[str]) -> str:
        name = CDN.get(match["url"])
        if name is None:
            return match[0]  # a link to text (greatexpectations.io), not an asset
        return f'{match["attr"]}="{_relative(site, page, SITE_VENDOR / name)}"'

    def static(match: re.Match[str]) -> str:
        return f'{match["attr"]}="{_relative(site, page, Path(match["path"]))}"'

    html = S3_LOGO.sub(_relative(site, page, LOCAL_LOGO), html)
    html = URL_ATTRIBUTE.sub(asset, html)
    html = CDN_ONLY_ATTRIBUTES.sub("", html)
    return STATIC_LINK.sub(static, html)


def make_offline(site: Path, pages: Iterable[Path]) -> None:
    """Install the assets in `site` and point `pages` (written by the last build) at them.

    A page is rewritten only when something changes, so pages of earlier builds keep
    their modification times; a page already localized is left as it is.
    """
    install_assets(site)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        new = localized(html, site, page)
        if new != html:
            page.write_text(new, encoding="utf-8")


__all__ = [
    "CDN",
    "AssetsError",
    "checked_assets",
    "install_assets",
    "load_record",
    "localized",
    "make_offline",
]
