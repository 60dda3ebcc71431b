"""dbt parses and builds against the project's real Postgres."""

from __future__ import annotations

import psycopg

from csc_warehouse.tools import run_dbt


def test_dbt_parse():
    res = run_dbt(["parse", "--no-partial-parse"], capture=True)
    assert res.returncode == 0, res.stdout[-3000:]


def test_dbt_debug_connects(base_settings):
    res = run_dbt(["debug"], base_settings, capture=True)
    assert res.returncode == 0, res.stdout[-3000:]
    assert "All checks passed" in res.stdout


def test_dbt_build_on_an_empty_warehouse(empty_warehouse, tmp_path):
    """The whole project builds (and its tests pass) on a warehouse with no data yet."""
    res = run_dbt(
        ["build", "--target-path", str(tmp_path / "target")],
        empty_warehouse,
        capture=True,
        CSC_DBT_SCHEMA="analytics",
    )
    assert res.returncode == 0, res.stdout[-5000:]
    with psycopg.connect(empty_warehouse.conninfo()) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema')"
        ).fetchone()[0]
    assert tables > 0
