"""The pseudonym key: generated per home, private, overridable, and guarded against change."""

from __future__ import annotations

import hashlib
import hmac
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration.cli import cli
from orchestration.defs.resources import SurveyHome
from orchestration.pseudonym import (
    KEY_ENV,
    PseudonymKeyError,
    check_key_unchanged,
    home_key,
    key_fingerprint,
    record_fingerprint,
    recorded_fingerprint,
    resolve_key,
)
from orchestration.settings import Home

OTHER_KEY = "ab" * 32


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.delenv(KEY_ENV, raising=False)
    return Home(tmp_path / "home")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_home_gets_a_private_random_key(home: Home) -> None:
    key = home_key(home)
    assert len(key) == 64 and int(key, 16) >= 0
    assert _mode(home.pseudonym_key_file) == 0o600
    assert _mode(home.secrets) == 0o700
    assert not home.pseudonym_key_file.is_relative_to(home.warehouse)
    assert not home.pseudonym_key_file.is_relative_to(home.dagster_home)
    assert home_key(home) == key, "the second use reads the same key"
    assert home_key(Home(home.root.parent / "other")) != key, "every home has its own"
    assert [p.name for p in home.secrets.iterdir()] == ["pseudonym.key"], "no temporary left"


def test_racing_first_uses_end_with_one_key(home: Home) -> None:
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: home_key(home), range(16)))
    assert keys == {home.pseudonym_key_file.read_text().strip()}


def test_the_variable_overrides_the_file(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, OTHER_KEY.upper())
    key = resolve_key(home)
    assert (key.value, key.source) == (OTHER_KEY, KEY_ENV)
    assert not home.pseudonym_key_file.exists(), "an overridden home needs no key file"
    assert OTHER_KEY not in repr(key)
    assert SurveyHome(home=str(home.root)).dbt_env()[KEY_ENV] == OTHER_KEY


def test_the_resource_uses_the_home_key_by_default(home: Home) -> None:
    env = SurveyHome(home=str(home.root)).dbt_env()
    assert env[KEY_ENV] == home.pseudonym_key_file.read_text().strip()


@pytest.mark.parametrize("bad", ["smesurvey-development-key-not-secret", "ab" * 31, "zz" * 32])
def test_an_invalid_variable_is_a_one_line_error(
    home: Home, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv(KEY_ENV, bad)
    with pytest.raises(PseudonymKeyError, match=f"^{KEY_ENV}: not a pseudonym key") as err:
        resolve_key(home)
    assert "\n" not in str(err.value) and bad not in str(err.value)


def test_an_invalid_key_file_is_named(home: Home) -> None:
    home.secrets.mkdir(parents=True)
    home.pseudonym_key_file.write_text("not a key\n")
    with pytest.raises(PseudonymKeyError, match=f"^{home.pseudonym_key_file}: not a pseudonym"):
        home_key(home)


def test_the_fingerprint_identifies_the_key_without_revealing_it() -> None:
    expected = hmac.new(bytes.fromhex(OTHER_KEY), b"smesurvey key fingerprint", hashlib.sha256)
    assert key_fingerprint(OTHER_KEY) == expected.hexdigest()[:16]
    assert key_fingerprint(OTHER_KEY) != key_fingerprint("cd" * 32)
    assert key_fingerprint(OTHER_KEY) not in OTHER_KEY


def test_a_changed_key_is_refused_until_accepted(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey = SurveyHome(home=str(home.root))
    survey.check_pseudonym_key()  # the first build records the home's key
    first = resolve_key(home).fingerprint
    assert recorded_fingerprint(home) == first
    assert _mode(home.pseudonym_fingerprint_file) == 0o600
    survey.check_pseudonym_key()  # the same key: fine

    monkeypatch.setenv(KEY_ENV, OTHER_KEY)
    new = key_fingerprint(OTHER_KEY)
    message = (
        f"pseudonym key changed (fingerprint {new}, the warehouse was built with {first}): "
        "every enterprise_key would change; run `smesurvey key accept` to rebuild with the new key"
    )
    with pytest.raises(PseudonymKeyError) as err:
        SurveyHome(home=str(home.root)).check_pseudonym_key()
    assert str(err.value) == message

    result = CliRunner().invoke(cli, ["--home", str(home.root), "key", "accept"])
    assert result.exit_code == 0, result.output
    assert new in result.output and OTHER_KEY not in result.output
    SurveyHome(home=str(home.root)).check_pseudonym_key()
    assert recorded_fingerprint(home) == new


def test_a_published_warehouse_without_a_record_is_refused(home: Home) -> None:
    """A home published before fingerprints were recorded (or that lost its key file)."""
    home.warehouse.mkdir(parents=True)
    (home.warehouse / "analytics.duckdb").write_bytes(b"")  # as published before releases
    with pytest.raises(PseudonymKeyError, match="every enterprise_key would change"):
        check_key_unchanged(home, resolve_key(home))
    record_fingerprint(home, resolve_key(home))
    check_key_unchanged(home, resolve_key(home))


def test_key_show_never_prints_the_key(home: Home) -> None:
    result = CliRunner().invoke(cli, ["--home", str(home.root), "key", "show"])
    assert result.exit_code == 0, result.output
    key = home_key(home)
    assert key not in result.output
    assert str(home.pseudonym_key_file) in result.output
    assert key_fingerprint(key) in result.output
