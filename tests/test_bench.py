"""SLOW: `csc-warehouse bench` runs end to end at a tiny scale, so the benchmark never rots.

A short history (2022-03-25 .. 2022-06-29, the council starting with a full folder as at a
go-live, the trust's last snapshots included) at scale 0.01, then the ordinary night of
2022-06-30, timed stage by stage; the full refresh of the same data must give exactly the
tables the incremental night published, and the loader ratios must be measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
COPY_FLOOR = Path(__file__).resolve().parents[1] / "bench" / "copy_floor.py"


def test_bench_smoke_run(tmp_path, base_settings):
    out = tmp_path / "bench.json"
    env = {**os.environ, **base_settings.tool_env()}
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "csc_warehouse",
            "bench",
            "--scale",
            "0.01",
            "--start",
            "2022-03-25",
            "--night",
            "2022-06-30",
            "--no-docs",
            "--repeats",
            "2",
            "--json",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, (res.stdout + res.stderr)[-5000:]
    result = json.loads(out.read_text())
    stages = result["stages"]
    assert stages["backfill_load"]["folders"] > 90 and stages["backfill_load"]["rows"] > 0
    assert stages["backfill_build"]["ok"]
    night = stages["ordinary_night"]
    assert night["ok"], night["error"]
    for stage in ("load", "raw gates", "dbt build", "mart gates + publish", "scorecard report"):
        assert night["stages"][stage]["seconds"] >= 0, stage
    ratio = result["ratios"]["dbt_incremental_vs_full"]
    assert ratio["identical"], ratio["differing_tables"]
    assert "mart_build.fct_visits" in ratio["incremental_marts"]
    assert ratio["full_refresh_s"] > 0 and ratio["ratio"] > 0
    assert ratio["quiet_night_s"] > 0 and ratio["quiet_ratio"] > 0  # nothing new loaded
    for name, key in (("quiet_night", "quiet_night_s"), ("full_refresh", "full_refresh_s")):
        runs = ratio["runs_s"][name]  # --repeats 2: timed twice, the median reported
        assert len(runs) == 2 and abs(ratio[key] - sum(runs) / 2) <= 0.1, ratio
    loader = result["ratios"]["loader_vs_copy"]
    assert loader  # the trust's last snapshot (2022-04-05) is in the history
    memory = result["peak_memory_mib"]
    assert memory["ordinary_night"]["python"] > 0 and memory["ordinary_night"]["postgres_pss"] > 0
    assert memory["generator"] > 0 and memory["backfill"]["python"] > 0
    # the returns an analyst builds from that mart are timed, with their validator verdict
    returns = result["returns"]
    assert set(returns) == {"cin-census", "ssda903", "annex-a", "csww"}
    assert returns["annex-a"]["counts"] and returns["csww"]["counts"], returns
    for name in ("cin-census", "ssda903"):
        # 2021-22: the validators hold no ruleset before 2022-23, and the bench says so
        assert "error" in returns[name] or "errors" in returns[name], returns[name]


@pytest.mark.skipif(
    os.environ.get("CSC_TEST_REGION_BENCH") != "1",
    reason="2.5 min: CSC_TEST_REGION_BENCH=1 runs it (the suite's budget; the regional night "
    "itself is tested in test_region.py)",
)
def test_region_bench_smoke_run(tmp_path, base_settings):
    """`bench --authorities 2` on a two-night history (a go-live): one authority backfilled,
    the other its copy, the region's night timed with both published and pooled.
    Opt-in (CSC_TEST_REGION_BENCH=1): it keeps `make test` inside its 20 minutes."""
    out = tmp_path / "region.json"
    env = {**os.environ, **base_settings.tool_env()}
    env.pop("CSC_REGION", None)
    res = subprocess.run(
        [
            sys.executable, "-m", "csc_warehouse", "bench", "--scale", "0.01",
            "--authorities", "2", "--parallel", "2", "--start", "2025-06-28", "--night", "2025-06-30",
            "--no-docs", "--json", str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert res.returncode == 0, (res.stdout + res.stderr)[-5000:]
    result = json.loads(out.read_text())
    assert result["stages"]["backfill"]["seconds"] > 0
    night = result["nights"]["2025-06-30"]
    assert night["published"] == 2 and night["pooled_views"] > 30
    assert set(night["authorities"]) == {"801", "802"}
    for authority in night["authorities"].values():
        assert authority["published"] and authority["stages"]["dbt build"] > 0
    assert night["peak_memory_mib"]["python"] > 0


def test_copy_floor_measures_every_lineage_variant(tmp_path, base_settings):
    """bench/copy_floor.py (the floor under any loader, docs/loading.md) runs on a small trust
    snapshot and reports every variant against the plain COPY."""
    env = {**os.environ, **base_settings.tool_env()}
    landing = tmp_path / "landing"
    subprocess.run(
        [sys.executable, "-m", "csc_warehouse", "generate", "--out", str(landing), "--quiet"]
        + ["--scale", "0.01", "--systems", "trust", "--start", "2022-04-05"]
        + ["--end", "2022-04-05", "--no-save-world"],
        env=env,
        check=True,
        capture_output=True,
    )
    res = subprocess.run(
        [sys.executable, str(COPY_FLOOR), "--folder", str(landing / "trust" / "2022-04-05")]
        + ["--reps", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    result = json.loads(res.stdout)
    assert result["rows"] > 1000
    assert set(result["over_plain"]) == {
        "plain",
        "+batch",
        "+batch+line",
        "+lineage",
        "+lineage+brin",
    }
    assert result["over_plain"]["plain"] == 1.0
    assert all(seconds > 0 for seconds in result["median_s"].values())
