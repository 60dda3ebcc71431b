"""
### csc_region_nightly: the night of a regional warehouse (several authorities)

Defined only when `CSC_REGION` lists the authorities (`931,932,...`; see docs/region.md).
Each authority is a whole warehouse of its own (database `csc_la_<code>`, landing folder
`LANDING/<code>/`), and has its own task group:

1. **wait** for each system's `LANDING/<code>/<system>/<D>/_manifest.json`, as `csc_nightly`
   does (reschedule mode, the systems' deadlines; a missed deadline notifies and skips);
2. **night**: the authority's whole night (`csc-warehouse nightly --date D` as that
   authority, in its own process: load, raw gates, dbt build, mart gates, publish, report).
   A failure fails this task only: the authority's BI keeps its last good mart, and the
   other authorities' nights go on.

Then **pool** (whatever the nights did): the region database's `bi` views over every
authority's published `bi` tables, `la_code` first; it updates the `csc_region_pooled` asset.

Logic lives in `csc_warehouse.orchestration.tasks` and `csc_warehouse.region`.
"""

from __future__ import annotations

from airflow.sdk import TaskGroup, dag, task
from airflow.sdk.bases.sensor import PokeReturnValue

from csc_warehouse.config import get_settings
from csc_warehouse.orchestration.assets import REGION_POOLED
from csc_warehouse.orchestration.dag_defaults import START_DATE, default_args

SYSTEMS = ("trust", "council", "hr")
AUTHORITIES = get_settings().region_las  # the environment only: no database at parse time


@dag(
    dag_id="csc_region_nightly",
    schedule="30 1 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1, retry_minutes=2),
    tags=["csc", "nightly", "region"],
    doc_md=__doc__,
)
def csc_region_nightly():
    nights = []
    for la in AUTHORITIES:
        with TaskGroup(group_id=f"la_{la}", tooltip=f"authority {la}"):
            waits = []
            for system in SYSTEMS:

                @task.sensor(
                    task_id=f"wait_for_{system}",
                    mode="reschedule",
                    poke_interval=300,
                    timeout=6 * 3600,
                    retries=0,
                )
                def wait_for(system: str = system, la: str = la, **context) -> PokeReturnValue:
                    from csc_warehouse.orchestration import tasks

                    return PokeReturnValue(is_done=tasks.wait_for_extract(system, context, la))

                waits.append(wait_for())

            @task(task_id="night", trigger_rule="all_done", retries=0)
            def night(la: str = la, **context) -> dict:
                from csc_warehouse.orchestration import tasks

                return tasks.authority_night(la, context)

            done = night()
            waits >> done
            nights.append(done)

    @task(trigger_rule="all_done", outlets=[REGION_POOLED])
    def pool() -> dict:
        from csc_warehouse.orchestration import tasks

        return tasks.region_pool()

    nights >> pool()


if AUTHORITIES:
    csc_region_nightly()
