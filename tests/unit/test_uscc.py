"""USCC check characters per GB 32100-2015."""

import numpy as np
import pytest

from orchestration import uscc

# Published codes of real enterprises (business licences are public in China).
KNOWN_VALID = [
    "91330100716105852F",
    "914403001922038216",
    "9144030071526726XG",
    "91350100M000100Y43",
    "91110000802100433B",
]


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_valid_codes(code):
    assert uscc.is_valid(code)


@pytest.mark.parametrize(
    "code",
    [
        "91330100716105852E",  # wrong check character
        "91330100716105852",  # 17 characters
        "913301007161058521F",  # 19 characters
        "91330100716I05852F",  # I is not in the alphabet
        "91330100716105852f",  # lower case
        "",
    ],
)
def test_invalid_codes(code):
    assert not uscc.is_valid(code)


def test_generated_codes_are_valid_distinct_and_deterministic():
    a = uscc.generate(np.random.default_rng(7), 5000, np.full(5000, 310115))
    b = uscc.generate(np.random.default_rng(7), 5000, np.full(5000, 310115))
    assert (a == b).all()
    assert len(set(a)) == 5000
    assert all(uscc.is_valid(c) for c in a)
    assert all(c[2:8] == "310115" for c in a)
