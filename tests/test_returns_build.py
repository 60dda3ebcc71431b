"""Statutory returns from a small hand-made mart (real Postgres, real DfE validators).

The real mart is still moving, so this module builds its own: the BI tables the return queries
read, created from the dbt model contracts (every contract column, so a renamed or retyped
column shows up here), plus ``case_level.case_children``, in a database of their own. A
handful of children with known histories (a child protection case, a CIN plan, a technical
transfer stitched into one episode, three looked-after children, one of them across the
2022 transfer) then let the tests check:

* the CIN census and the 903 pass the DfE validators (CIN: no errors; 903: no errors but the
  documented source gaps: MOTHER, OC2 outcomes);
* counts reconcile with the mart (children in need, CP plans started, episodes, children
  looked after at 31 March) and the 903's episodes follow its rules (X1 between episodes of
  a period, a transfer starts neither an episode nor a period);
* a deliberately broken child (an assessment authorised before it started) is reported by
  the validator, and the report names the rule and the child's pseudonymous key, never its id;
* Annex A opens with openpyxl and each list's row count matches; CSWW figures;
* rebuilding every return gives byte-identical files.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from csc_warehouse.returns import build, validators
from csc_warehouse.returns.annex_a import LISTS

REPO = Path(__file__).resolve().parents[1]
MARTS = REPO / "dbt_project" / "models" / "marts"

pytestmark = pytest.mark.skipif(
    not (validators.available("cin") and validators.available("903")),
    reason="validator venvs missing: run scripts/setup-validators.sh",
)

YEAR = 2025
P_START, P_END = date(2024, 4, 1), date(2025, 3, 31)
TABLES = [
    "dim_child",
    "dim_date",
    "dim_worker",
    "dim_post",
    "fct_referrals",
    "fct_assessments",
    "fct_section47s",
    "fct_cin_plans",
    "fct_cp_plans",
    "fct_cp_reviews",
    "fct_cla_episodes",
    "fct_care_periods",
    "fct_missing",
    "fct_contacts",
    "fct_early_help",
    "fct_allocations",
    "fct_visits",
    "fct_post_days",
    "fct_source_freshness",
]
CASE_CHILDREN = """
create table case_level.case_children (
    child_key text primary key, child_id text not null, forename text, surname text,
    date_of_birth date, nhs_number text, upn text, postcode text, date_of_death date,
    source_person_ids text, has_identity_conflict boolean)
"""
CASE_CLA_EPISODE_POSTCODES = """
create table case_level.case_cla_episode_postcodes (
    episode_key text primary key, placement_postcode text, home_postcode text)
"""
# real postcodes of public buildings in the LA (Oxfordshire, CSC_LA_ONS E10000025), so the
# validator's ONS lookup finds the placement's LA and distance
PLACEMENT_POST, HOME_POST = "OX1 1BX", "OX4 1YA"
# 903 rules that fire because the sources do not hold the field (docs/returns.md)
SOURCE_GAPS_903 = {"186", "191", "197B", "543", "393", "607"}


def _contract_columns() -> dict[str, list[tuple[str, str]]]:
    out = {}
    for path in MARTS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            cols = [(c["name"], c.get("data_type") or "text") for c in model.get("columns", [])]
            out[model["name"]] = cols
    return out


def key(n: int) -> str:
    return f"{n:064x}"


def _insert(conn, table: str, **values) -> None:
    schema = "case_level" if table.startswith("case_") else "bi"
    cols = list(values)
    conn.execute(
        sql.SQL("insert into {}.{} ({}) values ({})").format(
            sql.Identifier(schema),
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, cols)),
            sql.SQL(", ").join(sql.Placeholder() * len(cols)),
        ),
        [values[c] for c in cols],
    )


def _child(conn, n, sex, dob, upn, ethnicity="WBRI", disabilities=None) -> str:
    k = key(n)
    _insert(
        conn,
        "dim_child",
        child_key=k,
        birth_month=dob.replace(day=1),
        birth_year=dob.year,
        gender_code=sex,
        ethnicity_code=ethnicity,
        disability_codes=disabilities,
        has_disability=bool(disabilities),
    )
    _insert(
        conn,
        "case_children",
        child_key=k,
        child_id=f"C{n:015d}",
        forename="Test",
        surname=f"Child{n}",
        date_of_birth=dob,
        upn=upn,
        postcode="SW1A 1AA",
    )
    return k


def _referral(conn, k, ref_id, start, closure=None, reason=None, seq=1, **extra):
    _insert(
        conn,
        "fct_referrals",
        referral_key=ref_id,
        child_key=k,
        referral_date=start,
        closure_date=closure,
        closure_reason_code=reason,
        referral_source_code=extra.get("source", "1A"),
        primary_need_code="N1",
        is_nfa=False,
        referral_sequence=seq,
        team_key="MASH",
    )


def _episode(conn, k, ep, period, start, end, rne, ls, place, provider, rec=None, system="council"):
    _insert(
        conn,
        "fct_cla_episodes",
        episode_key=ep,
        child_key=k,
        care_period_key=period,
        start_date=start,
        end_date=end,
        rne_code=rne,
        legal_status_code=ls,
        cin_code="N1",
        placement_type_code=place,
        placement_provider_code=provider,
        reason_ceased_code=rec,
        is_technical_closure=rec == "TECH",
        source_system=system,
    )
    _insert(
        conn,
        "case_cla_episode_postcodes",
        episode_key=ep,
        placement_postcode=PLACEMENT_POST,
        home_postcode=HOME_POST,
    )


def _allocation(conn, k, n, worker, start, end=None):
    _insert(
        conn,
        "fct_allocations",
        allocation_segment_key=f"seg{n}",
        allocation_key=f"alloc{n}",
        child_key=k,
        worker_key=worker,
        allocated_worker_key=worker,
        team_key="CIC1",
        role_code="SW",
        start_date=start,
        end_date=end,
        allocation_start_date=start,
        allocation_end_date=end,
        segment_sequence=1,
    )


def fill(conn) -> dict[str, str]:
    """The hand-made history; returns name -> child_key."""
    conn.execute(
        """
        insert into bi.dim_date (date_day, is_working_day, is_weekend, year, month)
        select d::date, extract(isodow from d) < 6, extract(isodow from d) >= 6,
               extract(year from d)::int, extract(month from d)::int
        from generate_series(date '2015-01-01', date '2026-12-31', interval '1 day') d
        """
    )
    conn.execute(
        """
        update bi.dim_date set working_day_number = n from (
            select date_day, count(*) filter (where is_working_day)
                over (order by date_day) as n from bi.dim_date) w
        where w.date_day = dim_date.date_day
        """
    )
    w1, w2, w3 = key(901), key(902), key(903)
    for worker, post, agency, start, left in (
        (w1, "P1", False, date(2019, 1, 7), None),
        (w2, "P2", True, date(2024, 1, 8), None),
        (w3, "P3", False, date(2018, 3, 5), date(2024, 6, 28)),
    ):
        _insert(
            conn,
            "dim_worker",
            worker_key=worker,
            team_key="CIC1",
            job_title="Social Worker",
            is_social_worker=True,
            is_case_holding_post=True,
            is_agency=agency,
            fte=1,
            post_key=post,
            start_date=start,
            leaving_date=left,
            leaving_reason="Resignation" if left else None,
            is_qualified=True,
            is_known_to_hr=True,
        )
    for post, sw, filled, agency_fte in (
        ("P1", True, 1, 0),
        ("P2", True, 1, 1),
        ("P3", True, 0, 0),
        ("P4", False, 1, 0),
    ):
        _insert(
            conn,
            "dim_post",
            post_key=post,
            team_key="CIC1",
            job_title="Social Worker" if sw else "Family Support Worker",
            fte=1,
            established_from=date(2015, 1, 1),
            is_social_worker_post=sw,
            is_case_holding=sw,
        )
        _insert(
            conn,
            "fct_post_days",
            post_key=post,
            date_day=date(2024, 9, 30),
            team_key="CIC1",
            is_established=True,
            is_social_worker_post=sw,
            is_case_holding=sw,
            fte=1,
            filled_fte=filled,
            agency_fte=agency_fte,
            vacant_fte=1 - filled,
            is_vacant=filled == 0,
            holder_count=filled,
        )

    _insert(conn, "fct_source_freshness", system="council", last_extract_date=date(2025, 2, 14))
    kids: dict[str, str] = {}
    # A: referral in the year, assessment, S47 + ICPC, CP plan (first) with a review
    a = kids["cp"] = _child(conn, 1, "2", date(2015, 6, 1), "N931469217930")
    _referral(conn, a, "R1", date(2024, 5, 1), source="5A")
    # Contacts (list 1): A's contact the day before the referral became it (its source is the
    # referral's); F: one the day before the 12 months (out), one on their first day and one on
    # their last (in, no source: not a referral), one the day after the date (out)
    _insert(
        conn,
        "fct_contacts",
        contact_key="K1",
        child_key=a,
        contact_date=date(2024, 4, 30),
        decision_date=date(2024, 5, 1),
        outcome_code="REF",
        is_referral=True,
        referral_key="R1",
        referral_source_code="5A",
        source_system="council",
    )
    fd = kids["front_door"] = _child(conn, 16, "1", date(2013, 9, 9), None)
    for n, day, outcome in (
        (2, date(2024, 3, 31), "NFA"),
        (3, date(2024, 4, 1), "IA"),
        (4, date(2025, 3, 31), "EH"),
        (5, date(2025, 4, 1), "SIGN"),
    ):
        _insert(
            conn,
            "fct_contacts",
            contact_key=f"K{n}",
            child_key=fd,
            contact_date=day,
            decision_date=day,
            outcome_code=outcome,
            is_referral=False,
            source_system="council",
        )
    # Early help (list 2): F's episode that ended the day before the 12 months (out), one that
    # ran into them (in, completed), one still open, one ending after the date (open on it)
    for n, start, end, outcome in (
        (1, date(2023, 9, 1), date(2024, 3, 31), "COMPLETED"),
        (2, date(2024, 2, 1), date(2024, 6, 30), "WITHDRAWN"),
        (3, date(2025, 1, 6), None, None),
        (4, date(2025, 2, 3), date(2025, 5, 30), "COMPLETED"),
    ):
        _insert(
            conn,
            "fct_early_help",
            early_help_key=f"EH{n}",
            child_key=fd,
            start_date=start,
            end_date=end,
            outcome_code=outcome,
            is_escalated=False,
            team_key="EH",
            source_system="council",
        )
    _insert(
        conn,
        "fct_assessments",
        assessment_key="A1",
        child_key=a,
        referral_key="R1",
        start_date=date(2024, 5, 2),
        authorised_date=date(2024, 6, 4),
        factor_codes="2B;3A",
    )
    _insert(
        conn,
        "fct_section47s",
        s47_key="S1",
        child_key=a,
        referral_key="R1",
        start_date=date(2024, 5, 20),
        icpc_date=date(2024, 6, 7),
        is_icpc_required=True,
    )
    _insert(
        conn,
        "fct_cp_plans",
        cp_plan_key="CP1",
        child_key=a,
        referral_key="R1",
        start_date=date(2024, 6, 7),
        initial_category_code="NEG",
        latest_category_code="NEG",
        plan_sequence=1,
    )
    _insert(
        conn,
        "fct_cp_reviews",
        cp_review_key="CR1",
        cp_plan_key="CP1",
        child_key=a,
        review_date=date(2024, 9, 4),
        review_sequence=1,
    )
    # B: referral, assessment, CIN plan, closed in the year (services ceased)
    b = kids["cin_plan"] = _child(conn, 2, "1", date(2008, 11, 9), "E931447612628", "AIND", "AUT")
    _referral(conn, b, "R2", date(2024, 7, 1), date(2025, 1, 31), "RC7")
    _insert(
        conn,
        "fct_assessments",
        assessment_key="A2",
        child_key=b,
        referral_key="R2",
        start_date=date(2024, 7, 2),
        authorised_date=date(2024, 8, 1),
        factor_codes="1C;4A",
    )
    _insert(
        conn,
        "fct_cin_plans",
        cin_plan_key="CIN2",
        child_key=b,
        referral_key="R2",
        start_date=date(2024, 8, 5),
        end_date=date(2025, 1, 31),
    )
    # C: a CIN episode opened in the trust, transferred in 2022 (one stitched referral), with a
    # second CP plan still open: the transfer is neither a closure nor a new referral
    c = kids["stitched"] = _child(conn, 3, "2", date(2013, 3, 8), "P931453217220")
    _referral(conn, c, "R3", date(2021, 1, 11), seq=2)
    _insert(
        conn,
        "fct_cp_plans",
        cp_plan_key="CP3",
        child_key=c,
        referral_key="R3",
        start_date=date(2021, 2, 10),
        initial_category_code="EMO",
        latest_category_code="MUL",
        plan_sequence=2,
    )
    # C's visits all fall before the 12 months (Annex A reads only the 12 months and each
    # child's last visit of each type before them): the last CP visit, seen alone, is the one
    # lists 7 and 6 report; a later OTHER visit counts for list 6 (seen) but not for list 7
    for n, day, visit_type, alone in (
        (1, date(2023, 11, 6), "CPV", False),
        (2, date(2024, 3, 20), "CPV", True),
        (3, date(2024, 3, 28), "OTHER", False),
    ):
        _insert(
            conn,
            "fct_visits",
            visit_key=f"V3{n}",
            child_key=c,
            visit_date=day,
            visit_type_code=visit_type,
            is_seen_alone=alone,
            source_system="trust",
        )
    for n, d in enumerate((date(2024, 6, 3), date(2024, 12, 2))):
        _insert(
            conn,
            "fct_cp_reviews",
            cp_review_key=f"CR3{n}",
            cp_plan_key="CP3",
            child_key=c,
            review_date=d,
            review_sequence=n + 7,
        )
    # D: referral the year before, closed in the year; E: referral in March, nothing yet
    d = kids["closed"] = _child(conn, 4, "1", date(2016, 4, 7), "R931671620990")
    _referral(conn, d, "R4", date(2024, 3, 4), date(2024, 4, 30), "RC7")
    _insert(
        conn,
        "fct_assessments",
        assessment_key="A4",
        child_key=d,
        referral_key="R4",
        start_date=date(2024, 3, 5),
        authorised_date=date(2024, 4, 12),
        factor_codes="21",
    )
    e = kids["new"] = _child(conn, 5, "2", date(2023, 8, 25), None, "WIRI")
    _referral(conn, e, "R5", date(2025, 3, 24), source="5A")
    # not in the year: closed before it, referred after it
    f = _child(conn, 6, "1", date(2011, 9, 12), "B931549115950")
    _referral(conn, f, "R6", date(2022, 5, 1), date(2023, 2, 1), "RC7")
    _referral(conn, f, "R7", date(2025, 5, 2), seq=2)

    # L1: in care since June 2023, placement change in October 2024 (the source ends episodes the day
    # before the next and gives them a REC: the 903 joins them with X1), looked after at 31 March
    l1 = kids["lac_long"] = _child(conn, 11, "1", date(2010, 2, 1), "P931411808780")
    _episode(
        conn, l1, "E11", "CP11", date(2023, 6, 1), date(2024, 9, 30), "S", "C2", "U4", "PR1", "E4B"
    )
    # ... and the source ends that episode on 31 March (REC E8) because the next one starts on
    # 1 April: in this year's 903 and Annex A the episode is open, not ceased (903 rule 388)
    _episode(
        conn, l1, "E12", "CP12", date(2024, 10, 1), date(2025, 3, 31), "P", "C2", "U5", "PR4", "E8"
    )
    _episode(conn, l1, "E13", "CP12", date(2025, 4, 1), None, "P", "C2", "U4", "PR4")
    _allocation(conn, l1, 1, w1, date(2023, 6, 1))
    _insert(
        conn,
        "fct_missing",
        missing_key="M1",
        child_key=l1,
        start_date=date(2024, 8, 1),
        end_date=date(2024, 8, 2),
        missing_or_away="M",
    )
    # L2: started and ceased care in the year (returned home)
    l2 = kids["lac_short"] = _child(conn, 12, "2", date(2012, 5, 5), "M931440409921")
    _episode(
        conn,
        l2,
        "E21",
        "CP21",
        date(2024, 7, 10),
        date(2024, 12, 20),
        "S",
        "V2",
        "U1",
        "PR4",
        "E13",
    )
    _allocation(conn, l2, 2, w2, date(2024, 7, 10), date(2024, 12, 20))
    # L3: looked after since 2021 in the trust; the transfer closed the episode (TECH) and the
    # council reopened it 4 days later, nothing changed: one episode, one period
    l3 = kids["lac_transfer"] = _child(conn, 13, "1", date(2009, 1, 6), "H931503627076")
    _episode(
        conn,
        l3,
        "E31",
        "CP31",
        date(2021, 1, 5),
        date(2022, 3, 31),
        "S",
        "C1",
        "U4",
        "PR1",
        "TECH",
        "trust",
    )
    _episode(conn, l3, "E32", "CP31", date(2022, 4, 4), None, "S", "C1", "U4", "PR1")
    _allocation(conn, l3, 4, w1, date(2021, 1, 5))
    # L4: a care leaver (in care from 14 to 17, 19 now: former relevant); L5: left care in the
    # year through a special guardianship order to her foster carers
    l4 = kids["care_leaver"] = _child(conn, 14, "1", date(2005, 10, 2), "B931549115950")
    _episode(
        conn, l4, "E41", "CP41", date(2020, 1, 6), date(2023, 6, 15), "S", "C2", "U4", "PR1", "E8"
    )
    l5 = kids["sgo"] = _child(conn, 15, "2", date(2016, 2, 20), "E931447612628")
    _episode(
        conn, l5, "E51", "CP51", date(2023, 11, 1), date(2024, 11, 4), "S", "C2", "U1", "PR1", "E45"
    )
    _allocation(conn, l5, 5, w1, date(2023, 11, 1), date(2024, 11, 4))
    for period, k, start, end, rec in (
        ("CP11", l1, date(2023, 6, 1), date(2024, 9, 30), "E4B"),
        ("CP12", l1, date(2024, 10, 1), None, None),
        ("CP21", l2, date(2024, 7, 10), date(2024, 12, 20), "E13"),
        ("CP31", l3, date(2021, 1, 5), None, None),
        ("CP41", l4, date(2020, 1, 6), date(2023, 6, 15), "E8"),
        ("CP51", l5, date(2023, 11, 1), date(2024, 11, 4), "E45"),
    ):
        _insert(
            conn,
            "fct_care_periods",
            care_period_key=period,
            child_key=k,
            start_date=start,
            end_date=end,
            reason_ceased_code=rec,
        )
    return kids


@pytest.fixture(scope="module")
def mart(make_database):
    settings = make_database("csc_test_minimart")
    columns = _contract_columns()
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        # ensure_roles (as db start) made bi and case_level, empty
        conn.execute("create schema if not exists bi")
        conn.execute("create schema if not exists case_level")
        for table in TABLES:
            cols = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(dtype))
                for name, dtype in columns[table]
            )
            conn.execute(sql.SQL("create table bi.{} ({})").format(sql.Identifier(table), cols))
        conn.execute(CASE_CHILDREN)
        conn.execute(CASE_CLA_EPISODE_POSTCODES)
        kids = fill(conn)
    return settings, kids


@pytest.fixture(scope="module")
def built(mart, tmp_path_factory):
    settings, kids = mart
    out = tmp_path_factory.mktemp("minimart")
    a = out / "a"
    results = {
        "cin": build.build_return("cin-census", settings, year=YEAR, out=a),
        "903": build.build_return("ssda903", settings, year=YEAR, out=a),
        "annex": build.build_return("annex-a", settings, as_at=P_END, out=a / "annex_a.xlsx"),
        "csww": build.build_return("csww", settings, year=2024, out=a),
    }
    return out, results


def _one(settings, query: str, **params):
    with psycopg.connect(settings.conninfo()) as conn:
        return conn.execute(query, params).fetchone()[0]


def test_cin_census_passes_and_reconciles(mart, built):
    settings, kids = mart
    _, r = built
    cin = r["cin"]
    assert cin["errors"] == 0, cin["errors_by_rule"]
    assert cin["crashed_rules"] == []
    children = _one(
        settings,
        """select count(distinct child_key) from bi.fct_referrals
           where referral_date <= %(e)s and (closure_date is null or closure_date >= %(s)s)""",
        s=P_START,
        e=P_END,
    )
    assert cin["counts"]["children"] == children == 5
    cp_started = _one(
        settings,
        "select count(*) from bi.fct_cp_plans where start_date between %(s)s and %(e)s",
        s=P_START,
        e=P_END,
    )
    assert cin["counts"]["cp_plans_started_in_year"] == cp_started == 1


def test_cin_xml_content(built):
    out, _ = built
    xml = next((out / "a").glob("cin_census_*.xml")).read_text()
    # the stitched episode is one CINdetails, open, with its second plan (one previous)
    assert xml.count("<CINreferralDate>2021-01-11</CINreferralDate>") == 1
    assert "<NumberOfPreviousCPP>1</NumberOfPreviousCPP>" in xml
    assert "TECH" not in xml
    # identifiers: the child id, never a name or the pseudonymous key
    assert "<LAchildID>C000000000000001</LAchildID>" in xml
    assert "Child1" not in xml and key(1) not in xml
    # referred after the year, closed before it: not there
    assert "C000000000000006" not in xml
    # ICPC on the S47 only (rule 2884); target 15 working days after the S47 start
    assert "<InitialCPCtarget>2024-06-10</InitialCPCtarget>" in xml


def test_903_passes_but_for_source_gaps_and_follows_the_rules(mart, built):
    settings, kids = mart
    out, r = built
    lac = r["903"]
    unexpected = set(lac["errors_by_rule"]) - SOURCE_GAPS_903
    assert not unexpected, lac["errors_by_rule"]
    episodes = (out / "a" / f"ssda903_{YEAR}" / "episodes.csv").read_text().splitlines()
    rows = [line.split(",") for line in episodes[1:]]
    by_child: dict[str, list[list[str]]] = {}
    for row in rows:
        by_child.setdefault(row[0], []).append(row)
    # L1: two episodes, the first ends on the second's start with X1
    l1 = by_child["C000000000000011"]
    assert [(e[1], e[2], e[7], e[8]) for e in l1] == [
        ("01/06/2023", "S", "01/10/2024", "X1"),
        ("01/10/2024", "P", "", ""),
    ]
    # the placement's and the home's full postcodes, from the case-level table (BI holds the
    # district only): the validator finds the placement's LA and distance (169, 179, 392a/b,
    # 1015 do not fire)
    assert {(e[10], e[11]) for e in rows} == {(HOME_POST, PLACEMENT_POST)}
    # L3: the 2022 transfer is not a new episode nor a new period
    assert [(e[1], e[2], e[7]) for e in by_child["C000000000000013"]] == [("05/01/2021", "S", "")]
    # counts reconcile with the mart
    counts = lac["counts"]
    assert counts["children"] == 4  # L1, L2, L3, L5 (L4 left care before the year)
    assert counts["episodes"] == 5
    at_31_march = _one(
        settings,
        """select count(distinct child_key) from bi.fct_care_periods
           where start_date <= %(e)s and (end_date is null or end_date > %(e)s)""",
        e=P_END,
    )
    assert counts["looked_after_at_31_march"] == at_31_march == 2
    assert counts["started_in_year"] == 1  # L2 (L1's placement change starts no period)
    assert counts["ceased_in_year"] == 2  # L2, L5
    header = (out / "a" / f"ssda903_{YEAR}" / "header.csv").read_text()
    assert "Child1" not in header and key(11) not in header


def test_broken_child_is_reported_by_rule_and_pseudonymous_key(mart, tmp_path):
    settings, kids = mart
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        _insert(
            conn,
            "fct_assessments",
            assessment_key="A2X",
            child_key=kids["cin_plan"],
            referral_key="R2",
            start_date=date(2024, 10, 10),
            authorised_date=date(2024, 10, 1),  # authorised before it started
            factor_codes="1C",
        )
        try:
            result = build.build_return("cin-census", settings, year=YEAR, out=tmp_path)
        finally:
            conn.execute("delete from bi.fct_assessments where assessment_key = 'A2X'")
    assert result["errors"] > 0
    rules = set(result["errors_by_rule"])
    issues = next(tmp_path.glob("*_issues.csv")).read_text()
    broken = kids["cin_plan"]
    lines = [line for line in issues.splitlines() if broken in line and ",error," in line]
    assert lines, issues
    assert any(rule in line for rule in rules for line in lines)
    assert "C000000000000002" not in issues  # the child's id stays in the XML


def test_annex_a_opens_and_lists_match(mart, built):
    from openpyxl import load_workbook

    settings, kids = mart
    out, r = built
    wb = load_workbook(out / "a" / "annex_a.xlsx")
    assert len(wb.worksheets) == 11
    counts = r["annex"]["counts"]
    assert set(counts) == {f"list_{n}" for n in range(1, 12)}
    start = date(2024, 4, 1)
    assert counts["list_3"] == _one(
        settings,
        "select count(*) from bi.fct_referrals where referral_date between %(s)s and %(e)s",
        s=start,
        e=P_END,
    )
    assert counts["list_7"] == 2  # A's plan (started) and C's (open all year)
    looked_after = _one(
        settings,
        """select count(distinct child_key) from bi.fct_cla_episodes
           where start_date <= %(e)s and (end_date is null or end_date >= %(s)s)""",
        s=start,
        e=P_END,
    )
    assert counts["list_8"] == looked_after == 4  # one row per child, not per period
    lists = {n: list(ws.iter_rows(min_row=4, values_only=True)) for n, ws in enumerate(wb, 1)}
    # list 1: A's contact (its referral's source) and F's two on the 12 months' first and last
    # days; the ones a day outside are not in it
    assert [(row[5].date(), row[6]) for row in lists[1]] == [
        (date(2024, 4, 1), None),
        (date(2024, 4, 30), "5A"),
        (date(2025, 3, 31), None),
    ]
    assert counts["list_1"] == 3
    # list 2: the episode that ran into the 12 months, the open one, and the one ending after
    # the date (not completed on it); the one ended the day before is not
    assert [(row[6].date(), row[7] and row[7].date(), row[9]) for row in lists[2]] == [
        (date(2024, 2, 1), date(2024, 6, 30), "WITHDRAWN"),
        (date(2025, 1, 6), None, None),
        (date(2025, 2, 3), None, None),
    ]
    assert {row[8] for row in lists[2]} == {"Local authority early help"}
    # C's plan (open all year): the last CP visit before the 12 months, seen alone; list 6's
    # "seen" takes any visit type
    columns7 = LISTS[6].columns
    c7 = next(row for row in lists[7] if row[-1] == kids["stitched"])
    visited = next(i for i, name in enumerate(columns7) if "Visit" in name or "visit" in name)
    assert (c7[visited].date(), c7[visited + 1]) == (date(2024, 3, 20), "Yes"), columns7
    c6 = next(row for row in lists[6] if row[-1] == kids["stitched"])
    seen = next(i for i, name in enumerate(LISTS[5].columns) if "seen" in name.lower())
    assert c6[seen].date() == date(2024, 3, 28), LISTS[5].columns
    # L1's episode the source ended on 31 March continues on 1 April: not ceased on the date
    l1 = next(row for row in lists[8] if row[0] == "C000000000000011")
    ceased = LISTS[7].columns.index("Date Ceased to be Looked After")
    assert l1[ceased] is None and l1[ceased + 1] is None
    assert counts["list_9"] == 1  # L4, former relevant
    assert counts["list_10"] == 0
    assert counts["list_11"] == 1  # L5's special guardianship order
    for ws, n in zip(wb.worksheets, range(1, 12), strict=True):
        values = list(ws.iter_rows(values_only=True))
        header = next(  # the column headings: the first row with two or more cells filled
            i for i, row in enumerate(values) if sum(v is not None for v in row) >= 2
        )
        data_rows = [row for row in values[header + 1 :] if row and any(row)]
        assert len(data_rows) == counts[f"list_{n}"], ws.title


def test_csww(built):
    out, r = built
    files = {Path(f).name: Path(f) for f in r["csww"]["files"]}
    summary = dict(
        line.split(",")[:2] for line in files["summary.csv"].read_text().splitlines()[1:]
    )
    assert summary["social_workers_headcount"] == "1"  # W1 (W2 is agency, W3 left)
    assert summary["agency_workers_headcount"] == "1"
    assert summary["leavers_headcount"] == "1"
    assert summary["vacant_fte"] == "1.00"
    assert summary["vacancy_rate_pct"] == "33.3"
    assert summary["cases_held"] == "4"  # L1, L3, L5 with W1, L2 with W2 on 30 Sep 2024
    assert "not held" in files["summary.csv"].read_text()


def test_rebuild_is_byte_identical(mart, built):
    settings, _ = mart
    out, _ = built
    b = out / "b"
    build.build_return("cin-census", settings, year=YEAR, out=b)
    build.build_return("ssda903", settings, year=YEAR, out=b)
    build.build_return("annex-a", settings, as_at=P_END, out=b / "annex_a.xlsx")
    build.build_return("csww", settings, year=2024, out=b)
    a = out / "a"
    files = sorted(
        p.relative_to(a)
        for p in a.rglob("*")
        if p.is_file() and p.suffix in (".xml", ".csv", ".xlsx")
    )
    assert len(files) >= 15
    for f in files:
        assert filecmp.cmp(a / f, b / f, shallow=False), f


def test_cli_exit_codes(mart, tmp_path):
    settings, _ = mart
    env = {**os.environ, **settings.tool_env(), "CSC_PG_DATABASE": settings.pg_database}
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "csc_warehouse",
            "returns",
            "cin-census",
            "--year",
            str(YEAR),
            "--out",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert list(tmp_path.glob("cin_census_*.xml"))


def test_build_current_uses_the_mart_as_at_date(mart, tmp_path):
    """The monthly DAG's call: the year so far as at the newest extract (14 Feb 2025 here, no
    publish log), Annex A to the last month end, CSWW for the last 30 September."""
    from csc_warehouse.config import get_settings

    settings, _ = mart
    settings = get_settings({**settings.env, "CSC_OUTPUT": str(tmp_path)})
    cin = build.build_current("cin-census", settings)
    assert cin["mart_as_at"] == "2025-02-14"
    assert cin["period"] == ["2024-04-01", "2025-02-14"]
    assert cin["counts"]["children"] == 4  # E's referral (24 March) is after the as-at date
    assert cin["errors"] == 0, cin["errors_by_rule"]
    assert Path(cin["files"][0]).parent == tmp_path / "returns" / "cin-census" / "2025"
    lac = build.build_current("ssda903", settings)
    assert lac["ok"], lac["unexpected_errors"]
    annex = build.build_current("annex-a", settings)
    assert annex["as_at"] == "2025-01-31"
    assert Path(annex["files"][0]).parent == tmp_path / "returns" / "annex-a"
    csww = build.build_current("csww", settings)
    assert csww["year"] == 2024


def test_monthly_task_notifies_validator_findings_and_succeeds(mart, tmp_path, monkeypatch):
    """The monthly DAG's task: a return with errors beyond the known source gaps is still
    built (the task succeeds) and the team is notified with the rules; a clean one is not."""
    import ast
    import json
    import uuid

    from csc_warehouse.orchestration.tasks import build_return

    settings, kids = mart
    monkeypatch.setenv("CSC_PG_DATABASE", settings.pg_database)
    monkeypatch.setenv("CSC_OUTPUT", str(tmp_path))
    log = settings.state_dir / "notifications.log"

    def notified(run_id: str) -> list[dict]:
        if not log.exists():
            return []
        events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        return [e for e in events if e.get("run_id") == run_id]

    run = uuid.uuid4().hex[:8]  # the log outlives test runs
    clean = build_return("ssda903", {"run_id": f"clean_{run}"})
    assert clean["ok"] and notified(f"clean_{run}") == []
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        _insert(
            conn,
            "fct_assessments",
            assessment_key="A3X",
            child_key=kids["cin_plan"],
            referral_key="R2",
            start_date=date(2024, 10, 10),
            authorised_date=date(2024, 10, 1),  # authorised before it started
            factor_codes="1C",
        )
        try:
            broken = build_return("cin-census", {"run_id": f"broken_{run}"})
        finally:
            conn.execute("delete from bi.fct_assessments where assessment_key = 'A3X'")
    assert not broken["ok"] and broken["files"]  # built and reported, not raised
    (event,) = notified(f"broken_{run}")
    assert event["kind"] == "return_errors" and "cin-census" in event["message"]
    assert set(broken["unexpected_errors"]) <= set(ast.literal_eval(event["rules"]))


def test_903_social_worker_episodes_of_a_child_who_left_care():
    """Pure logic, hand-made: which SW episodes a child's 903 record holds (from_mart).

    Year 2024-25. Episodes: A before the year; B from before care, still running when care
    ended on 20/11/2024 and ended itself on 28/03/2025 (the case closed then); C began after
    care ended."""
    from csc_warehouse.returns import from_mart
    from csc_warehouse.returns.ssda903 import SWEpisode

    p_start, p_end = date(2024, 4, 1), date(2025, 3, 31)
    a = SWEpisode("SWa", date(2023, 1, 9), date(2024, 3, 1), "FCONTA")
    b = SWEpisode("SWb", date(2024, 3, 4), date(2025, 3, 28), "OTHERS")
    c = SWEpisode("SWc", date(2025, 2, 10), None, "FCONTA")
    still_in_care = from_mart.sw_episodes_in_return([a, b, c], p_start, p_end)
    # looked after on 31 March: everything open in the year, before care included (SW12)
    assert still_in_care == (b, c)
    notes: Counter = Counter()
    left = from_mart.sw_episodes_in_return(
        [a, b, c], p_start, p_end, care_end=date(2024, 11, 20), notes=notes
    )
    # left care: B did not end while the child was looked after (no SW_DEC), C is not the 903's
    assert left == (SWEpisode("SWb", date(2024, 3, 4), None, "OTHERS"),)
    assert notes == {
        "SW episode running when care ended (written open)": 1,
        "SW episode after the child left care (left out)": 1,
    }
    # an episode that ended before care did stays as it was
    d = SWEpisode("SWd", date(2024, 4, 2), date(2024, 6, 30), "FCONTA")
    e = SWEpisode("SWe", date(2024, 7, 1), date(2024, 12, 2), "OTHERS")
    assert from_mart.sw_episodes_in_return([d, e], p_start, p_end, care_end=date(2024, 9, 1)) == (
        d,
        SWEpisode("SWe", date(2024, 7, 1), None, "OTHERS"),
    )


def test_903_one_day_social_worker_is_taken_over_by_the_next():
    """Pure logic, hand-made (the scale-1 case): a child came into care on 22/11/2024, the
    children in care worker allocated that day left the same day, the next one took the case
    on 23/11. A one-day episode is not one (SW09STG2), but dropping it left the child without
    a social worker on the day care started (SW12STG2): the next one takes over from 22/11."""
    from csc_warehouse.returns import from_mart
    from csc_warehouse.returns.ssda903 import SWEpisode

    def alloc(worker, start, end, team):
        return {
            "worker_key": worker,
            "start_date": start,
            "end_date": end,
            "team_key": team,
            "leaving_date": None,
        }

    got = from_mart.sw_episodes(
        [
            alloc("w1", date(2024, 2, 2), date(2024, 11, 21), "SG4"),
            alloc("w2", date(2024, 11, 22), date(2024, 11, 22), "CIC1"),
            alloc("w3", date(2024, 11, 23), None, "CIC1"),
        ]
    )
    sw = from_mart.sw_id
    assert got == [
        SWEpisode(sw("w1"), date(2024, 2, 2), date(2024, 11, 21), "FCONTA"),
        SWEpisode(sw("w3"), date(2024, 11, 22), None, "TSPROC"),
    ]


def test_annex_a_workbook_is_linear_and_keeps_its_formats():
    """A workbook of 20,000 rows is written in seconds (the normal worksheet's ``max_row``
    per appended row made it quadratic: 65 s for the 28,000 rows of scale 1), with dates
    formatted as dates, bold headings and the column widths."""
    import io
    import time

    from openpyxl import load_workbook

    from csc_warehouse.returns.annex_a import annex_a_workbook

    lists = {spec.number: [] for spec in LISTS}
    width = len(LISTS[0].columns)
    row = ["C1", "Male", "WBRI", date(2010, 1, 1), 15, date(2024, 5, 1), None, "key"]
    lists[1] = [row[:width] for _ in range(20_000)]
    started = time.perf_counter()
    data = annex_a_workbook(lists, P_END)
    assert time.perf_counter() - started < 20
    ws = load_workbook(io.BytesIO(data))["List 1"]
    assert ws.max_row == 3 + 20_000
    assert ws["A1"].font.b and ws["A3"].font.b and not ws["A4"].font.b
    assert ws["D4"].number_format == "dd/mm/yyyy" and ws["D4"].value.date() == date(2010, 1, 1)
    assert ws["F20003"].number_format == "dd/mm/yyyy"
    assert ws.column_dimensions["A"].width == max(12, len(LISTS[0].columns[0]) + 2)
    assert annex_a_workbook(lists, P_END) == data  # deterministic
