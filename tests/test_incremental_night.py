"""END TO END (slow): an ordinary night is incremental, and equals a full refresh.

On the shared generated warehouse (tests/e2e_support.py):

* a night after a published one (the session's ordinary night, run with `csc-warehouse
  nightly --json`: tests/e2e_support.py) starts its incremental marts from what BI has (dbt's
  on-run-start hook ``seed_build_from_published``) instead of rebuilding them from the
  whole history, and publishes;
* ``dbt build --full-refresh`` of the same data (same as-at date, same retention) gives
  exactly the same BI and case-level tables: row counts and checksums of every table;
* the dbt unit tests, which the nightly leaves to CI, pass against the warehouse's tables.
"""

from __future__ import annotations

import pytest
from e2e_support import ensure_published

from csc_warehouse import publish
from csc_warehouse.orchestration import pipeline
from csc_warehouse.publish import schema_fingerprint
from csc_warehouse.retention import apply_retention

pytestmark = pytest.mark.slow

INCREMENTAL_MARTS = {"mart_build.fct_visits", "mart_build.fct_post_days"}


def test_an_incremental_night_equals_a_full_refresh(e2e_warehouse, ordinary_night):
    wh, night = e2e_warehouse, ordinary_night.night
    assert ordinary_night.returncode == 0, ordinary_night.output[-8000:]
    assert ordinary_night.run["published"], ordinary_night.run
    build = ordinary_night.stage("dbt build")
    assert "incremental from the published mart" in build["detail"], build
    for mart in INCREMENTAL_MARTS:
        assert mart in build["detail"], build
    # every kept incremental model has the columns its YAML declares: none is rebuilt in full
    # by drop_changed_incremental_tables (that would cost a full rebuild every night)
    assert "rebuilt in full" not in build["detail"], build
    incremental = {
        schema: schema_fingerprint(schema, wh.settings)
        for schema in (publish.BI_SCHEMA, publish.CASE_SCHEMA)
    }
    assert incremental[publish.BI_SCHEMA]["fct_visits"][0] > 0

    # the same data rebuilt from scratch, into the (empty) build schemas
    publish.prepare_build(wh.settings)
    full = pipeline.dbt_build(wh.settings, full_refresh=True, as_at=night)
    assert "seeded" not in full or not full["seeded"]
    apply_retention(publish.BUILD_SCHEMA, night, settings=wh.settings)
    rebuilt = {
        publish.BI_SCHEMA: schema_fingerprint(publish.BUILD_SCHEMA, wh.settings),
        publish.CASE_SCHEMA: schema_fingerprint(publish.CASE_BUILD_SCHEMA, wh.settings),
    }
    for schema, tables in incremental.items():
        assert set(tables) == set(rebuilt[schema]), schema
        differ = {
            t: (tables[t], rebuilt[schema][t]) for t in tables if tables[t] != rebuilt[schema][t]
        }
        assert not differ, f"{schema}: incremental != full refresh for {sorted(differ)}"
    publish.prepare_build(wh.settings)  # leave no half-used build schema behind


def test_dbt_unit_tests_pass_on_the_warehouse(e2e_warehouse):
    """The nightly excludes unit tests (pipeline.NIGHTLY_DBT_FLAGS); CI runs every one."""
    wh = e2e_warehouse
    ensure_published(wh)
    res = wh.cli(
        "dbt",
        "test",
        "--select",
        "test_type:unit",
        env_extra={"CSC_DBT_SCHEMA": publish.BI_SCHEMA, "CSC_DBT_CASE_SCHEMA": "case_level"},
    )
    assert "PASS=" in res.stdout and "ERROR=0" in res.stdout, res.stdout[-3000:]
