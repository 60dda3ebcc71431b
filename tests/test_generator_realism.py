"""Realism at scale 1 (a mid-sized English authority), measured on the simulated world in memory
(the same replay that writes the files), as at two dates: before and after the improvement plan."""

from __future__ import annotations

from datetime import date

import pytest

from csc_warehouse.generate.stats import measure


@pytest.fixture(scope="module")
def m():
    return measure(seed=1, scale=1.0, dates=[date(2019, 9, 30), date(2024, 9, 30)])


RANGES = {
    "referrals_12m": (3400, 4600),
    "open_cin": (2300, 3400),
    "open_cp": (380, 560),
    "open_cla": (420, 590),
    "re_referral_rate": (0.14, 0.26),
    "cp_starts_12m": (420, 700),
    "disabled_share": (0.07, 0.15),
    "hidden_share_of_disabled": (0.45, 0.8),
    "ehcp_20_weeks": (0.5, 0.72),
    "agency_rate": (0.0, 0.15),
    "turnover": (0.08, 0.26),
    "sw_changes_3plus": (0.05, 0.2),
    "caseload_mean": (12, 24),
}


@pytest.mark.parametrize("when", ["2019-09-30", "2024-09-30"])
def test_scale_one_is_a_mid_sized_authority(m, when):
    got = m[when]
    for key, (lo, hi) in RANGES.items():
        assert lo <= got[key] <= hi, (when, key, got[key])
    assert got["unallocated"] > 0  # the scrutiny committee has something to look at


def test_front_door_story(m):
    """Contacts: only the council records them, none in the trust's years; back at the council,
    ~2 contacts for each referral. Early help (the council's throughout) in every year."""
    before, after = m["2019-09-30"], m["2024-09-30"]
    assert before["contacts_12m"] == 0
    assert 1.8 <= after["contacts_per_referral"] <= 3.0, after["contacts_per_referral"]
    for got in (before, after):
        assert 600 <= got["early_help_started_12m"] <= 1400, got["early_help_started_12m"]


def test_workforce_story(m):
    before, after = m["2019-09-30"], m["2024-09-30"]
    assert 0.13 <= before["vacancy_rate"] <= 0.26
    assert 0.03 <= after["vacancy_rate"] <= 0.11
    assert before["caseload_max"] >= 38  # the stretched team
