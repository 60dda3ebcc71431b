"""Great Expectations gates and write-audit-publish, on the generated warehouse.

A clean build passes and publishes; each injected problem is stopped by the right gate with a
message naming it, the build is kept for inspection, and the published `bi` is byte-for-byte
what it was (row counts and checksums of every table).
"""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import sql

from csc_warehouse import gates
from csc_warehouse.publish import BUILD_SCHEMA, prepare_build, schema_fingerprint

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wh(e2e_warehouse):
    wh = e2e_warehouse
    with psycopg.connect(wh.settings.conninfo()) as conn:
        published = conn.execute("select to_regclass('bi.dim_child')").fetchone()[0]
    if not published:
        night = wh.next_night()
        wh.advance_to(night)
        wh.cli("nightly", "--date", night.isoformat(), "--no-report")
    return wh


def build_from_published(settings) -> None:
    """A stand-in for tonight's dbt build: the build schema as a copy of the published mart."""
    prepare_build(settings)
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(BUILD_SCHEMA)))
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'bi' "
                "and table_type = 'BASE TABLE'"
            )
        ]
        for table in tables:
            conn.execute(
                sql.SQL("create table {} as table {}").format(
                    sql.Identifier(BUILD_SCHEMA, table), sql.Identifier("bi", table)
                )
            )


def kept_builds(settings) -> set[str]:
    with psycopg.connect(settings.conninfo()) as conn:
        return {
            r[0]
            for r in conn.execute(
                "select nspname from pg_namespace where nspname like 'mart_failed_%'"
            )
        }


def test_clean_build_passes_and_publishes(wh):
    build_from_published(wh.settings)
    started = time.perf_counter()
    outcome = gates.gate_and_publish(wh.settings, "test_clean")
    print(f"mart gates + publish: {time.perf_counter() - started:.1f} s")
    assert outcome["published"] is True
    with psycopg.connect(wh.settings.conninfo()) as conn:
        assert conn.execute("select to_regclass('mart_build.dim_child')").fetchone()[0] is None
        assert conn.execute("select count(*) from bi.dim_child").fetchone()[0] > 0


def test_raw_gate_stops_a_duplicated_key(wh):
    with psycopg.connect(wh.settings.conninfo(), autocommit=True) as conn:
        conn.execute(
            "insert into raw_trust.persons select * from raw_trust.persons "
            "where _batch_id = (select max(_batch_id) from raw_trust.persons) limit 1"
        )
        try:
            result = gates.run_gates("raw", wh.settings, "test_raw_dup")
        finally:
            conn.execute(
                "delete from raw_trust.persons where ctid in (select max(ctid) from "
                "raw_trust.persons where _batch_id = (select max(_batch_id) from "
                "raw_trust.persons) group by person_id having count(*) > 1)"
            )
    assert not result.passed
    names = [f.suite for f in result.blocking_failures]
    assert "raw__trust__persons" in names
    message = gates.format_failures(result)
    assert "raw__trust__persons" in message and "unique" in message
    assert gates.run_gates("raw", wh.settings, "test_raw_clean").passed


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (
            "insert into mart_build.fct_cp_plans select * from mart_build.fct_cp_plans limit 1; "
            "update mart_build.fct_cp_plans set child_key = 'orphan-key' where ctid = "
            "(select max(ctid) from mart_build.fct_cp_plans)",
            "every child_key of fct_cp_plans is in dim_child",
        ),
        (
            "delete from mart_build.dim_child where ctid in (select ctid from mart_build.dim_child"
            " limit (select count(*) * 6 / 10 from bi.dim_child)); "
            "delete from mart_build.fct_child_month_end where child_key not in "
            "(select child_key from mart_build.dim_child)",
            "children do not fall by half",
        ),
        (
            "alter table mart_build.dim_team add column surname text",
            "no column that looks like personal data",
        ),
        (
            "insert into mart_build.dim_child select * from mart_build.dim_child limit 1",
            "child_key",
        ),
    ],
    ids=["orphan_facts", "halved_population", "pii_column", "duplicate_key"],
)
def test_mart_gate_stops_the_problem_and_bi_is_unchanged(wh, problem, expected):
    before = schema_fingerprint("bi", wh.settings)
    kept_before = kept_builds(wh.settings)
    build_from_published(wh.settings)
    with psycopg.connect(wh.settings.conninfo(), autocommit=True) as conn:
        for statement in problem.split("; "):
            conn.execute(statement)
    with pytest.raises(gates.GateFailed) as failed:
        gates.gate_and_publish(wh.settings, f"test_{expected[:10]}")
    assert expected in str(failed.value)
    assert "bi is unchanged" in str(failed.value)
    assert schema_fingerprint("bi", wh.settings) == before
    assert len(kept_builds(wh.settings) - kept_before) == 1
