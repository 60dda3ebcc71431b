"""Least privilege in the pipeline: the loader loads as csc_loader, dbt builds as
csc_transformer, publish leaves BI to the admin; an admin-owned database is taken over.

Real Postgres, real loader, real dbt, real publish, on a database of the test's own.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors
from test_load_support import valid_row, write_folder

from csc_warehouse import publish
from csc_warehouse.contracts import SYSTEMS, load_contract
from csc_warehouse.load import ddl, load_pending
from csc_warehouse.pseudonym import install_secret
from csc_warehouse.roles import LOADER, TRANSFORMER, ensure_roles
from csc_warehouse.tools import run_dbt

NIGHTS = {
    "trust": ("2021-11-24", None),
    "council": ("2015-04-01", "full"),
    "hr": ("2021-11-24", None),
}


def owners(settings, *schemas: str) -> dict[str, str]:
    """schema.relation -> owner, for tables, views and sequences."""
    with psycopg.connect(settings.conninfo()) as conn:
        return dict(
            conn.execute(
                "select n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner) "
                "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'S')",
                (list(schemas),),
            ).fetchall()
        )


def refused(settings, role: str, statement: str) -> bool:
    with psycopg.connect(settings.conninfo(role=role), autocommit=True) as conn:
        try:
            conn.execute(statement)
        except errors.InsufficientPrivilege:
            return True
    return False


@pytest.fixture(scope="module")
def night(make_database, tmp_path_factory):
    """One night loaded by the loader, built by dbt (as the pipeline does), published."""
    settings = make_database("csc_test_pipe_roles")
    landing = tmp_path_factory.mktemp("landing")
    for system, (extract_date, mode) in NIGHTS.items():
        contract = load_contract(system)
        tables = {t: [valid_row(contract, t, i) for i in (1, 2, 3)] for t in contract.tables}
        write_folder(landing, system, extract_date, tables, mode=mode)
    summary = load_pending(settings, landing)
    assert [n.status for n in summary.nights] == ["loaded"] * 3
    install_secret(settings)
    publish.prepare_build(settings)
    target = tmp_path_factory.mktemp("target")
    res = run_dbt(
        [
            "build",
            # data tests need real data; unit tests stay (they need TEMP on the database)
            "--exclude-resource-type",
            "test",
            "--target-path",
            str(target),
        ],
        settings,
        capture=True,
        role=TRANSFORMER,
        **publish.build_env(),
    )
    assert res.returncode == 0, res.stdout[-5000:]
    built = owners(settings, "staging", "intermediate", publish.BUILD_SCHEMA)
    publish.publish("test_pipeline_roles", settings=settings)
    return settings, built


def test_a_load_run_leaves_raw_and_its_ledger_owned_by_the_loader(night):
    settings, _ = night
    raw = owners(settings, *[ddl.raw_schema(s) for s in SYSTEMS])
    assert raw and set(raw.values()) == {LOADER}
    ops = owners(settings, "ops")
    for table in ("load_batches", "load_ledger", "quarantine", "current_batches"):
        assert ops[f"ops.{table}"] == LOADER
    assert ops["ops.pseudonym_secret"] == settings.pg_user


def test_dbt_builds_as_the_transformer(night):
    _, built = night
    assert any(name.startswith("staging.") for name in built)
    assert any(name.startswith(f"{publish.BUILD_SCHEMA}.") for name in built)
    assert set(built.values()) == {TRANSFORMER}


def test_published_tables_belong_to_the_admin_not_the_transformer(night):
    settings, _ = night
    published = owners(settings, publish.BI_SCHEMA, publish.CASE_SCHEMA)
    assert published and TRANSFORMER not in set(published.values())
    with psycopg.connect(settings.conninfo()) as conn:
        schema_owners = conn.execute(
            "select pg_get_userbyid(nspowner) from pg_namespace where nspname = any(%s)",
            ([publish.BI_SCHEMA, publish.CASE_SCHEMA],),
        ).fetchall()
    assert {r[0] for r in schema_owners} == {settings.pg_user}
    table = next(name for name in published if name.startswith("bi."))
    assert refused(settings, TRANSFORMER, f"drop table {table}")
    assert refused(settings, TRANSFORMER, f"delete from {table}")
    assert refused(settings, TRANSFORMER, "create table bi.sneaky (a int)")
    # the readers still read it
    with psycopg.connect(settings.conninfo(role="csc_bi_reader")) as conn:
        conn.execute(f"select * from {table} limit 1")  # noqa: S608 - a catalogue name


def test_the_loader_cannot_read_bi_nor_the_pipeline_schemas(night):
    settings, built = night
    bi_table = next(iter(owners(settings, publish.BI_SCHEMA)))
    assert refused(settings, LOADER, f"select * from {bi_table} limit 1")
    staging = next(name for name in built if name.startswith("staging."))
    assert refused(settings, LOADER, f"select * from {staging} limit 1")
    assert refused(settings, LOADER, "select * from ops.pseudonym_secret")


def test_the_transformer_cannot_read_the_quarantine(night):
    settings, _ = night
    assert refused(settings, TRANSFORMER, "select * from ops.quarantine limit 1")
    assert refused(settings, TRANSFORMER, "insert into raw_trust.persons (person_id) values ('x')")


def test_ensure_roles_takes_over_a_database_the_admin_owns(make_database):
    """A developer database from before the pipeline roles keeps working after db start."""
    settings = make_database("csc_test_takeover")
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        ddl.ensure_ops(conn)
        ddl.ensure_raw(conn, load_contract("trust"))
        conn.execute("create table ops.publish_log_old (a int)")
        conn.execute("grant select, insert on ops.publish_log_old to csc_loader")  # as before
        conn.execute("create table staging.stg_old (a int)")
        conn.execute("create view intermediate.int_old as select a from staging.stg_old")
    assert owners(settings, "raw_trust", "ops")["ops.load_ledger"] == settings.pg_user
    summary = ensure_roles(settings)
    assert any("ownership" in line for line in summary)
    assert set(owners(settings, "raw_trust").values()) == {LOADER}
    assert owners(settings, "ops")["ops.quarantine"] == LOADER
    assert set(owners(settings, "staging", "intermediate").values()) == {TRANSFORMER}
    assert owners(settings, "ops")["ops.publish_log_old"] == settings.pg_user
    assert refused(settings, LOADER, "select * from ops.publish_log_old")
    # the loader's DDL runs again as the loader (indexes, views, grants it must own)
    with psycopg.connect(settings.conninfo(role=LOADER), autocommit=True) as conn:
        ddl.ensure_ops(conn)
        ddl.ensure_raw(conn, load_contract("trust"))
    # idempotent: nothing left to move
    assert not any("ownership" in line for line in ensure_roles(settings))
