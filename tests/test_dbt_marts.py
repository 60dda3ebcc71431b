"""The BI marts: contracts, no identifying data, pseudonymous keys, incremental = full refresh.

Real dbt on the hand-made scenario (tests/test_dbt_marts_support.py) in a database of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from test_dbt_marts_support import NHS_A, dbt, query

MART_SCHEMA = "analytics"
FACTS_INCREMENTAL = ("fct_visits", "fct_post_days")


@pytest.fixture(scope="module")
def built(scenario_warehouse):
    return scenario_warehouse  # conftest: built once for this module and test_dbt_stitching


def _manifest(settings) -> dict:
    path = Path(tempfile.gettempdir()) / f"csc_dbt_{settings.pg_database}" / "target"
    return json.loads((path / "manifest.json").read_text())


def test_every_mart_model_has_an_enforced_contract_and_documented_columns(built):
    manifest = _manifest(built)
    marts = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")
    ]
    assert len(marts) >= 22
    for node in marts:
        assert node["contract"]["enforced"], node["name"]
        assert node["columns"], node["name"]
        for name, col in node["columns"].items():
            assert col.get("data_type"), (node["name"], name)
            assert col.get("description"), (node["name"], name)


def test_no_identifying_values_in_the_bi_schema(built):
    """No name, NHS number, UPN, full postcode or full date of birth of the scenario's
    children appears in any text or date column of the mart schema."""
    forbidden_text = {
        "amelia",
        "jones",
        NHS_A,
        "a123456789012",
        "ab12 3cd",
        "zoë",
        "o'brien",
        "jo smith",
        "jsmith2",
        "the carers",
    }
    forbidden_dates = {dt.date(2010, 5, 17), dt.date(2012, 3, 4), dt.date(2008, 11, 2)}
    with psycopg.connect(built.conninfo()) as conn:
        cols = conn.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = %s and table_name <> 'dim_date'",
            (MART_SCHEMA,),
        ).fetchall()
        assert cols
        for table, column, data_type in cols:
            ident = sql.Identifier(MART_SCHEMA, table)
            col = sql.Identifier(column)
            if data_type == "text":
                values = conn.execute(
                    sql.SQL("select distinct lower({}) from {}").format(col, ident)
                ).fetchall()
                found = {v for (v,) in values if v} & forbidden_text
                assert not found, (table, column, found)
            elif data_type == "date":
                values = conn.execute(
                    sql.SQL("select distinct {} from {}").format(col, ident)
                ).fetchall()
                found = {v for (v,) in values} & forbidden_dates
                assert not found, (table, column, found)


def test_child_key_is_the_hmac_of_child_id_with_the_secret(built):
    secret = built.pseudonym_secret
    rows = query(
        built,
        "select i.child_id, d.child_key from intermediate.int_child_pseudonyms i "
        f"join {MART_SCHEMA}.dim_child d using (child_key)",
    )
    assert rows
    for child_id, child_key in rows:
        assert child_key == hmac.new(secret.encode(), child_id.encode(), hashlib.sha256).hexdigest()
    # dim_child holds month of birth only
    months = query(
        built, f"select distinct extract(day from birth_month) from {MART_SCHEMA}.dim_child"
    )
    assert months == [(1,)]


def test_the_secret_is_nowhere_in_dbt_artifacts(built):
    secret = built.pseudonym_secret
    target = Path(tempfile.gettempdir()) / f"csc_dbt_{built.pg_database}"
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in {".sql", ".json", ".log", ".txt"}:
            assert secret not in path.read_text(errors="ignore"), path


def test_case_level_schema_has_names_for_worklists(built):
    rows = query(
        built,
        "select c.forename, c.surname, d.child_key is not null from case_level.case_children c "
        f"left join {MART_SCHEMA}.dim_child d using (child_key) where c.child_id in "
        "(select child_id from intermediate.int_child_identity where person_id = '1001')",
    )
    assert len(rows) == 1 and rows[0][2]
    review = query(built, "select conflict_type from case_level.case_identity_review")
    assert review == [("nhs_number_dob_mismatch",)]


def _snapshot(settings, table: str) -> list[tuple]:
    return query(settings, f"select * from {MART_SCHEMA}.{table} order by 1, 2")


@pytest.mark.changes_shared_warehouse
def test_incremental_facts_equal_a_full_refresh(built):
    # a new night: a council visit added, a council visit deleted (entered in error)
    with psycopg.connect(built.conninfo(), autocommit=True) as conn:
        cols = (
            "visit_id, person_id, visit_date, visit_type, seen_alone, worker_id, change_type, "
            "last_modified, _batch_id, _extract_date, _source_file, _line_number"
        )
        conn.execute(
            f"insert into raw_council.visits ({cols}) values "
            "('6002', '1005', '2025-04-02', 'STAT', 'Y', 'E00001', 'I', '2025-04-02T10:00:00',"
            " 9, '2025-04-02', 'visits.txt', 2),"
            "('6001', '1005', '2022-05-03', 'STAT', 'N', 'E00002', 'D', '2025-04-02T11:00:00',"
            " 9, '2025-04-02', 'visits.txt', 3)"
        )
    dbt(built, "build", "--select", "+fct_visits +fct_post_days", as_at="2025-04-02")
    incremental = {t: _snapshot(built, t) for t in FACTS_INCREMENTAL}
    visit_dates = [r[3] for r in incremental["fct_visits"]]
    assert dt.date(2025, 4, 2) in visit_dates and dt.date(2022, 5, 3) not in visit_dates
    assert max(r[1] for r in incremental["fct_post_days"]) == dt.date(2025, 4, 2)
    dbt(
        built, "build", "--select", "fct_visits fct_post_days", "--full-refresh", as_at="2025-04-02"
    )
    for table in FACTS_INCREMENTAL:
        assert _snapshot(built, table) == incremental[table], table
