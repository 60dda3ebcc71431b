"""The reference layer: DfE code seeds, the bank holiday seed, dim_date and the shared macros.

Builds only those resources (`dbt build`, which also runs their data and unit tests) into a
fresh database (schema `test_reference` for the mart, `reference` for the seeds), then checks
hand-worked facts by querying it. dbt writes its target/ and logs to a temporary folder so
the run never disturbs anyone else's dbt in the same checkout.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest

from csc_warehouse.config import Settings
from csc_warehouse.tools import run_dbt

D = dt.date
SCHEMA = "test_reference"
SELECTION = [
    "path:seeds/dfe_codes",
    "path:seeds/calendar",
    "dim_date",
    "int_working_day_macro_checks",
]


class Reference:
    def __init__(self, settings: Settings, dbt_dir: Path) -> None:
        self.settings = settings
        self.dbt_dir = dbt_dir

    def dbt(self, *args: str):
        return run_dbt(
            [
                *args,
                "--target-path",
                str(self.dbt_dir / "target"),
                "--log-path",
                str(self.dbt_dir / "logs"),
            ],
            self.settings,
            capture=True,
            CSC_DBT_SCHEMA=SCHEMA,
        )

    def query(self, sql: str, params: tuple | None = None) -> list[tuple]:
        with psycopg.connect(self.settings.conninfo()) as conn:
            return conn.execute(sql, params).fetchall()

    def macro_row(self, select_list: str) -> tuple:
        """Compile `select <select_list>` with the project's macros, run it, return the row."""
        res = self.dbt("--quiet", "compile", "--inline", f"select {select_list}")
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
        return self.query(res.stdout)[0]


@pytest.fixture(scope="module")
def ref(make_database, tmp_path_factory) -> Reference:
    settings = make_database("csc_test_reference")
    reference = Reference(settings, tmp_path_factory.mktemp("dbt_reference"))
    res = reference.dbt("build", "--select", *SELECTION, "--indirect-selection", "cautious")
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
    # seeds, dim_date, their data tests and the unit tests all ran
    assert "14 seeds" in res.stdout and "unit tests" in res.stdout, res.stdout[-3000:]
    return reference


def day(ref: Reference, date: D) -> dict:
    cols = (
        "is_bank_holiday, bank_holiday_name, is_working_day, working_day_number, "
        "iso_weekday, financial_year, collection_year, month_end, is_month_end"
    )
    rows = ref.query(f"select {cols} from {SCHEMA}.dim_date where date_day = %s", (date,))
    assert len(rows) == 1
    return dict(zip([c.strip() for c in cols.split(",")], rows[0], strict=True))


# ---------------------------------------------------------------- bank holidays ---------


def test_ve_day_2020_moved_the_early_may_bank_holiday(ref):
    # 2020: the early May bank holiday moved from Monday 4 May to Friday 8 May (VE day 75).
    ve = day(ref, D(2020, 5, 8))
    assert ve["is_bank_holiday"] and not ve["is_working_day"]
    assert ve["bank_holiday_name"] == "Early May bank holiday (VE day)"
    monday = day(ref, D(2020, 5, 4))
    assert not monday["is_bank_holiday"] and monday["is_working_day"]


def test_2022_special_bank_holidays(ref):
    funeral = day(ref, D(2022, 9, 19))
    assert funeral["is_bank_holiday"] and not funeral["is_working_day"]
    assert "State Funeral" in funeral["bank_holiday_name"]
    # Platinum Jubilee: Spring bank holiday moved to Thu 2 June, extra holiday Fri 3 June;
    # the last Monday in May (30 May) was a normal working day.
    assert day(ref, D(2022, 6, 2))["is_bank_holiday"]
    assert day(ref, D(2022, 6, 3))["is_bank_holiday"]
    assert day(ref, D(2022, 5, 30))["is_working_day"]
    # Coronation of King Charles III, Monday 8 May 2023 (early May holiday stayed on 1 May)
    assert day(ref, D(2023, 5, 8))["is_bank_holiday"]
    assert day(ref, D(2023, 5, 1))["is_bank_holiday"]


def test_substitute_days(ref):
    # Christmas 2021 on a Saturday: Christmas Day -> Mon 27, Boxing Day -> Tue 28 Dec;
    # New Year's Day 2022 on a Saturday -> Mon 3 Jan.
    for date, name in [
        (D(2021, 12, 27), "Christmas Day"),
        (D(2021, 12, 28), "Boxing Day"),
        (D(2022, 1, 3), "New Year's Day"),
        (D(2015, 12, 28), "Boxing Day"),  # Boxing Day 2015 was a Saturday
        (D(2016, 12, 27), "Christmas Day"),  # Christmas 2016 was a Sunday
    ]:
        row = day(ref, date)
        assert row["is_bank_holiday"] and row["bank_holiday_name"] == name, date
    assert not day(ref, D(2021, 12, 25))["is_bank_holiday"]  # the Saturday itself isn't listed
    assert not day(ref, D(2021, 12, 25))["is_working_day"]  # ... but is a weekend day


def test_bank_holidays_per_year(ref):
    rows = ref.query(
        f"select year, count(*) filter (where is_bank_holiday), bool_and(bank_holidays_known) "
        f"from {SCHEMA}.dim_date group by year order by year"
    )
    counts = {year: n for year, n, _ in rows}
    expected = {year: 8 for year in range(2015, 2029)}
    expected.update({2022: 10, 2023: 9})  # 2020: still 8 (VE day moved, not added)
    expected.update({2029: 0, 2030: 0})  # beyond the seed: not yet published
    assert counts == expected
    assert {year for year, _, known in rows if not known} == {2029, 2030}


# ---------------------------------------------------------------- the calendar ----------


def test_calendar_shape(ref):
    (n, first, last), *_ = ref.query(
        f"select count(*), min(date_day), max(date_day) from {SCHEMA}.dim_date"
    )
    # 16 years, 4 of them leap years (2016, 2020, 2024, 2028): 16 * 365 + 4
    assert (n, first, last) == (5844, D(2015, 1, 1), D(2030, 12, 31))
    march = day(ref, D(2024, 3, 31))
    april = day(ref, D(2024, 4, 1))
    assert (march["financial_year"], march["collection_year"]) == ("2023-24", 2024)
    assert (april["financial_year"], april["collection_year"]) == ("2024-25", 2025)
    assert day(ref, D(2024, 2, 10))["month_end"] == D(2024, 2, 29)
    assert day(ref, D(2024, 2, 29))["is_month_end"]
    assert day(ref, D(2024, 12, 23))["iso_weekday"] == 1  # a Monday


def test_working_day_number_runs_with_the_working_days(ref):
    # 2015-01-01 (Thursday) is New Year's Day: no working day yet, number 0.
    assert day(ref, D(2015, 1, 1))["working_day_number"] == 0
    assert day(ref, D(2015, 1, 2))["working_day_number"] == 1
    bad = ref.query(
        f"""
        select date_day from (
            select date_day, is_working_day,
                working_day_number
                - lag(working_day_number, 1, 0) over (order by date_day) as step
            from {SCHEMA}.dim_date
        ) as steps
        where step <> case when is_working_day then 1 else 0 end
        """
    )
    assert bad == []


# ---------------------------------------------------------------- working-day macros ----


def test_working_days_between_christmas_2023(ref):
    # Working days after Fri 22 Dec 2023 up to and including Tue 2 Jan 2024:
    #   Sat 23, Sun 24 weekend; Mon 25 Christmas Day, Tue 26 Boxing Day (bank holidays);
    #   Wed 27 (1), Thu 28 (2), Fri 29 (3); Sat 30, Sun 31 weekend;
    #   Mon 1 Jan New Year's Day (bank holiday); Tue 2 Jan (4).   -> 4
    # (3 of them fall strictly between the two dates; the end day counts when it is a
    # working day, the start day never does.)
    between, same_day, backwards, by_hand = ref.macro_row(
        """{{ working_days_between("date '2023-12-22'", "date '2024-01-02'") }},
           {{ working_days_between("date '2023-12-22'", "date '2023-12-22'") }},
           {{ working_days_between("date '2024-01-02'", "date '2023-12-22'") }},
           (select e.working_day_number - s.working_day_number
              from {{ ref('dim_date') }} as s, {{ ref('dim_date') }} as e
             where s.date_day = date '2023-12-22' and e.date_day = date '2024-01-02')"""
    )
    assert (between, same_day, backwards, by_hand) == (4, 0, 0, 4)


def test_add_45_working_days(ref):
    # 45 working days after Fri 15 Nov 2024, counted by hand week by week:
    #   18-22 Nov  5 | 25-29 Nov 10 | 2-6 Dec 15 | 9-13 Dec 20 | 16-20 Dec 25
    #   23, 24 Dec 27 | 25, 26 Dec bank holidays | 27 Dec 28 | 30, 31 Dec 30
    #   1 Jan bank holiday | 2, 3 Jan 32 | 6-10 Jan 37 | 13-17 Jan 42
    #   Mon 20 Jan 43, Tue 21 Jan 44, Wed 22 Jan 45  -> 2025-01-22
    due, check, from_saturday, plus_zero, too_far = ref.macro_row(
        """{{ add_working_days("date '2024-11-15'", 45) }},
           {{ working_days_between("date '2024-11-15'", "date '2025-01-22'") }},
           {{ add_working_days("date '2024-11-16'", 45) }},
           {{ add_working_days("date '2024-11-16'", 0) }},
           {{ add_working_days("date '2030-12-20'", 45) }}"""
    )
    assert due == D(2025, 1, 22)
    assert check == 45
    assert from_saturday == D(2025, 1, 22)  # Sat 16 Nov counts from the same Friday
    assert plus_zero == D(2024, 11, 16)  # n = 0: the day itself
    assert too_far is None  # beyond the calendar


def test_is_working_day_macro(ref):
    assert ref.macro_row(
        """{{ is_working_day("date '2020-05-08'") }}, {{ is_working_day("date '2020-05-04'") }},
           {{ is_working_day("timestamp '2024-04-01 10:30'") }},
           {{ is_working_day("null::date") }}"""
    ) == (False, True, False, None)


# ---------------------------------------------------------------- other macros ----------


def test_parse_date_and_timestamp(ref):
    row = ref.macro_row(
        """{{ parse_date("'31/12/2023'") }}, {{ parse_date("'2023-12-31'") }},
           {{ parse_date("' 1/2/2024 '") }}, {{ parse_date("'29/02/2024'") }},
           {{ parse_date("''") }}, {{ parse_date("null") }}, {{ parse_date("'31/02/2023'") }},
           {{ parse_date("'2023-13-01'") }}, {{ parse_date("'not a date'") }},
           {{ parse_date("'2023-12-31'", ['dd/mm/yyyy']) }},
           {{ parse_timestamp("'24/11/2021 23:59:01'") }},
           {{ parse_timestamp("'2021-11-24T01:12:09'") }},
           {{ parse_timestamp("'2021-11-24 01:12'") }},
           {{ parse_timestamp("'24/11/2021 24:00:00'") }},
           {{ parse_timestamp("'2021-11-24'") }},
           {{ parse_date("'2024-02-30'") }}, {{ parse_date("'00/01/2024'") }},
           {{ parse_timestamp("'2021-11-24T23:60:00'") }},
           {{ parse_timestamp("'2021-11-24T1:02:03.5'") }},
           {{ parse_date("'2024-1-5'") }}"""
    )
    assert row == (
        D(2023, 12, 31),
        D(2023, 12, 31),
        D(2024, 2, 1),
        D(2024, 2, 29),
        None,
        None,
        None,  # 31 February
        None,  # month 13
        None,
        None,  # ISO text, but only dd/mm/yyyy accepted
        dt.datetime(2021, 11, 24, 23, 59, 1),
        dt.datetime(2021, 11, 24, 1, 12, 9),
        dt.datetime(2021, 11, 24, 1, 12),
        None,  # hour 24
        None,  # a bare date is not a timestamp
        None,  # 30 February, zero-padded (the substr fast path checks the calendar too)
        None,  # day 0
        None,  # minute 60
        dt.datetime(2021, 11, 24, 1, 2, 3, 500000),  # unpadded hour, fraction: the regex path
        D(2024, 1, 5),  # unpadded ISO month and day
    )


def test_age_month_end_and_years(ref):
    row = ref.macro_row(
        """{{ age_in_years("date '2010-06-15'", "date '2024-06-14'") }},
           {{ age_in_years("date '2010-06-15'", "date '2024-06-15'") }},
           {{ age_in_years("date '2008-02-29'", "date '2009-02-28'") }},
           {{ age_in_years("date '2008-02-29'", "date '2009-03-01'") }},
           {{ age_in_years("date '2024-06-01'", "date '2024-01-01'") }},
           {{ month_end("date '2023-02-10'") }}, {{ month_start("date '2023-02-10'") }},
           {{ financial_year("date '2099-04-01'") }}, {{ collection_year("date '2025-03-31'") }}"""
    )
    assert row == (13, 14, 0, 1, -1, D(2023, 2, 28), D(2023, 2, 1), "2099-00", 2025)


# ---------------------------------------------------------------- code lists ------------


def test_code_lists(ref):
    counts = dict(
        ref.query(
            """
            select 'referral_source', count(*) from reference.dfe_referral_source
            union all select 'placement_type', count(*) from reference.dfe_placement_type
            union all select 'assessment_factor', count(*) from reference.dfe_assessment_factor
            union all select 'ethnicity', count(*) from reference.dfe_ethnicity
            union all select 'rec', count(*) from reference.dfe_reason_episode_ceased
            union all select 'legal_status', count(*) from reference.dfe_legal_status
            """
        )
    )
    assert counts == {
        "referral_source": 22,
        "placement_type": 27,
        "assessment_factor": 42,
        "ethnicity": 20,
        "rec": 23,  # 21 DfE leaving codes, X1 (a new episode follows) + TECH
        "legal_status": 13,
    }
    # codes are text: '4' and '10' are referral sources, not numbers
    assert ref.query(
        "select code from reference.dfe_referral_source where code in ('4', '10') order by 1"
    ) == [("10",), ("4",)]
    hidden = ref.query("select code from reference.dfe_disability where is_hidden order by 1")
    assert [c for (c,) in hidden] == ["AUT", "BEH", "COMM", "LD"]
    technical = ref.query(
        "select code from reference.dfe_reason_episode_ceased where is_technical "
        "union all select code from reference.dfe_cin_closure_reason where is_technical"
    )
    assert technical == [("TECH",), ("TECH",)]
    assert ref.query(
        "select source_system, source_code, gender_code from reference.dfe_gender_map "
        "where source_code in ('U', '9') order by 1"
    ) == [("council", "U", "0"), ("trust", "9", "9")]
