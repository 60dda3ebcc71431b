"""The realism cross-check (src/csc_warehouse/realism.py) on the shared generated warehouse.

The mart built from the generated history must look like the authority the generator draws:
volumes within the scaled ranges, and the structural ratios (one period of care per start of
care, one CP plan per child on a plan) exact enough to catch a mart that splits a period of
care at every placement move (the session-1 defect: 2.3 periods per start)."""

from __future__ import annotations

import pytest
from e2e_support import E2E_SCALE, ensure_published

from csc_warehouse import realism

pytestmark = pytest.mark.slow


def test_ranges_scale_with_the_authority_size():
    cp = next(e for e in realism.EXPECTED if e.name.startswith("children on CP"))
    low, high = realism._bounds(cp, 1.0)
    assert (round(low), round(high)) == (322, 588)  # 380-520, widened by 3 Poisson sd
    low, high = realism._bounds(cp, 0.1)
    assert (round(low, 1), round(high, 1)) == (19.5, 73.6)
    rate = next(e for e in realism.EXPECTED if e.kind == "rate")
    assert realism._bounds(rate, 0.02) == (rate.low, rate.high)  # rates do not scale


@pytest.fixture(scope="module")
def published(e2e_warehouse):
    ensure_published(e2e_warehouse)
    return e2e_warehouse


def test_the_mart_looks_like_the_generated_authority(published):
    res = published.cli("report", "realism", "--scale", str(E2E_SCALE), check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "checks in range or skipped" in res.stdout
    checks = {c.name: c for c in realism.cross_check(published.settings, E2E_SCALE)}
    assert all(c.status != "out of range" for c in checks.values()), checks
    periods = checks["periods of care per episode starting care (S)"]
    assert periods.status == "ok", periods  # enough starts of care to judge, and in range
    assert 0.9 <= periods.value <= 1.1
    assert checks["children looked after at the month end"].value > 0
