"""A generated, backfilled warehouse shared by the end-to-end tests (built once per session).

History: 2015-04-01 .. HISTORY_END at a tiny scale, loaded as a backfill (every archived
folder, council deltas in order). Tests then generate "tonight" (and later nights, with
faults) and run the real nightly job on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from csc_warehouse.config import Settings, get_settings

E2E_SCALE = float(os.environ.get("CSC_E2E_SCALE", "0.02"))
E2E_SEED = 11
HISTORY_START = date(2015, 4, 1)
HISTORY_END = date(2025, 9, 28)
TONIGHT = date(2025, 9, 29)  # a Monday


@dataclass
class Warehouse:
    settings: Settings
    landing: Path
    output: Path
    truth: Path
    generated_until: date = HISTORY_END

    @property
    def env(self) -> dict[str, str]:
        return {
            "CSC_PG_DATABASE": self.settings.pg_database,
            "CSC_LANDING": str(self.landing),
            "CSC_OUTPUT": str(self.output),
        }

    def cli(
        self, *args: str, check: bool = True, timeout: int = 1200, env_extra: dict | None = None
    ):
        env = {**os.environ, **self.settings.tool_env(), **self.env, **(env_extra or {})}
        res = subprocess.run(
            [sys.executable, "-m", "csc_warehouse", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and res.returncode != 0:
            raise AssertionError(
                f"csc-warehouse {' '.join(args)} exited {res.returncode}:\n"
                f"{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
            )
        return res

    def generate(self, start: date, end: date, *extra: str):
        return self.cli(
            "generate",
            "--out",
            str(self.landing),
            "--seed",
            str(E2E_SEED),
            "--scale",
            str(E2E_SCALE),
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
            "--quiet",
            *extra,
        )

    def advance_to(self, night: date, *extra: str):
        """Generate every night after the last one written up to ``night`` (the last one with
        ``extra`` options, e.g. faults): tests can run alone or in any order."""
        if night <= self.generated_until:
            raise ValueError(f"{night} is already generated (up to {self.generated_until})")
        before = night - timedelta(days=1)
        if before > self.generated_until:
            self.generate(self.generated_until + timedelta(days=1), before)
        self.generate(night, night, *extra)
        self.generated_until = night

    def next_night(self) -> date:
        return self.generated_until + timedelta(days=1)


def build_warehouse(make_database, root: Path) -> Warehouse:
    settings = make_database("csc_test_e2e")
    settings = get_settings(
        {**settings.env, "CSC_LANDING": str(root / "landing"), "CSC_OUTPUT": str(root / "out")}
    )
    wh = Warehouse(settings, root / "landing", root / "out", root / "truth")
    wh.generate(HISTORY_START, HISTORY_END, "--truth", str(wh.truth))
    wh.cli("load", "--landing", str(wh.landing), "--all-pending", "--quiet")
    return wh


@dataclass
class NightOutput:
    """One night run with ``csc-warehouse nightly --json``: its console output and the run."""

    night: date
    returncode: int
    output: str
    run: dict = field(default_factory=dict)

    def stage(self, name: str) -> dict:
        return next(s for s in self.run["stages"] if s["name"] == name)


def is_published(wh: Warehouse) -> bool:
    import psycopg

    with psycopg.connect(wh.settings.conninfo()) as conn:
        return conn.execute("select to_regclass('bi.dim_child')").fetchone()[0] is not None


def ensure_published(wh: Warehouse) -> None:
    """A published mart in ``bi``: when the tests before have not published one, generate
    the next night and run it with ``csc-warehouse nightly`` (tests can run alone)."""
    if not is_published(wh):
        night = wh.next_night()
        wh.advance_to(night)
        wh.cli("nightly", "--date", night.isoformat(), "--no-report")


def run_ordinary_night(wh: Warehouse) -> NightOutput:
    """An ordinary night: the next night after a published one, run end to end with
    ``csc-warehouse nightly`` as an operator would. Shared by the tests of the incremental
    build and of personal data in logs."""
    ensure_published(wh)
    night = wh.next_night()
    wh.advance_to(night)
    out = wh.output / f"nightly-{night.isoformat()}.json"
    res = wh.cli("nightly", "--date", night.isoformat(), "--json", str(out), check=False)
    run = json.loads(out.read_text()) if out.exists() else {}
    return NightOutput(night, res.returncode, res.stdout + res.stderr, run)
