"""Stateless, reproducible randomness: every draw is a hash of its coordinates.

The market is a pure function of (seed, time): a quote at any instant is computed from the
hash of (seed, game, book, update index), so nothing has to be simulated forward, the
order of requests does not matter, and a historical snapshot equals the live response the
market gave at that time.
"""

from __future__ import annotations

import hashlib
import math

__all__ = ["mix", "normal", "salt", "uniform"]

_MASK = (1 << 64) - 1


def _splitmix(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def mix(*values: int) -> int:
    """A 64-bit hash of integer coordinates (splitmix64 chained over the values)."""
    h = 0x2545F4914F6CDD1D
    for value in values:
        h = _splitmix(h ^ (value & _MASK))
    return h


def salt(text: str) -> int:
    """A stable integer for a string (``hash()`` is randomised per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def uniform(*values: int) -> float:
    """A uniform draw in (0, 1)."""
    return ((mix(*values) >> 11) + 0.5) * 2.0**-53


def normal(*values: int) -> float:
    """A standard normal draw (Box-Muller on two hashed uniforms)."""
    h = mix(*values)
    u1 = ((h >> 11) + 0.5) * 2.0**-53
    u2 = ((_splitmix(h) >> 11) + 0.5) * 2.0**-53
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
