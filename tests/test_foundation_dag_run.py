"""`airflow dags test csc_nightly` runs end to end on the local Postgres."""

from __future__ import annotations

from csc_warehouse.tools import run_airflow


def test_nightly_dag_runs_end_to_end(base_settings):
    migrate = run_airflow(["db", "migrate"], base_settings, capture=True)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    res = run_airflow(["dags", "test", "csc_nightly", "2025-06-03"], base_settings, capture=True)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]
    assert "state=success" in out
