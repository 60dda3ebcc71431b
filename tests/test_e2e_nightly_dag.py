"""The nightly DAG end to end with `airflow dags test`, on a generated, backfilled history.

* a clean night publishes a mart and writes the scorecard;
* a night whose HR manifest never arrives still publishes what arrived, and notifies;
* a night whose raw data breaks a blocking gate fails with the gate's message and leaves the
  published mart exactly as it was.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import psycopg
import pytest

from csc_warehouse.publish import schema_fingerprint
from csc_warehouse.tools import run_airflow

pytestmark = pytest.mark.slow


def dags_test(wh, night) -> tuple[int, str, float]:
    run_at = (night + timedelta(days=1)).isoformat() + "T01:30:00+00:00"
    env = {
        **wh.env,
        "AIRFLOW_HOME": str(wh.output / "airflow"),
        "AIRFLOW__COSMOS__CACHE_DIR": str(wh.output / "cosmos"),  # this warehouse's own
    }
    os.makedirs(env["AIRFLOW_HOME"], exist_ok=True)
    migrate = run_airflow(["db", "migrate"], wh.settings, capture=True, **env)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    started = time.perf_counter()
    res = run_airflow(["dags", "test", "csc_nightly", run_at], wh.settings, capture=True, **env)
    return res.returncode, res.stdout + res.stderr, time.perf_counter() - started


def published_runs(wh) -> list[tuple]:
    with psycopg.connect(wh.settings.conninfo()) as conn:
        return conn.execute(
            "select extract_date, outcome from ops.publish_log order by publish_id"
        ).fetchall()


def test_clean_night_publishes_the_mart(e2e_warehouse):
    wh = e2e_warehouse
    night = wh.next_night()
    wh.advance_to(night)
    code, out, seconds = dags_test(wh, night)
    assert code == 0, out[-6000:]
    assert "state=success" in out
    assert (night, "published") in published_runs(wh)
    # the dbt layers share dbt's partial parse (dbt_config.partial_parse_cache_dir): only the
    # first parses the whole project
    assert out.count("Unable to do partial parsing") <= 1, "each dbt layer parsed in full"
    fp = schema_fingerprint("bi", wh.settings)
    assert fp.get("dim_child", (0,))[0] > 0
    assert list((wh.output / "scorecard").glob("*.html"))
    print(f"nightly DAG end to end for {night}: {seconds:.0f} s")
    # no secret in what Airflow renders and keeps of the run's templates
    with psycopg.connect(wh.settings.conninfo(wh.settings.airflow_database)) as conn:
        rendered = " ".join(
            r[0] or ""
            for r in conn.execute(
                "select rendered_fields::text from rendered_task_instance_fields "
                "where dag_id = 'csc_nightly'"
            )
        )
    assert rendered
    transformer_password = wh.settings.role_password("csc_transformer")
    for secret in (wh.settings.pg_password, wh.settings.pseudonym_secret, transformer_password):
        assert secret not in rendered


def test_missing_hr_manifest_still_publishes_the_others(e2e_warehouse):
    wh = e2e_warehouse
    night = wh.next_night()
    while night.weekday() >= 5:  # HR delivers on weekdays only: pick a weekday
        night += timedelta(days=1)
    wh.advance_to(night, "--faults", f"hr:{night.isoformat()}:missing_manifest")
    notes = wh.settings.state_dir / "notifications.log"
    before = notes.read_text().count("missed_deadline") if notes.exists() else 0
    code, out, _ = dags_test(wh, night)
    assert code == 0, out[-6000:]
    assert (night, "published") in published_runs(wh)
    events = [json.loads(line) for line in notes.read_text().splitlines()]
    missed = [e for e in events if e["kind"] == "missed_deadline"]
    assert len(missed) == before + 1
    assert missed[-1]["system"] == "hr" and missed[-1]["extract_date"] == night.isoformat()
    with psycopg.connect(wh.settings.conninfo()) as conn:
        loaded = conn.execute(
            "select system from ops.load_batches where extract_date = %s and status = 'loaded'",
            (night,),
        ).fetchall()
    assert {r[0] for r in loaded} == {"council"}


def test_gate_failure_keeps_the_published_mart(e2e_warehouse):
    wh = e2e_warehouse
    night = wh.next_night()
    while night.weekday() >= 5:  # a night with an HR delivery
        night += timedelta(days=1)
    wh.advance_to(night)
    before = schema_fingerprint("bi", wh.settings)
    # After tonight's folders load, a key appears twice in one batch of raw: a blocking
    # raw gate. Simulated by loading the night, then duplicating a row in its batch.
    wh.cli("load", "--landing", str(wh.landing), "--all-pending", "--quiet")
    with psycopg.connect(wh.settings.conninfo(), autocommit=True) as conn:
        conn.execute(
            "insert into raw_hr.staff select * from raw_hr.staff where _extract_date = %s limit 1",
            (night,),
        )
    try:
        code, out, _ = dags_test(wh, night)
    finally:
        with psycopg.connect(wh.settings.conninfo(), autocommit=True) as conn:
            conn.execute(
                "delete from raw_hr.staff where ctid in (select max(ctid) from raw_hr.staff "
                "where _extract_date = %s group by employee_number having count(*) > 1)",
                (night,),
            )
    assert code != 0
    assert "raw__hr__staff" in out and "unique" in out.lower()
    assert schema_fingerprint("bi", wh.settings) == before
