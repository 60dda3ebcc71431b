"""The saved world: where a generated history stopped, so the next night carries on from
there in seconds instead of replaying the world from its 2001 warm-up (docs/generator.md).

A run of ``generate`` ends by saving its world beside the landing folder (never in it), in
``LANDING.generator.world``: a short JSON header (seed, scale, the generator's fingerprint,
the last day replayed, whether the trust's current snapshot is held) and a pickle of the world
and of the writers' state that outlives a night. The next run uses it when it continues the
same world (same seed, scale and code) from a later night and needs nothing the saved world
cannot give (the ground truth, a council full folder written after it); otherwise it replays
from the start as before. Either way the files are byte-identical (tested).

The file is the project's own cache, written and read by the same user as the landing folder;
like any pickle it must not come from anyone else.
"""

from __future__ import annotations

import array
import copyreg
import gc
import json
import os
import pickle
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"CSC-GENERATOR-WORLD 1\n"
assert array.array("I").itemsize == 4  # a Mersenne Twister word
SUFFIX = ".generator.world"


def path_for(out: Path) -> Path:
    out = Path(out)
    return out.parent / f"{out.name}{SUFFIX}"


@dataclass
class SavedWorld:
    header: dict[str, Any]
    world: Any
    trust_state: dict | None

    @property
    def day(self) -> int:
        return int(self.header["day"])


def _restore_random(version: int, words: bytes, gauss_next):
    state = array.array("I")
    state.frombytes(words)
    rng = random.Random()
    rng.setstate((version, tuple(state), gauss_next))
    return rng


def _reduce_random(rng: random.Random):
    """A random stream as 2.5 KB of bytes. Pickled as itself it is a tuple of 625 ints
    (~22 KB) that the pickler keeps alive until the end: at scale 10 the world's ~100,000
    streams (one per allocation still to come) cost the save 2.5 GB."""
    version, internal, gauss_next = rng.getstate()
    return _restore_random, (version, array.array("I", internal).tobytes(), gauss_next)


def save(out: Path, key: dict, day: int, world, trust_state: dict | None) -> Path:
    """Write the world as it stands after ``day`` (an ordinal); atomically replaces the last."""
    path = path_for(out)
    header = {**key, "day": day, "trust": trust_state is not None}
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(MAGIC)
        fh.write(json.dumps(header, sort_keys=True).encode() + b"\n")
        pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = {**copyreg.dispatch_table, random.Random: _reduce_random}
        pickler.dump((world, trust_state))
    os.replace(tmp, path)
    return path


def read_header(out: Path) -> dict[str, Any] | None:
    path = path_for(out)
    try:
        with path.open("rb") as fh:
            if fh.readline() != MAGIC:
                return None
            return json.loads(fh.readline())
    except (OSError, ValueError):
        return None


def load(out: Path, key: dict, before: int, need_trust: bool) -> SavedWorld | None:
    """The saved world, when it is the same world (``key``), stopped before the day
    ``before`` (an ordinal: the first night to write) and holds the trust's snapshot if
    ``need_trust``; else None (the caller replays from the start)."""
    header = read_header(out)
    if header is None or any(header.get(k) != v for k, v in key.items()):
        return None
    if header["day"] >= before or (need_trust and not header["trust"]):
        return None
    with path_for(out).open("rb") as fh:
        fh.readline(), fh.readline()
        gc.disable()  # millions of small objects: the collector would only slow the load
        try:
            world, trust_state = pickle.load(fh)
        finally:
            gc.enable()
    return SavedWorld(header, world, trust_state)
