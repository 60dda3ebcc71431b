"""The scorecard from raw source rows: the real staging, intermediate and mart models, then the
scorecard, its worklists and its dbt unit tests (one per measure, the working in
models/marts/scorecard/_scorecard__unit_tests.yml), on the hand-made scenario of
tests/test_dbt_marts_support.py plus one child (F) of our own. Every expected figure below is
worked out by hand in its comment; the traps are the spec's: a technical closure is not a
referral, a re-referral or a new CP plan; a CP plan continuous across the transfer counts at
its full length; a technical transfer is not a change of social worker; bank holidays are not
working days; a worker's caseload counts each child once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from test_dbt_marts_support import dbt, prepare, query, scenario

D = dt.date


def _with_child_f():
    r = scenario()
    # F (council only, 2024): a case opened 1 Feb 2024, an assessment across Easter, a CP
    # plan from 2 Apr 2024, two SW allocations to the same worker, CP visits in May.
    r.add(
        "council",
        "people",
        person_id="1010",
        first_name="Frank",
        last_name="Testcase",
        date_of_birth=D(2015, 1, 1),
        sex="M",
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="7001",
        person_id="1010",
        step_type="REF",
        started_on=D(2024, 2, 1),
        team="CP1",
        attributes='{"source": "5A", "primary_need": "N1"}',
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="7002",
        person_id="1010",
        step_type="ASMT",
        started_on=D(2024, 3, 1),
        completed_on=D(2024, 5, 7),
        parent_step_id="7001",
        team="CP1",
        attributes='{"factors": ["2A"]}',
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="7003",
        person_id="1010",
        step_type="CPP",
        started_on=D(2024, 4, 2),
        parent_step_id="7001",
        team="CP1",
        attributes='{"initial_category": "NEG", "latest_category": "NEG"}',
    )
    for allocation_id, start in (("8101", D(2024, 2, 1)), ("8102", D(2024, 3, 1))):
        r.add(
            "council",
            "allocations",
            allocation_id=allocation_id,
            person_id="1010",
            worker_id="E00002",
            role="SW",
            started_on=start,
        )
    # seen on Fri 17 May 2024; a CPV visit on Wed 29 May at which he was not seen alone
    r.add(
        "council",
        "visits",
        visit_id="6101",
        person_id="1010",
        visit_date=D(2024, 5, 17),
        visit_type="CPV",
        seen_alone=True,
        worker_id="E00002",
    )
    r.add(
        "council",
        "visits",
        visit_id="6102",
        person_id="1010",
        visit_date=D(2024, 5, 29),
        visit_type="CPV",
        seen_alone=False,
        worker_id="E00002",
    )
    return r


@pytest.fixture(scope="module")
def built(make_database):
    settings = make_database("csc_test_scorecard")
    prepare(settings, _with_child_f())
    dbt(settings, "seed", "--quiet")
    # everything the scorecard and the worklists read, then their own tests: data tests and
    # the dbt unit tests (which need the upstream relations to exist)
    dbt(
        settings,
        "run",
        "--select",
        "+path:models/marts/scorecard",
        "+path:models/case_level/worklists",
    )
    out = dbt(
        settings,
        "test",
        "--select",
        "path:models/marts/scorecard",
        "path:models/case_level/worklists",
        "scorecard_targets",
    )
    return settings, out


def _row(settings, measure_id, month_end, breakdown="all", period="month"):
    rows = query(
        settings,
        "select numerator, denominator, value, rag from analytics.fct_scorecard_monthly"
        " where measure_id = %s and month_end = %s and breakdown = %s and period = %s",
        (measure_id, month_end, breakdown, period),
    )
    assert len(rows) == 1, (measure_id, month_end, rows)
    return rows[0]


def test_dbt_tests_of_the_scorecard_pass_with_one_unit_test_per_measure(built):
    _, out = built
    # the 19 measures of the spec, one unit test each (test_measure_*), plus 2 of the
    # scorecard table (RAG at its edges; ytd and previous month)
    passed = {
        line.split("::")[1].split()[0]
        for line in out.splitlines()
        if "PASS" in line and "::test_" in line
    }
    assert len({t for t in passed if t.startswith("test_measure_")}) == 19, sorted(passed)
    assert {
        "test_scorecard_monthly_rag_edges",
        "test_scorecard_monthly_rag_ytd_and_previous_month",
    } <= passed
    assert "ERROR=0" in out and "WARN=0" in out


def test_technical_closure_is_not_a_referral_or_re_referral(built):
    settings, _ = built
    # April 2022: A (council reopening 4 Apr), C (1 Apr) and E (5 Apr) were reopened after
    # the trust's technical closures: one stitched episode each, no referral in the month.
    assert _row(settings, "re_referrals", D(2022, 4, 30))[:2] == (0, 0)
    # April 2016: A's trust reopening (4 Apr) is a continuation; B's trust referral on 14 Apr
    # came 10 working days after the council's technical closure (over 5): a real referral,
    # and a re-referral (its previous, 5 Jan 2016, is within 12 months): 1 of 1.
    assert _row(settings, "re_referrals", D(2016, 4, 30))[:3] == (1, 1, Decimal("100.0"))


def test_cp_plan_across_the_transfer_is_one_plan_of_full_length(built):
    settings, _ = built
    # A's plan: council 1 Jul 2015, trust from 6 Apr 2016, council from 4 Apr 2022, ended
    # 31 Jan 2023 - one plan of 7 years 7 months: long; it ended in January 2023 only.
    assert _row(settings, "long_cp_plans", D(2023, 1, 31))[:3] == (1, 1, Decimal("100.0"))
    assert _row(settings, "long_cp_plans", D(2022, 3, 31))[:2] == (0, 0)
    # March 2016: A's technical closure is no end; B's council plan (1 Feb - 31 Mar 2016),
    # closed technically but reopened by the trust only after 10 working days, did end:
    # short, 0 of 1.
    assert _row(settings, "long_cp_plans", D(2016, 3, 31))[:2] == (0, 1)
    # no new plan in April 2022 (A's reopening is not one); in April 2016 only B's trust plan
    # (reopened after 10 working days: a second plan, repeat): 1 of 1.
    assert _row(settings, "repeat_cp_plans", D(2022, 4, 30))[:2] == (0, 0)
    assert _row(settings, "repeat_cp_plans", D(2016, 4, 30))[:3] == (1, 1, Decimal("100.0"))


def test_bank_holidays_and_seen_visits(built):
    settings, _ = built
    # F's assessment: Fri 1 Mar -> Tue 7 May 2024 = 44 working days (Good Friday, Easter
    # Monday and 6 May are bank holidays; 47 weekdays): in time.
    assert _row(settings, "assessments_in_timescale", D(2024, 5, 31))[:3] == (
        1,
        1,
        Decimal("100.0"),
    )
    # F's CP plan on Fri 31 May 2024: seen on Fri 17 May, the 10th working day back (27 May is
    # the spring bank holiday); the 29 May visit (not seen) does not count either way: 1 of 1.
    assert _row(settings, "cp_visits_in_timescale", D(2024, 5, 31))[:2] == (1, 1)
    # ... and on Mon 3 Jun the 10 working days are 20 May .. 3 Jun: out of time (0 of 1)
    # - not a month end, so checked through June's month end: no seen visit after 17 May.
    assert _row(settings, "cp_visits_in_timescale", D(2024, 6, 30))[:2] == (0, 1)


def test_caseload_counts_each_child_once_and_transfer_is_not_a_change(built):
    settings, _ = built
    # 31 May 2024: E00002 holds F on two allocations (one case); E00001 holds E: 2 cases,
    # highest caseload 1 (2 if F counted twice).
    cases, _, value, _ = _row(settings, "caseload_mean", D(2024, 5, 31))
    assert cases == 2
    assert _row(settings, "caseload_max", D(2024, 5, 31))[2] == 1
    # E on 31 Oct 2022: jsmith2 (trust) = E00001 before the transfer, E00002, then E00001
    # again: 2 different social workers, not 3 - nobody has 3+.
    numerator, denominator, _, _ = _row(settings, "sw_changes_3plus", D(2022, 10, 31))
    assert numerator == 0 and denominator >= 1


def test_every_measure_has_a_monthly_series_and_a_ytd(built):
    settings, _ = built
    rows = query(
        settings,
        "select measure_id, count(*) filter (where period = 'month'),"
        " count(*) filter (where period = 'ytd'), min(month_end), max(month_end)"
        " from analytics.fct_scorecard_monthly where breakdown = 'all' group by measure_id",
    )
    assert len(rows) == 26
    for measure_id, months, ytd, first, last in rows:
        # 2015-04 .. 2025-03 (as at 1 Apr 2025): 120 month ends
        assert (months, ytd, first, last) == (120, 120, D(2015, 4, 30), D(2025, 3, 31)), measure_id


def test_worklists_name_the_child_and_say_how_overdue(built):
    settings, _ = built
    rows = query(
        settings,
        "select forename, surname, reason, working_days_overdue"
        " from case_level.wl_cp_reviews_visits_due where forename = 'Frank' order by reason",
    )
    reasons = {r[2]: r[3] for r in rows}
    # as at 1 Apr 2025: F's plan (2 Apr 2024) never reviewed (first due 2 Jul 2024) and last
    # seen 17 May 2024 (next visit due 31 May 2024): both long overdue
    assert set(reasons) == {"CP review overdue", "CP visit overdue"}
    assert all(days > 100 for days in reasons.values())
    assert rows[0][1] == "Testcase"


def test_child_trace_adds_up_to_the_scorecard(built):
    settings, _ = built
    # fct_scorecard_children: for point-in-time measures, the children in the numerator are
    # the scorecard's numerator, month by month (the latest 24 month ends)
    mismatches = query(
        settings,
        "select m.measure_id, m.month_end, m.numerator, coalesce(c.n, 0)"
        " from analytics.fct_scorecard_monthly as m"
        " left join (select measure_id, month_end, count(*) filter (where in_numerator) as n"
        "   from analytics.fct_scorecard_children group by 1, 2) as c"
        "   using (measure_id, month_end)"
        " where m.breakdown = 'all' and m.period = 'month'"
        " and m.month_end > date '2023-04-01' and m.measure_id in ('unallocated_cases',"
        " 'cp_visits_in_timescale', 'placement_3plus', 'placement_long_term',"
        " 'sw_changes_3plus', 'disabled_children', 'disabled_children_hidden',"
        " 'transition_plans_missing') and m.numerator <> coalesce(c.n, 0)",
    )
    assert mismatches == []
