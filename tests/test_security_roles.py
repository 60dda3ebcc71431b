"""Database roles: BI reads only `bi`; the loader writes raw and cannot read BI; PUBLIC nothing.

Real Postgres, real roles (cluster-wide, created idempotently), a database of the test's own.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from csc_warehouse.roles import ensure_roles


@pytest.fixture(scope="module")
def db(make_database):
    settings = make_database("csc_test_roles")
    ensure_roles(settings)
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute("create table raw_trust.persons (person_id text, surname text)")
        conn.execute("insert into raw_trust.persons values ('T0000001', 'Smith')")
        conn.execute("create table ops.quarantine (id int, raw_line text)")
        conn.execute("create table staging.stg_x (a int)")
        conn.execute("create table bi.dim_child (child_key text, birth_month date)")
        conn.execute("insert into bi.dim_child values ('abc', '2015-03-01')")
        conn.execute("create table case_level.worklist_x (child_key text, forename text)")
    ensure_roles(settings)  # grants on the existing tables
    return settings


def can_select(settings, role: str | None, table: str) -> bool:
    with psycopg.connect(settings.conninfo(role=role), autocommit=True) as conn:
        try:
            conn.execute(f"select * from {table} limit 1")  # noqa: S608 - test-owned names
            return True
        except errors.InsufficientPrivilege:
            return False


@pytest.mark.parametrize(
    ("table", "allowed"),
    [
        ("bi.dim_child", True),
        ("raw_trust.persons", False),
        ("staging.stg_x", False),
        ("case_level.worklist_x", False),
        ("ops.quarantine", False),
    ],
)
def test_bi_reader_reads_only_bi(db, table, allowed):
    assert can_select(db, "csc_bi_reader", table) is allowed


def test_case_reader_reads_worklists_and_bi_but_not_raw(db):
    assert can_select(db, "csc_case_reader", "case_level.worklist_x")
    assert can_select(db, "csc_case_reader", "bi.dim_child")
    assert not can_select(db, "csc_case_reader", "raw_trust.persons")
    assert not can_select(db, "csc_case_reader", "ops.quarantine")


def test_loader_writes_raw_and_cannot_read_bi(db):
    assert not can_select(db, "csc_loader", "bi.dim_child")
    assert not can_select(db, "csc_loader", "case_level.worklist_x")
    with psycopg.connect(db.conninfo(role="csc_loader"), autocommit=True) as conn:
        conn.execute("insert into raw_trust.persons values ('T0000002', 'Jones')")
        conn.execute("create table raw_hr.staff_probe (a text)")  # can create raw tables
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("create table bi.sneaky (a int)")


def test_transformer_reads_raw_for_dbt_and_cannot_touch_published_bi(db):
    assert can_select(db, "csc_transformer", "raw_trust.persons")
    with psycopg.connect(db.conninfo(role="csc_transformer"), autocommit=True) as conn:
        conn.execute("create table staging.dbt_probe (a int)")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("insert into bi.dim_child values ('x', null)")


def test_public_has_no_rights(db):
    with psycopg.connect(db.conninfo(), autocommit=True) as conn:
        conn.execute("drop role if exists csc_test_nobody")
        conn.execute("create role csc_test_nobody login password 'nobody-pw'")
    try:
        info = db.conninfo().replace(f"user='{db.pg_user}'", "user='csc_test_nobody'")
        info = info.replace(f"password='{db.pg_password}'", "password='nobody-pw'")
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(info, connect_timeout=5)
    finally:
        with psycopg.connect(db.conninfo(), autocommit=True) as conn:
            conn.execute("drop role csc_test_nobody")


def test_new_raw_tables_follow_the_rule(db):
    """Default privileges: a table the loader creates tomorrow is readable by dbt only."""
    with psycopg.connect(db.conninfo(role="csc_loader"), autocommit=True) as conn:
        conn.execute("create table raw_council.new_table (a text)")
    assert can_select(db, "csc_transformer", "raw_council.new_table")
    assert not can_select(db, "csc_bi_reader", "raw_council.new_table")
    assert not can_select(db, "csc_case_reader", "raw_council.new_table")


def test_dbt_role_runs_without_jit(db):
    """dbt's batch queries carry estimates in the millions, and JIT compiled them for seconds
    to no gain; the transformer role has it off, the other roles keep the server's default."""
    with psycopg.connect(db.conninfo(role="csc_transformer"), autocommit=True) as conn:
        assert conn.execute("show jit").fetchone()[0] == "off"
    with psycopg.connect(db.conninfo(role="csc_loader"), autocommit=True) as conn:
        assert conn.execute("show jit").fetchone()[0] == "on"
