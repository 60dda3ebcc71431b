"""
### csc_maintenance_weekly: housekeeping after a publish, once a week

Triggered by the `csc_bi_published` asset (the nightly publish); does its work once per
ISO week (the first publish of the week, normally Monday night's): VACUUM ANALYZE of the
warehouse's schemas, failed build schemas older than 14 days dropped, quarantine rows that
were replayed more than 90 days ago purged.

In a regional warehouse (`CSC_REGION`, docs/region.md) each authority also has its own
`csc_maintenance_weekly_<code>` on its database, triggered by the region's night
(`csc_region_pooled`).
"""

from __future__ import annotations

from airflow.sdk import dag, task

from csc_warehouse.config import get_settings
from csc_warehouse.orchestration.assets import BI_PUBLISHED, REGION_POOLED
from csc_warehouse.orchestration.dag_defaults import START_DATE, authority_tags, default_args

AUTHORITIES = get_settings().region_las  # the environment only: no database at parse time


def maintenance_weekly(dag_id: str, schedule: list, la: str | None = None):
    @dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(retries=1, retry_minutes=10),
        tags=["csc", "maintenance", *authority_tags(la)],
        doc_md=__doc__,
    )
    def maintenance_dag():
        @task.short_circuit(retries=0)
        def first_publish_this_week(**context) -> bool:
            from csc_warehouse.orchestration.tasks import first_run_in_period

            return first_run_in_period("maintenance", "week", context, la)

        @task
        def drop_old_failed_builds() -> list[str]:
            from csc_warehouse.orchestration.tasks import housekeeping

            return housekeeping("drop_old_failed_builds", la)

        @task
        def purge_settled_quarantine() -> int:
            from csc_warehouse.orchestration.tasks import housekeeping

            return housekeeping("purge_settled_quarantine", la)

        @task
        def vacuum_analyze() -> int:
            from csc_warehouse.orchestration.tasks import housekeeping

            return housekeeping("vacuum_analyze", la)

        gate = first_publish_this_week()
        gate >> [drop_old_failed_builds(), purge_settled_quarantine()] >> vacuum_analyze()

    return maintenance_dag()


maintenance_weekly("csc_maintenance_weekly", [BI_PUBLISHED])
for authority in AUTHORITIES:
    maintenance_weekly(f"csc_maintenance_weekly_{authority}", [REGION_POOLED], authority)
