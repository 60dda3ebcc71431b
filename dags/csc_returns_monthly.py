"""
### csc_returns_monthly: this year's statutory returns "so far", every month

Triggered by the `csc_bi_published` asset; does its work once per calendar month (the first
publish of the month). Builds the current collection year's CIN census and SSDA903 returns
from the published mart, runs the DfE's validators on them and writes the validation
reports, plus Annex A for the 12 months to the last month end and the workforce census for
the last 30 September. Errors are found in October, not in May.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from csc_warehouse.orchestration.assets import BI_PUBLISHED
from csc_warehouse.orchestration.notify import on_failure

RETURNS = ("cin-census", "ssda903", "annex-a", "csww")


@dag(
    dag_id="csc_returns_monthly",
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
    tags=["csc", "returns", "monthly"],
    doc_md=__doc__,
)
def csc_returns_monthly():
    @task.short_circuit(retries=0)
    def first_publish_this_month(**context) -> bool:
        from csc_warehouse.orchestration.tasks import first_run_in_period

        return first_run_in_period("returns", "month", context)

    gate = first_publish_this_month()
    for name in RETURNS:

        @task(task_id=f"build_{name.replace('-', '_')}")
        def build(name: str = name, **context) -> dict:
            from csc_warehouse.orchestration.tasks import build_return

            return build_return(name, context)

        gate >> build()


csc_returns_monthly()
