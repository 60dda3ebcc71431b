"""Stitching across system transfers, end to end: raw rows -> staging -> marts (real dbt).

A hand-made child moved council (2015) -> trust (2016) -> council (2022): the source holds
three CP plan records (two technical closures, each reopened within 5 working days) and
fct_cp_plans shows ONE continuous plan. See tests/test_dbt_marts_support.py for the data.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_dbt_marts_support import query


@pytest.fixture(scope="module")
def built(scenario_warehouse):
    return scenario_warehouse  # conftest: built once for this module and test_dbt_marts


def _child_key(settings, system: str, person_id: str) -> str:
    rows = query(
        settings,
        "select p.child_key from intermediate.int_child_identity i "
        "join intermediate.int_child_pseudonyms p using (child_id) "
        "where i.source_system = %s and i.person_id = %s",
        (system, person_id),
    )
    assert len(rows) == 1
    return rows[0][0]


def test_council_trust_council_child_has_one_continuous_cp_plan(built):
    key = _child_key(built, "council", "1001")
    assert key == _child_key(built, "trust", "T0000001")
    plans = query(
        built,
        "select start_date, end_date, plan_sequence, is_stitched, record_count, "
        "duration_days, is_ended_after_2_years_or_more, source_systems "
        "from analytics.fct_cp_plans where child_key = %s",
        (key,),
    )
    assert plans == [
        (
            dt.date(2015, 7, 1),
            dt.date(2023, 1, 31),
            1,
            True,
            3,
            (dt.date(2023, 1, 31) - dt.date(2015, 7, 1)).days,
            True,
            "council,trust,council",
        )
    ]
    # the source really had three records
    assert query(built, "select count(*) from staging.stg_trust__cp_plans")[0][0] == 2
    # and its CIN episode is one referral, not three (no re-referral)
    referrals = query(
        built,
        "select referral_date, closure_date, is_re_referral, record_count "
        "from analytics.fct_referrals where child_key = %s",
        (key,),
    )
    assert referrals == [(dt.date(2015, 6, 1), None, False, 3)]
    # reviews of both systems hang off the one plan, numbered across the transfer
    reviews = query(
        built,
        "select r.review_date, r.review_sequence from analytics.fct_cp_reviews r "
        "join analytics.fct_cp_plans p using (cp_plan_key) where p.child_key = %s "
        "order by 1",
        (key,),
    )
    assert reviews == [(dt.date(2015, 9, 20), 1), (dt.date(2016, 9, 1), 2)]


def test_reopening_10_working_days_later_is_a_new_plan(built):
    key = _child_key(built, "council", "1002")
    plans = query(
        built,
        "select start_date, end_date, plan_sequence, is_repeat_plan from analytics.fct_cp_plans "
        "where child_key = %s order by start_date",
        (key,),
    )
    assert plans == [
        (dt.date(2016, 2, 1), dt.date(2016, 3, 31), 1, False),
        (dt.date(2016, 4, 14), dt.date(2017, 1, 10), 2, True),
    ]


def test_care_period_and_placement_continue_across_the_2022_return(built):
    key = _child_key(built, "trust", "T0000003")
    periods = query(
        built,
        "select start_date, end_date, episode_count, placement_count, is_stitched "
        "from analytics.fct_care_periods where child_key = %s",
        (key,),
    )
    assert periods == [(dt.date(2020, 2, 1), None, 3, 2, True)]
    episodes = query(
        built,
        "select source_system, is_period_start, is_new_placement, placement_postcode_district "
        "from analytics.fct_cla_episodes where child_key = %s order by start_date",
        (key,),
    )
    assert episodes == [
        ("trust", True, True, "AB1"),
        ("trust", False, True, "AB1"),
        ("council", False, False, "AB1"),
    ]


def test_allocation_across_the_transfer_is_not_a_change_of_social_worker(built):
    key = _child_key(built, "council", "1005")
    allocations = query(
        built,
        "select count(distinct allocation_key), count(distinct worker_key), "
        "count(distinct allocated_worker_key) from analytics.fct_allocations "
        "where child_key = %s and role_code = 'SW'",
        (key,),
    )
    # three records, two workers (E00001 in trust as jsmith2 and later in council, E00002
    # in between), two allocations, and the SW-changes measure counts one worker
    assert allocations == [(2, 2, 1)]
    month = query(
        built,
        "select social_worker_count_12m, is_allocated_sw from analytics.fct_child_month_end "
        "where child_key = %s and month_end_date = date '2022-10-31'",
        (key,),
    )
    assert month == [(1, True)]
