"""The Data Docs server beside the Dagster UI, and the check metadata that links to it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.asset_checks import suite_metadata
from orchestration.quality.docs_server import (
    DOCS_URL_ENV,
    HIDDEN,
    base_url,
    make_server,
    page_url,
)
from orchestration.quality.results import SuiteResult
from orchestration.settings import PROJECT_ROOT, Home
from tests.support.timeouts import HANG_GUARD

PAGE = Path("validations/gate_outcomes_v2022/Z01-2022-part1/20261202T084311Z/frames x.html")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "data_docs"
    (root / PAGE).parent.mkdir(parents=True)
    (root / PAGE).write_text("<html>page</html>", encoding="utf-8")
    (root / "index.html").write_text("<html>index</html>", encoding="utf-8")
    (root / HIDDEN[0]).mkdir()
    (root / HIDDEN[0] / "result.json").write_text("{}", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    return root


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url("127.0.0.1", server.server_address[1])
    server.shutdown()
    server.server_close()


def status(url: str, method: str = "GET") -> int:
    try:
        request = urllib.request.Request(url, method=method)
        with urllib.request.urlopen(request, timeout=HANG_GUARD) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_context_hides_the_same_results_folder() -> None:
    from orchestration.quality.context import RESULTS_SUBDIR

    assert HIDDEN == (RESULTS_SUBDIR,)


def test_serves_the_pages_only_read_only(site: Path, served: str) -> None:
    url = page_url(site / PAGE, site, served)
    assert url is not None and url.endswith("/frames%20x.html")
    with urllib.request.urlopen(url, timeout=HANG_GUARD) as response:
        assert response.read() == b"<html>page</html>"
    assert status(served) == 200  # index.html
    assert status(served + "validations/") == 404  # no listings
    assert status(served + "_validation_results/result.json") == 404
    assert status(served + "%5Fvalidation_results/result.json") == 404
    assert status(served + "../secret.txt") == 404
    assert status(served + "index.html", method="POST") == 501
    assert status(served + "index.html", method="PUT") == 501


def test_page_url_needs_the_server_and_a_page_of_its_site(site: Path, monkeypatch) -> None:
    monkeypatch.delenv(DOCS_URL_ENV, raising=False)
    assert page_url(site / PAGE, site) is None
    monkeypatch.setenv(DOCS_URL_ENV, "http://127.0.0.1:3001/")
    assert page_url(site / "index.html", site) == "http://127.0.0.1:3001/index.html"
    assert page_url(site.parent / "secret.txt", site) is None
    assert base_url("0.0.0.0", 3001) == "http://127.0.0.1:3001/"
    assert base_url("::1", 3001) == "http://[::1]:3001/"


def test_check_metadata_links_the_page_as_url_and_path(tmp_path: Path, monkeypatch) -> None:
    home = Home(tmp_path / "home")
    page = home.data_docs / PAGE
    suite = SuiteResult("staged_responses", True, 10, 0, data_docs_pages=(page,))
    monkeypatch.setenv("SMESURVEY_HOME", str(home.root))
    monkeypatch.delenv(DOCS_URL_ENV, raising=False)
    assert "data_docs_url" not in suite_metadata(suite)  # no server: the path only
    monkeypatch.setenv(DOCS_URL_ENV, "http://127.0.0.1:3001/")
    metadata = suite_metadata(suite)
    assert metadata["data_docs"] == dg.MetadataValue.path(str(page))
    assert metadata["data_docs_url"] == dg.MetadataValue.url(
        "http://127.0.0.1:3001/validations/gate_outcomes_v2022/Z01-2022-part1/"
        "20261202T084311Z/frames%20x.html"
    )


def test_server_stops_when_its_parent_ends(site: Path) -> None:
    """`smesurvey ui` execs into `dagster dev`; when that ends, the server must not linger."""
    parent = textwrap.dedent(
        f"""
        from pathlib import Path
        from orchestration.quality.docs_server import start_beside
        print(start_beside(Path({str(site)!r}), "127.0.0.1", 0).pid, flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", parent],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(done.stdout.strip())

    def alive() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # A zombie (not yet reaped by its new parent) has ended too.
        stat = Path(f"/proc/{pid}/stat")
        return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"

    deadline = time.monotonic() + 60  # a bound on waiting, not a figure under test
    while alive() and time.monotonic() < deadline:
        time.sleep(0.5)
    if alive():
        os.kill(pid, 9)
        pytest.fail("the Data Docs server outlived the process that started it")
