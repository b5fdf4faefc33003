"""The secret key of the enterprise pseudonyms, and the guard against changing it.

`enterprise_key` = HMAC-SHA256(key, upper(trim(USCC))), computed by dbt
(dbt_project/macros/pseudonym.sql). USCCs are public, so whoever knows the key can
re-identify every enterprise: there is no default key. The first use of a home
generates a random 256-bit key into `<home>/secrets/pseudonym.key` (0600, folder
0700); `SMESURVEY_PSEUDONYM_KEY` (64 hex characters) overrides it.

A warehouse records the fingerprint of the key it was built with; a build under
another key would change every `enterprise_key` (and break panel links with what
analysts already hold), so it is refused until `smesurvey key accept`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import Home

KEY_ENV = "SMESURVEY_PSEUDONYM_KEY"
KEY_BYTES = 32
_HEX_KEY = re.compile(r"[0-9a-f]{64}")
# The fingerprint is a keyed hash of a fixed label: it identifies a key without
# revealing anything that would let someone compute enterprise_keys.
_FINGERPRINT_LABEL = b"smesurvey key fingerprint"
ACCEPT_HINT = "run `smesurvey key accept` to rebuild with the new key"


class PseudonymKeyError(ValueError):
    """A key that is not 64 hex characters, or a key that changed under a built warehouse."""


@dataclass(frozen=True)
class PseudonymKey:
    """A validated key and where it came from (the variable's name or the file's path)."""

    value: str = field(repr=False)  # never in logs or tracebacks
    source: str

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.value)


def validate_key(text: str, source: str) -> str:
    """The key as 64 lowercase hex characters; a one-line error naming `source` otherwise."""
    key = text.strip().lower()
    if not _HEX_KEY.fullmatch(key):
        raise PseudonymKeyError(
            f"{source}: not a pseudonym key (expected 64 hex characters, "
            f"e.g. from `openssl rand -hex 32`; got {len(key)} characters)"
        )
    return key


def key_fingerprint(key: str) -> str:
    """16 hex characters that tell keys apart; the key cannot be derived from them."""
    return hmac.new(bytes.fromhex(key), _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def _private_folder(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask, and the folder may predate us
    return folder


def _write_private(path: Path, text: str) -> Path:
    """A new 0600 temporary file next to `path` holding `text` (never readable by others,
    not even briefly: the mode is set when the file is created)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    return temp


def _create_key_file(path: Path) -> None:
    """Write a fresh key unless one appears first: os.link fails on an existing name,
    so of two processes racing here exactly one key survives and both then read it."""
    _private_folder(path.parent)
    temp = _write_private(path, secrets.token_hex(KEY_BYTES) + "\n")
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink(missing_ok=True)


def file_key(home: Home) -> PseudonymKey:
    """The home's key file, created on first use."""
    path = home.pseudonym_key_file
    if not path.is_file():
        _create_key_file(path)
    return PseudonymKey(validate_key(path.read_text(encoding="ascii"), str(path)), str(path))


def resolve_key(home: Home, configured: str = "") -> PseudonymKey:
    """`configured` (a resource's setting, itself from the variable), else the variable,
    else the home's key file."""
    override = configured or os.environ.get(KEY_ENV, "")
    if override:
        return PseudonymKey(validate_key(override, KEY_ENV), KEY_ENV)
    return file_key(home)


def home_key(home: Home) -> str:
    """The key the pipeline uses for this home (see resolve_key)."""
    return resolve_key(home).value


# The fingerprint is recorded in a file next to the key rather than in the build DB:
# it is the same for both dbt engines (Spark's marts are not in build.duckdb), it can
# be read while a run holds the build DB's lock, and it survives deleting warehouse/
# to rebuild from landing/ -- the moment a changed key would otherwise slip through
# while analysts still hold the old enterprise_keys.
def recorded_fingerprint(home: Home) -> str | None:
    path = home.pseudonym_fingerprint_file
    return path.read_text(encoding="ascii").strip() if path.is_file() else None


def record_fingerprint(home: Home, key: PseudonymKey) -> str:
    """Record `key` as the one the warehouse is built with; returns its fingerprint."""
    path = home.pseudonym_fingerprint_file
    _private_folder(path.parent)
    os.replace(_write_private(path, key.fingerprint + "\n"), path)
    return key.fingerprint


def check_key_unchanged(home: Home, key: PseudonymKey) -> None:
    """Before a build: refuse a key other than the recorded one; record it on first build.

    With nothing recorded but an analytics DB already published (a home built before
    fingerprints were recorded, or whose key file was lost), the published
    enterprise_keys came from some other key: refused as well.
    """
    recorded = recorded_fingerprint(home)
    # a release, or the single analytics DB that homes published before releases
    legacy = home.warehouse / "analytics.duckdb"
    published = next((p for p in (home.analytics_db, legacy) if p.is_file()), None)
    if recorded is None and published is not None:
        raise PseudonymKeyError(
            f"pseudonym key not recorded for this warehouse (fingerprint {key.fingerprint}, "
            f"but {published} was published with an unrecorded key): every "
            f"enterprise_key would change; {ACCEPT_HINT}"
        )
    if recorded is None:
        record_fingerprint(home, key)
    elif recorded != key.fingerprint:
        raise PseudonymKeyError(
            f"pseudonym key changed (fingerprint {key.fingerprint}, the warehouse was built "
            f"with {recorded}): every enterprise_key would change; {ACCEPT_HINT}"
        )
