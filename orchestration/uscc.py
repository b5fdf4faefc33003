"""Unified Social Credit Codes (GB 32100-2015): check characters, vectorized.

An 18-character code: registration authority (1), entity type (1), the
administrative division (6 digits), the organization code (9) and a check
character computed over the first 17 with weights 3^i mod 31.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}

# Organization-code part (GB 11714): 8 digits and a check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    """The 18th character for the first 17 characters of a code."""
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True when `code` has 18 characters of the GB 32100 alphabet and a correct check."""
    if not isinstance(code, str) or len(code) != 18:
        return False
    if any(ch not in _VALUE for ch in code):
        return False
    return check_character(code[:17]) == code[17]


def generate(rng: np.random.Generator, n: int, divisions: np.ndarray | None = None) -> np.ndarray:
    """`n` distinct valid codes of enterprises (authority 9, type 1: 企业), vectorized.

    `divisions` gives each code's 6-digit administrative division (e.g. 310115
    for Pudong); the organization part carries a valid GB 11714 check digit.
    """
    if divisions is None:
        divisions = np.full(n, 310000)
    alpha = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    digits = np.frombuffer(b"0123456789", dtype=np.uint8)
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, 0] = ord("9")
    chars[:, 1] = ord("1")
    div = np.asarray(divisions, dtype=np.int64)
    for i in range(6):
        chars[:, 2 + i] = digits[(div // 10 ** (5 - i)) % 10]
    # organization code body: 8 digits, distinct across the batch
    body_values = _distinct_bodies(rng, n)
    org_vals = np.empty((n, 8), dtype=np.int64)
    for i in range(8):
        org_vals[:, 7 - i] = body_values % 10
        body_values //= 10
    chars[:, 8:16] = digits[org_vals]
    org_sum = (org_vals * np.array(_ORG_WEIGHTS)).sum(axis=1)
    org_check = (11 - org_sum % 11) % 11  # 10 -> 'X', 11 -> '0' (already 0 by the modulo)
    org_char = np.where(org_check == 10, ord("X"), ord("0") + np.minimum(org_check, 9))
    chars[:, 16] = org_char
    lookup = np.zeros(256, dtype=np.int64)
    lookup[alpha] = np.arange(31)
    total = (lookup[chars[:, :17]] * np.array(WEIGHTS)).sum(axis=1)
    chars[:, 17] = alpha[(31 - total % 31) % 31]
    return chars.view("S18").ravel().astype(str)


def _distinct_bodies(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct integers in [0, 10**8) drawn without per-item loops."""
    space = 10**8
    values = rng.integers(0, space, size=n + n // 10 + 16, dtype=np.int64)
    values = np.unique(values)
    while values.size < n:  # astronomically rare at survey sizes; keeps the contract
        values = np.unique(np.concatenate([values, rng.integers(0, space, size=n, dtype=np.int64)]))
    return rng.permutation(values)[:n]
