"""Storage errors as one line naming the path and the cause.

A full disk or a failing device surfaces in many shapes: `OSError` with ENOSPC,
SQLite's "database or disk is full" / "disk I/O error" through SQLAlchemy (the
Dagster instance), DuckDB's "No space left on device", or a dbt step failure
whose message quotes one of these. `storage_problem` recognizes them all, from
an exception chain or a message, and says where and what; the same command
succeeds again once space is freed, because no step publishes a half result.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

NO_SPACE = "no space left on device"
IO_ERROR = "I/O error"
CAUSES = (
    (re.compile(r"no space left|disk is full|out of disk", re.I), NO_SPACE),
    (re.compile(r"disk i/o error|input/output error", re.I), IO_ERROR),
)
ERRNO_CAUSES = {errno.ENOSPC: NO_SPACE, errno.EDQUOT: "disk quota exceeded", errno.EIO: IO_ERROR}
# An absolute path of two or more parts quoted in a message (not the "/O" of "I/O").
_PART = r"[^\s'\"`:,;()\[\]/]+"
QUOTED_PATH = re.compile(rf"(?<![\w/])((?:/{_PART}){{2,}})")
ADVICE = "free space, then run the same command again"
NEARLY_FULL_BYTES = 64 << 20


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def cause_in_text(text: str) -> str | None:
    """The storage cause a message speaks of, if any."""
    return next((cause for pattern, cause in CAUSES if pattern.search(text)), None)


def path_in_text(text: str) -> Path | None:
    found = QUOTED_PATH.search(text)
    return Path(found.group(1).rstrip(".")) if found else None


def free_bytes(path: Path | str) -> int | None:
    """Space left to unprivileged writers on the filesystem of `path` (or its nearest parent)."""
    current = Path(path)
    while not current.exists() and current != current.parent:
        current = current.parent
    try:
        stats = os.statvfs(current)
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def describe(path: Path | str, cause: str) -> str:
    # SQLite reports a failed write on a full disk as "disk I/O error": the free space
    # tells the two apart.
    free = free_bytes(path) if cause == IO_ERROR else None
    if free is not None and free < NEARLY_FULL_BYTES:
        cause = NO_SPACE
    advice = f"; {ADVICE}" if cause in (NO_SPACE, "disk quota exceeded") else ""
    return f"{path}: {cause}{advice}"


def storage_problem_in_text(text: str, fallback: Path) -> str | None:
    """One line for a message that reports a storage failure, else None."""
    cause = cause_in_text(text)
    if cause is None:
        return None
    return describe(path_in_text(text) or fallback, cause)


def storage_problem(exc: BaseException, fallback: Path) -> str | None:
    """One line for an exception caused by a storage failure, else None.

    `fallback`: the path to name when the error does not carry one (SQLite and
    DuckDB report the failing operation, not always the file).
    """
    chain = _chain(exc)
    for error in chain:
        if isinstance(error, OSError) and error.errno in ERRNO_CAUSES:
            return describe(error.filename or fallback, ERRNO_CAUSES[error.errno])
    for error in chain:
        line = storage_problem_in_text(str(error), fallback)
        if line is not None:
            return line
    return None
