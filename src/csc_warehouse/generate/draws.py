"""Fast draws for the simulation's hot paths.

``random.Random.randint`` and ``.choice`` go through ``_randbelow`` (getrandbits with
rejection), several times slower than one ``random()``; the simulation draws millions of them.
These take one ``random()`` each: deterministic for a seed like the originals (the bias of
``int(random() * n)`` is below 2**-40 for the small ranges used here).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def randint(rng: random.Random, a: int, b: int) -> int:
    """An integer in [a, b], both included (as ``rng.randint(a, b)``)."""
    return a + int(rng.random() * (b - a + 1))


def choice(rng: random.Random, seq: Sequence[T]) -> T:
    """One element of a non-empty sequence (IndexError when empty, as ``rng.choice``)."""
    return seq[int(rng.random() * len(seq))]
