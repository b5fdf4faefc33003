"""Check and decode a CSV file block by block, so memory stays flat whatever its size.

One pass finds what `detect` refuses (empty file, over-long lines, NUL bytes) and
whether the body is valid UTF-8; a GB18030 file is then transcoded to a temporary
UTF-8 file with an incremental decoder. Arrow reads the UTF-8 bytes from disk, so
no Python string of the whole file is ever built.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

# Large enough to amortize per-block work, small enough to keep the peak low.
BLOCK_BYTES = 16 << 20
NEWLINE = ord("\n")
# Longer than detect.MAX_LINE_BYTES: a line this long is refused anyway, so its
# bytes are not held for the UTF-8 check.
LINE_CAP = 4 << 20
# Repeated byte-order marks are looked for in this many leading bytes.
BOM_WINDOW = 64


@dataclass(frozen=True)
class TextScan:
    """What one pass over a file's bytes found (line numbers are 1-based)."""

    size: int
    bom_bytes: int  # leading UTF-8 byte-order marks (one or several)
    longest_line: int
    longest_bytes: int
    first_nul: int | None  # byte offset of the first NUL byte
    nul_line: int | None
    utf8: bool  # the body after the BOMs is valid UTF-8


def _leading_boms(head: bytes) -> int:
    n = 0
    while head.startswith(codecs.BOM_UTF8, n):
        n += len(codecs.BOM_UTF8)
    return n


def valid_utf8(data: bytes) -> bool:
    """Arrow's SIMD UTF-8 validation, without copying the bytes."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32).tobytes())
    try:
        pa.StringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _blocks(path: Path, size: int = BLOCK_BYTES) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(size):
            yield block


def scan_text(path: Path, block_bytes: int = BLOCK_BYTES) -> TextScan:
    """Line lengths, the first NUL byte and UTF-8 validity of a file, in one pass."""
    size = path.stat().st_size
    lines_before = 0  # newlines in earlier blocks
    line_start = 0  # byte offset where the current line began
    longest, longest_bytes = 0, -1
    first_nul = nul_line = None
    utf8 = True
    with path.open("rb") as fh:
        bom = _leading_boms(fh.read(BOM_WINDOW))
    skip = bom  # BOM bytes not yet passed, left out of the UTF-8 check
    pending = b""  # bytes after the last newline, validated with the next block
    offset = 0
    for block in _blocks(path, block_bytes):
        data = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(data == NEWLINE)
        if ends.size:
            starts = np.concatenate(([line_start - offset - 1], ends[:-1]))
            lengths = ends - starts - 1
            at = int(np.argmax(lengths))
            if lengths[at] > longest_bytes:
                longest, longest_bytes = lines_before + at + 1, int(lengths[at])
            line_start = offset + int(ends[-1]) + 1
        if first_nul is None:
            nul = block.find(b"\x00")
            if nul >= 0:
                first_nul = offset + nul
                nul_line = lines_before + int(np.count_nonzero(data[:nul] == NEWLINE)) + 1
        if utf8 and len(pending) <= LINE_CAP:
            # A newline never sits inside a multibyte character: validate up to the last one.
            # (A line over LINE_CAP is refused for its length: its bytes need no check.)
            body = pending + block[skip:]
            skip = max(0, skip - len(block))
            cut = body.rfind(b"\n") + 1
            utf8 = valid_utf8(body[:cut])
            pending = body[cut:]
        lines_before += int(ends.size)
        offset += len(block)
    tail = size - line_start
    if tail > longest_bytes:
        longest, longest_bytes = lines_before + 1, tail
    if utf8 and pending and len(pending) <= LINE_CAP:
        utf8 = valid_utf8(pending)
    return TextScan(size, bom, longest, max(longest_bytes, 0), first_nul, nul_line, utf8)


def utf8_reason(path: Path, skip: int) -> str:
    """Python's reason for the first invalid UTF-8 byte (only on the error path)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    first = True
    for block in _blocks(path):
        try:
            decoder.decode(block[skip:] if first else block)
        except UnicodeDecodeError as exc:
            return exc.reason
        first = False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return exc.reason
    return "invalid UTF-8"


def transcode(path: Path, encoding: str, target: Path, block_bytes: int = BLOCK_BYTES) -> bool:
    """Write `path`, decoded strictly as `encoding`, to `target` as UTF-8.

    False when the bytes do not decode.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with target.open("wb") as out:
            for block in _blocks(path, block_bytes):
                out.write(decoder.decode(block).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError:
        return False
    return True


@contextmanager
def utf8_copy(path: Path, encoding: str) -> Iterator[Path | None]:
    """A temporary UTF-8 copy of a file in `encoding` (None when it does not decode)."""
    with tempfile.TemporaryDirectory(prefix="smesurvey-csv-") as tmp:
        target = Path(tmp) / path.name
        yield target if transcode(path, encoding, target) else None
