"""Retention removes a long-finished child from every BI table, and only that child."""

from __future__ import annotations

from datetime import date

import psycopg

from csc_warehouse.retention import apply_retention


def test_retention_removes_expired_children_everywhere(test_db):
    with psycopg.connect(test_db.conninfo(), autocommit=True) as conn:
        conn.execute("create schema bi_t")
        conn.execute("create table bi_t.dim_child (child_key text, last_involvement_date date)")
        conn.execute(
            "insert into bi_t.dim_child values ('old', '2010-03-31'), ('recent', '2024-01-10'),"
            " ('open', null)"
        )
        conn.execute("create table bi_t.fct_cp_plans (child_key text, start_date date)")
        conn.execute(
            "insert into bi_t.fct_cp_plans values ('old', '2009-01-01'), "
            "('old', '2009-06-01'), ('recent', '2023-05-05')"
        )
        conn.execute("create table bi_t.fct_scorecard_monthly (measure_id text, value int)")
        conn.execute("insert into bi_t.fct_scorecard_monthly values ('x', 1)")
    # as at 2025-06-30 with 15 years: cutoff 2010-06-28; 'old' (ended 2010-03-31) expires
    dry = apply_retention("bi_t", date(2025, 6, 30), 15, test_db, dry_run=True)
    assert dry.children == 1 and dry.rows_by_table == {"fct_cp_plans": 2, "dim_child": 1}
    done = apply_retention("bi_t", date(2025, 6, 30), 15, test_db)
    assert done.rows == 3
    with psycopg.connect(test_db.conninfo()) as conn:
        keys = {r[0] for r in conn.execute("select child_key from bi_t.dim_child")}
        plans = conn.execute("select count(*) from bi_t.fct_cp_plans").fetchone()[0]
        score = conn.execute("select count(*) from bi_t.fct_scorecard_monthly").fetchone()[0]
    assert keys == {"recent", "open"}  # no end date = still involved: kept
    assert plans == 1 and score == 1
    again = apply_retention("bi_t", date(2025, 6, 30), 15, test_db)
    assert again.rows == 0  # idempotent
