"""
### csc_nightly: the nightly build of the children's services warehouse

For each source system: wait for the night's `_manifest.json`, load it into raw, then build
the dbt project (one Airflow task per model, with its tests), gate it, publish it and write
the scorecard. Logic lives in the `csc_warehouse` package; this file only wires tasks.

*Foundation stage:* the DAG checks the warehouse and builds the dbt project; loading, gates
and publishing join it as they are built.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from cosmos import DbtTaskGroup

from csc_warehouse.orchestration import dbt_config

DEFAULT_ARGS = {
    "owner": "csc-data-engineering",
    "retries": 2,
    "retry_delay": pendulum.duration(minutes=5),
    "retry_exponential_backoff": True,
}


@dag(
    dag_id="csc_nightly",
    schedule="30 1 * * *",
    start_date=pendulum.datetime(2025, 4, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["csc", "nightly", "warehouse"],
    doc_md=__doc__,
)
def csc_nightly():
    @task(retries=3)
    def check_warehouse() -> str:
        """The warehouse database answers (retried: a restart heals)."""
        from csc_warehouse.orchestration.tasks import check_warehouse as check

        return check()

    dbt_build = DbtTaskGroup(
        group_id="dbt_build",
        project_config=dbt_config.project_config(),
        profile_config=dbt_config.profile_config(),
        execution_config=dbt_config.execution_config(),
        render_config=dbt_config.render_config(),
        default_args={"retries": 0},
    )

    check_warehouse() >> dbt_build


csc_nightly()
