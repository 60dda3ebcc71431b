"""A generated, backfilled warehouse shared by the end-to-end tests (built once per session).

History: 2015-04-01 .. HISTORY_END at a tiny scale, loaded as a backfill (every archived
folder, council deltas in order). Tests then generate "tonight" (and later nights, with
faults) and run the real nightly job on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
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

    @property
    def env(self) -> dict[str, str]:
        return {
            "CSC_PG_DATABASE": self.settings.pg_database,
            "CSC_LANDING": str(self.landing),
            "CSC_OUTPUT": str(self.output),
        }

    def cli(self, *args: str, check: bool = True, timeout: int = 1200):
        env = {**os.environ, **self.settings.tool_env(), **self.env}
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


def build_warehouse(make_database, root: Path) -> Warehouse:
    settings = make_database("csc_test_e2e")
    settings = get_settings(
        {**settings.env, "CSC_LANDING": str(root / "landing"), "CSC_OUTPUT": str(root / "out")}
    )
    wh = Warehouse(settings, root / "landing", root / "out", root / "truth")
    wh.generate(HISTORY_START, HISTORY_END, "--truth", str(wh.truth))
    wh.cli("load", "--landing", str(wh.landing), "--all-pending", "--quiet")
    return wh
