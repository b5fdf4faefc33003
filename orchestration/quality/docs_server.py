"""Data Docs over HTTP beside the Dagster UI, so a check's Data Docs link opens from it.

The UI cannot open a file path (`MetadataValue.path`), and a browser refuses file://
links from an http:// page; a URL it can. `smesurvey ui` starts this server next to
`dagster dev` (on the UI's port + 1, same host) and tells the code location its address
in SMESURVEY_DATA_DOCS_URL; checks then link each page as a URL as well as a path.

The server is Python's http.server, read-only (GET and HEAD), serving SMESURVEY_HOME/
data_docs only: no directory listings and not the stored validation results beside the
pages. It stops when the process that started it ends (`--parent`): `smesurvey ui`
becomes `dagster dev`, which knows nothing of it, so it watches for itself.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

DOCS_URL_ENV = "SMESURVEY_DATA_DOCS_URL"
# The stored GX results (context.RESULTS_SUBDIR; not imported, that module loads GX):
# the pages show what a reader needs, the raw JSON stays on disk.
HIDDEN = ("_validation_results",)
PARENT_POLL_S = 1.0


class DocsHandler(SimpleHTTPRequestHandler):
    """Files of the site only: no listings, no results store, no request log on the terminal."""

    def send_head(self) -> BinaryIO | None:
        first = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
        if first.split("/", 1)[0] in HIDDEN:
            self.send_error(404)
            return None
        return super().send_head()

    def list_directory(self, path: str | os.PathLike[str]) -> BinaryIO | None:
        self.send_error(404)
        return None

    def log_message(self, format: str, *args: object) -> None:
        pass


def make_server(root: Path, host: str, port: int) -> ThreadingHTTPServer:
    handler = functools.partial(DocsHandler, directory=str(root))
    return ThreadingHTTPServer((host, port), handler)


def _stop_when_orphaned(server: ThreadingHTTPServer, parent: int) -> None:
    # Reparented (to init or a subreaper) means the parent has ended.
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    server.shutdown()


def serve(root: Path, host: str, port: int, parent: int | None) -> None:
    with make_server(root, host, port) as server:
        if parent is not None:
            watch = threading.Thread(target=_stop_when_orphaned, args=(server, parent), daemon=True)
            watch.start()
        # Ctrl-C in the terminal reaches the whole process group, this server too.
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def start_beside(root: Path, host: str, port: int) -> subprocess.Popen[bytes]:
    """This server as a child of the calling process, stopping when that process ends."""
    root.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "orchestration.quality.docs_server"]
    command += ["--root", str(root), "--host", host, "--port", str(port)]
    command += ["--parent", str(os.getpid())]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL)


def base_url(host: str, port: int) -> str:
    """The address a browser on this machine uses (a wildcard bind has no address of its own)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def page_url(page: Path, root: Path, base: str | None = None) -> str | None:
    """The URL of a Data Docs page when a server runs (SMESURVEY_DATA_DOCS_URL), else None."""
    base = base if base is not None else os.environ.get(DOCS_URL_ENV)
    if not base:
        return None
    try:
        relative = page.resolve().relative_to(root.resolve())
    except ValueError:
        return None  # a page of another site
    return base.rstrip("/") + "/" + urllib.parse.quote(relative.as_posix())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, default=None, help="stop when this pid ends")
    args = parser.parse_args(argv)
    try:
        serve(args.root, args.host, args.port, args.parent)
    except OSError as exc:  # the port is taken: one line, the UI itself goes on
        sys.exit(f"Data Docs server: cannot listen on {args.host}:{args.port} ({exc})")


if __name__ == "__main__":
    main()
