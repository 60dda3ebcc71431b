"""The dbt staging layer against a real database: hand-made raw rows in, staged rows out.

One throw-away database on the project's cluster holds the raw layer (the loader's DDL when
it is importable, else the same layout built here from the contracts: every column text plus
the lineage columns). A few raw rows per system carry the traps staging exists for: a council
update, a delete, a delete for a key never inserted, a re-insert; an older trust snapshot next
to the newer one; NHS numbers printed with spaces and one failing the mod-11 check; HR dates
as ISO and as dd/mm/yyyy text. ``dbt build --select staging`` (views, data tests, unit tests)
must pass, then the staged rows are checked by querying the views.

The snapshot choice is checked both ways: first without ``ops.load_ledger`` (newest
_extract_date in raw), then with a ledger that marks the newest trust persons file rejected
(the older snapshot is read).
"""

from __future__ import annotations

import os
import uuid
from datetime import date

import psycopg
import pytest
from psycopg import sql

from csc_warehouse.config import Settings, get_settings
from csc_warehouse.contracts import SYSTEMS, load_contract
from csc_warehouse.tools import run_dbt

pytestmark = pytest.mark.timeout(300)

LINEAGE_DDL = (
    "_batch_id bigint not null, _extract_date date not null, _source_file text not null, "
    "_line_number int not null, _loaded_at timestamptz not null default now()"
)


def _create_raw_tables(conn: psycopg.Connection) -> None:
    try:  # the loader's own DDL, so the test follows the real raw layout
        from csc_warehouse.load.ddl import ensure_raw
    except ImportError:  # pragma: no cover - loader not there yet
        ensure_raw = None
    for system in SYSTEMS:
        contract = load_contract(system)
        if ensure_raw is not None:
            ensure_raw(conn, contract)
            continue
        conn.execute(
            sql.SQL("create schema if not exists {}").format(sql.Identifier(f"raw_{system}"))
        )
        for name, table in contract.tables.items():
            cols = list(dict.fromkeys(c.db_name for c in table.columns))
            conn.execute(
                sql.SQL("create table {} ({}, {})").format(
                    sql.Identifier(f"raw_{system}", name),
                    sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in cols),
                    sql.SQL(LINEAGE_DDL),
                )
            )


def _insert(conn, system: str, table: str, batch: int, extract: str, rows: list[dict]) -> None:
    """Append raw rows as one batch (text values; lineage filled in)."""
    for line, row in enumerate(rows, start=2):
        values = {
            **row,
            "_batch_id": batch,
            "_extract_date": date.fromisoformat(extract),
            "_source_file": f"{system}/{extract}/{table}",
            "_line_number": line,
        }
        conn.execute(
            sql.SQL("insert into {} ({}) values ({})").format(
                sql.Identifier(f"raw_{system}", table),
                sql.SQL(", ").join(sql.Identifier(k) for k in values),
                sql.SQL(", ").join(sql.Placeholder() for _ in values),
            ),
            list(values.values()),
        )


def _council(row: dict, change: str, modified: str) -> dict:
    return {**row, "change_type": change, "last_modified": modified}


def _load_raw(conn: psycopg.Connection) -> None:
    # ---- trust: two snapshots, the newer one is what staging reads -----------------------
    _insert(conn, "trust", "persons", 1, "2022-03-31", [
        {"person_id": "T0000001", "nhs_number": "9434765919", "surname": "Smith",
         "dob": "01/02/2010", "gender": "1", "ethnicity": "WBRI",
         "updated_at": "01/03/2022 10:00:00"},
        {"person_id": "T0000002", "surname": "Jones", "dob": "03/04/2011", "gender": "2",
         "updated_at": "01/03/2022 10:00:00"},
    ])  # fmt: skip
    _insert(conn, "trust", "persons", 2, "2022-04-05", [
        {"person_id": "T0000001", "nhs_number": "9434765919", "forename": " Amy ",
         "surname": "Smith-Ray", "dob": "01/02/2010", "gender": "1", "ethnicity": "WBRI",
         "postcode": "ab1 2cd", "updated_at": "04/04/2022 16:45:10"},
        {"person_id": "T0000003", "nhs_number": "4857773456", "surname": "Taylor",
         "dob": "28/02/2012", "gender": "0", "ethnicity": "NOBT",
         "updated_at": "05/04/2022 08:00:00"},
    ])  # fmt: skip
    _insert(conn, "trust", "referrals", 2, "2022-04-05", [
        {"referral_id": "R1", "person_id": "T0000001", "referral_date": "01/04/2021",
         "source": "5C", "primary_need": "N1", "closure_date": "01/04/2022",
         "closure_reason": "TECH", "nfa": "N", "team_code": "cin1"},
        {"referral_id": "R2", "person_id": "T0000003", "referral_date": "02/04/2021",
         "source": "10", "nfa": "Y"},
    ])  # fmt: skip
    _insert(conn, "trust", "assessments", 2, "2022-04-05", [
        {"assessment_id": "A1", "referral_id": "R1", "person_id": "T0000001",
         "start_date": "05/04/2021", "authorised_date": "20/05/2021", "factors": "2A;3A;21"},
    ])  # fmt: skip
    _insert(conn, "trust", "cp_plans", 2, "2022-04-05", [
        {"cp_plan_id": "C1", "referral_id": "R1", "person_id": "T0000001",
         "start_date": "01/06/2021", "end_date": "01/04/2022", "initial_category": "NEG",
         "latest_category": "EMO", "end_reason": "TECH"},
    ])  # fmt: skip
    _insert(conn, "trust", "visits", 2, "2022-04-05", [
        {"visit_id": "V1", "person_id": "T0000001", "visit_date": "10/06/2021",
         "visit_type": "CPV", "seen_alone": "Y", "worker_id": "jsmith2"},
    ])  # fmt: skip

    # ---- council: every delta row kept; staging collapses them ---------------------------
    p101 = {"person_id": "101", "first_name": "Mia", "last_name": "Khan",
            "date_of_birth": "2014-05-06", "sex": "F", "ethnicity": "APKN - Pakistani"}  # fmt: skip
    _insert(conn, "council", "people", 3, "2015-04-01", [
        _council(p101, "I", "2015-03-01T09:00:00"),
        _council({"person_id": "102", "last_name": "Gone", "date_of_birth": "2012-01-01",
                  "sex": "M"}, "I", "2015-03-02T09:00:00"),
        _council({"person_id": "105", "last_name": "Back", "date_of_birth": "2013-01-01",
                  "sex": "U"}, "I", "2015-03-03T09:00:00"),
    ])  # fmt: skip
    _insert(conn, "council", "people", 4, "2022-04-01", [
        _council({**p101, "nhs_no": "943 476 5919", "ethnicity": "WBRI - White British",
                  "former_trust_id": "T0000001", "postcode": "ab1 2cd"},
                 "U", "2022-04-01T11:30:00"),
        _council({"person_id": "102"}, "D", "2022-04-01T12:00:00"),
        _council({"person_id": "103", "last_name": "Never"}, "D", "2022-04-01T12:00:00"),
        _council({"person_id": "104", "nhs_no": "485 777 3456", "last_name": "Bad",
                  "date_of_birth": "2016-07-08", "sex": "M"}, "I", "2022-04-01T13:00:00"),
        _council({"person_id": "105"}, "D", "2022-04-01T14:00:00"),
    ])  # fmt: skip
    _insert(conn, "council", "people", 5, "2022-04-02", [
        _council({"person_id": "105", "last_name": "Back-Again", "date_of_birth": "2013-01-01",
                  "sex": "U"}, "I", "2022-04-02T09:00:00"),
    ])  # fmt: skip
    _insert(conn, "council", "workflow_steps", 4, "2022-04-01", [
        _council({"step_id": "9001", "person_id": "101", "step_type": "REF",
                  "started_on": "2022-04-01", "team": "cin1",
                  "attributes": '{"source": "5C", "primary_need": "N1"}'},
                 "I", "2022-04-01T10:00:00"),
        _council({"step_id": "9002", "person_id": "101", "step_type": "ASMT",
                  "started_on": "2022-04-01", "parent_step_id": "9001",
                  "attributes": '{"factors": ["2A", "21"]}'}, "I", "2022-04-01T10:05:00"),
    ])  # fmt: skip
    _insert(conn, "council", "workflow_steps", 5, "2022-04-02", [
        _council({"step_id": "9002", "person_id": "101", "step_type": "ASMT",
                  "started_on": "2022-04-01", "completed_on": "2022-04-02",
                  "parent_step_id": "9001", "attributes": '{"factors": ["2A", "21"]}'},
                 "U", "2022-04-02T16:00:00"),
    ])  # fmt: skip
    _insert(conn, "council", "disabilities", 3, "2015-04-01", [
        _council({"person_id": "101", "disability_code": "AUT", "start_date": "2015-01-05",
                  "hidden": "Y"}, "I", "2015-03-01T09:00:00"),
    ])  # fmt: skip
    _insert(conn, "council", "foster_carers", 3, "2015-04-01", [
        _council({"carer_id": "7", "household": "The Browns", "approved_on": "2014-06-01",
                  "places": "3", "references_complete": "Y",
                  "supervising_worker_id": "E00001"}, "I", "2015-03-01T09:00:00"),
    ])  # fmt: skip

    # ---- hr: two weekday snapshots; dates as ISO (Excel dates) or dd/mm/yyyy text --------
    _insert(conn, "hr", "posts", 6, "2025-03-31", [
        {"post_number": "P0001", "team": "CIN1", "job_title": "Old title",
         "social_worker_post": "Yes", "case_holding": "Yes", "fte": "1",
         "established_from": "2019-01-01"},
    ])  # fmt: skip
    _insert(conn, "hr", "posts", 7, "2025-04-01", [
        {"post_number": "P0001", "team": "CIN1", "job_title": "Social Worker",
         "social_worker_post": "Yes", "case_holding": "Yes", "fte": "1",
         "established_from": "2019-01-01"},
        {"post_number": "P0002", "team": "CIN1", "job_title": "Team Manager",
         "social_worker_post": "No", "case_holding": "No", "fte": "0.5",
         "established_from": "01/04/2016", "established_to": "31/03/2026"},
    ])  # fmt: skip
    _insert(conn, "hr", "staff", 7, "2025-04-01", [
        {"employee_number": "E00001", "trust_username": "jsmith2", "name": "Jo Smith",
         "job_title": "Social Worker", "post_number": "P0001", "fte": "0.8",
         "start_date": "2019-09-02", "agency": "No", "qualified_on": "01/07/2015"},
        {"employee_number": "E00002", "name": "Sam Agency", "job_title": "Social Worker",
         "post_number": "P0001", "fte": "1", "start_date": "14/03/2016",
         "leaving_date": "2024-02-29", "agency": "Yes"},
    ])  # fmt: skip


@pytest.fixture(scope="module")
def staging_db() -> Settings:
    base = get_settings()
    try:
        admin = psycopg.connect(base.conninfo("postgres"), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # pragma: no cover
        pytest.skip(f"no Postgres (run `csc-warehouse db start`): {exc}")
    name = f"csc_test_staging_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    settings = get_settings({**os.environ, "CSC_PG_DATABASE": name})
    try:
        with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
            _create_raw_tables(conn)
            _load_raw(conn)
        yield settings
    finally:
        with psycopg.connect(base.conninfo("postgres"), autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def _dbt(settings: Settings, tmp_path, *args: str):
    # own target/log folders: never clobber another run's manifest in dbt_project/target
    res = run_dbt(
        [*args, "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        settings,
        capture=True,
    )
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
    return res


def _rows(settings: Settings, query: str) -> list[dict]:
    with psycopg.connect(settings.conninfo(), row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture(scope="module")
def built(staging_db, tmp_path_factory) -> Settings:
    """dbt build --select staging (views + data tests + unit tests), no ops schema yet."""
    _dbt(
        staging_db,
        tmp_path_factory.mktemp("dbt"),
        "build",
        "--select",
        "staging",
        "--indirect-selection",
        "cautious",
    )
    return staging_db


def test_council_deltas_collapse_to_current_state(built):
    people = {r["person_id"]: r for r in _rows(built, "select * from staging.stg_council__people")}
    # 101 updated -> update's values; 102 deleted -> gone; 103 D never inserted -> nothing;
    # 104 inserted once; 105 inserted, deleted, re-inserted -> present with the re-insert.
    assert sorted(people) == ["101", "104", "105"]
    mia = people["101"]
    assert mia["forename"] == "Mia" and mia["surname"] == "Khan"
    assert mia["nhs_number"] == "9434765919" and mia["nhs_number_raw_valid"] is True
    assert mia["ethnicity_code"] == "WBRI"
    assert mia["gender_code"] == "2"
    assert mia["former_trust_id"] == "T0000001"
    assert mia["postcode"] == "AB1 2CD"
    assert mia["date_of_birth"] == date(2014, 5, 6)
    assert mia["_extract_date"] == date(2022, 4, 1)
    assert mia["source_system"] == "council"
    assert str(mia["last_modified"]) == "2022-04-01 11:30:00"
    assert people["104"]["nhs_number"] is None  # 485 777 3456 fails the mod-11 check
    assert people["104"]["nhs_number_raw_valid"] is False
    assert people["105"]["surname"] == "Back-Again" and people["105"]["gender_code"] == "0"


def test_council_other_tables(built):
    steps = _rows(built, "select * from staging.stg_council__workflow_steps order by step_id")
    assert [s["step_id"] for s in steps] == ["9001", "9002"]
    assert steps[0]["attributes"] == {"source": "5C", "primary_need": "N1"}  # jsonb
    assert steps[0]["team_code"] == "CIN1" and steps[0]["end_date"] is None
    assert steps[1]["end_date"] == date(2022, 4, 2) and steps[1]["parent_step_id"] == "9001"
    (dis,) = _rows(built, "select * from staging.stg_council__disabilities")
    assert dis["is_hidden_flag"] is True and dis["start_date"] == date(2015, 1, 5)
    (carer,) = _rows(built, "select * from staging.stg_council__foster_carers")
    assert carer["places"] == 3 and carer["is_references_complete"] is True


def test_trust_reads_newest_snapshot_without_ledger(built):
    persons = {r["person_id"]: r for r in _rows(built, "select * from staging.stg_trust__persons")}
    assert sorted(persons) == ["T0000001", "T0000003"]  # T0000002 only in the older snapshot
    amy = persons["T0000001"]
    assert amy["surname"] == "Smith-Ray" and amy["forename"] == "Amy"
    assert amy["date_of_birth"] == date(2010, 2, 1) and amy["gender_code"] == "1"
    assert amy["nhs_number"] == "9434765919" and amy["nhs_number_raw_valid"] is True
    assert str(amy["updated_at"]) == "2022-04-04 16:45:10"
    assert amy["_extract_date"] == date(2022, 4, 5)
    assert persons["T0000003"]["nhs_number"] is None
    assert persons["T0000003"]["nhs_number_raw_valid"] is False


def test_trust_typing(built):
    refs = {r["referral_id"]: r for r in _rows(built, "select * from staging.stg_trust__referrals")}
    assert refs["R1"]["is_technical_closure"] is True and refs["R1"]["is_nfa"] is False
    assert refs["R1"]["closure_date"] == date(2022, 4, 1) and refs["R1"]["team_code"] == "CIN1"
    assert refs["R2"]["is_technical_closure"] is False and refs["R2"]["is_nfa"] is True
    (asmt,) = _rows(built, "select * from staging.stg_trust__assessments")
    assert asmt["factor_codes"] == ["2A", "3A", "21"]
    (plan,) = _rows(built, "select * from staging.stg_trust__cp_plans")
    assert plan["is_technical_closure"] is True and plan["latest_category_code"] == "EMO"
    (visit,) = _rows(built, "select * from staging.stg_trust__visits")
    assert visit["is_seen_alone"] is True and visit["worker_id"] == "jsmith2"
    assert _rows(built, "select count(*) as n from staging.stg_trust__cla_episodes") == [{"n": 0}]


def test_hr_snapshot_dates_and_flags(built):
    posts = {r["post_number"]: r for r in _rows(built, "select * from staging.stg_hr__posts")}
    assert sorted(posts) == ["P0001", "P0002"]
    assert posts["P0001"]["job_title"] == "Social Worker"  # newest snapshot, not "Old title"
    assert posts["P0002"]["established_from"] == date(2016, 4, 1)  # text dd/mm/yyyy
    assert posts["P0002"]["established_to"] == date(2026, 3, 31)
    assert posts["P0001"]["established_from"] == date(2019, 1, 1)  # ISO (Excel date)
    assert posts["P0002"]["is_social_worker_post"] is False
    assert str(posts["P0002"]["fte"]) == "0.5"
    staff = {r["employee_number"]: r for r in _rows(built, "select * from staging.stg_hr__staff")}
    assert staff["E00001"]["is_agency"] is False and staff["E00002"]["is_agency"] is True
    assert staff["E00001"]["worker_name"] == "Jo Smith"
    assert staff["E00001"]["qualified_on"] == date(2015, 7, 1)
    assert staff["E00002"]["start_date"] == date(2016, 3, 14)


def test_ledger_decides_the_snapshot_and_freshness(built, tmp_path):
    """With ops.load_ledger (the columns staging relies on), a rejected newest file is skipped."""
    with psycopg.connect(built.conninfo(), autocommit=True) as conn:
        conn.execute("create schema ops")
        conn.execute(
            "create table ops.load_ledger (batch_id bigint, system text, extract_date date, "
            "file_name text, table_name text, status text, "
            "rows_raw bigint not null default 0, recorded_at timestamptz not null default now())"
        )
        conn.execute(
            "insert into ops.load_ledger (batch_id, system, extract_date, table_name, status) "
            "values (1, 'trust', '2022-03-31', 'persons', 'loaded'), "
            "(2, 'trust', '2022-04-05', 'persons', 'rejected'), "
            "(2, 'trust', '2022-04-05', 'referrals', 'quarantined')"
        )
        conn.execute(
            "insert into ops.load_ledger (batch_id, system, extract_date, table_name, status) "
            "select 5, 'council', '2022-04-02', t, 'loaded' from unnest(%s::text[]) as t",
            (list(load_contract("council").tables),),
        )
    # views pick their snapshot path when built: rebuild them now the ledger exists
    _dbt(built, tmp_path, "run", "--select", "stg_trust__persons", "stg_trust__referrals")
    persons = _rows(built, "select * from staging.stg_trust__persons order by person_id")
    assert [(p["person_id"], p["surname"]) for p in persons] == [
        ("T0000001", "Smith"),
        ("T0000002", "Jones"),
    ]
    assert {p["_extract_date"] for p in persons} == {date(2022, 3, 31)}
    refs = _rows(built, "select referral_id from staging.stg_trust__referrals order by 1")
    assert [r["referral_id"] for r in refs] == ["R1", "R2"]  # quarantined = loaded

    # freshness: council per table from the ledger, hr from _loaded_at; trust has none
    # (council.ehcp has no raw row at all: it passes only because the ledger is read)
    res = _dbt(built, tmp_path, "source", "freshness", "--select", "source:council", "source:hr")
    assert res.stdout.count(" PASS freshness of ") == 12, res.stdout[-3000:]
    assert "PASS freshness of council.ehcp" in res.stdout
