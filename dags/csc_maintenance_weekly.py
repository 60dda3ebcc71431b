"""
### csc_maintenance_weekly: housekeeping after a publish, once a week

Triggered by the `csc_bi_published` asset (the nightly publish); does its work once per
ISO week (the first publish of the week, normally Monday night's): VACUUM ANALYZE of the
warehouse's schemas, failed build schemas older than 14 days dropped, quarantine rows that
were replayed more than 90 days ago purged.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from csc_warehouse.orchestration.assets import BI_PUBLISHED
from csc_warehouse.orchestration.notify import on_failure


@dag(
    dag_id="csc_maintenance_weekly",
    schedule=[BI_PUBLISHED],
    start_date=pendulum.datetime(2025, 4, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "csc-data-engineering",
        "retries": 1,
        "retry_delay": pendulum.duration(minutes=10),
        "on_failure_callback": on_failure,
    },
    tags=["csc", "maintenance"],
    doc_md=__doc__,
)
def csc_maintenance_weekly():
    @task.short_circuit(retries=0)
    def first_publish_this_week(**context) -> bool:
        from csc_warehouse.orchestration.tasks import first_run_in_period

        return first_run_in_period("maintenance", "week", context)

    @task
    def drop_old_failed_builds() -> list[str]:
        from csc_warehouse.orchestration import maintenance

        return maintenance.drop_old_failed_builds()

    @task
    def purge_settled_quarantine() -> int:
        from csc_warehouse.orchestration import maintenance

        return maintenance.purge_settled_quarantine()

    @task
    def vacuum_analyze() -> int:
        from csc_warehouse.orchestration import maintenance

        return maintenance.vacuum_analyze()

    gate = first_publish_this_week()
    gate >> [drop_old_failed_builds(), purge_settled_quarantine()] >> vacuum_analyze()


csc_maintenance_weekly()
