"""
### csc_returns_monthly: this year's statutory returns "so far", every month

Triggered by the `csc_bi_published` asset; does its work once per calendar month (the first
publish of the month). Builds the current collection year's CIN census and SSDA903 returns
from the published mart, runs the DfE's validators on them and writes the validation
reports, plus Annex A for the 12 months to the last month end and the workforce census for
the last 30 September. Errors are found in October, not in May.

In a regional warehouse (`CSC_REGION`, docs/region.md) each authority also has its own
`csc_returns_monthly_<code>`, triggered by the region's night (`csc_region_pooled`): its
returns, with its LA number, from its database, under `OUTPUT/<code>/returns/`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from csc_warehouse.config import get_settings
from csc_warehouse.orchestration.assets import BI_PUBLISHED, REGION_POOLED
from csc_warehouse.orchestration.dag_defaults import START_DATE, authority_tags, default_args

RETURNS = ("cin-census", "ssda903", "annex-a", "csww")
AUTHORITIES = get_settings().region_las  # the environment only: no database at parse time


def returns_monthly(dag_id: str, schedule: list, la: str | None = None):
    @dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(retries=1, retry_minutes=10),
        tags=["csc", "returns", "monthly", *authority_tags(la)],
        doc_md=__doc__,
    )
    def returns_dag():
        @task.short_circuit(retries=0)
        def first_publish_this_month(**context) -> bool:
            from csc_warehouse.orchestration.tasks import first_run_in_period

            return first_run_in_period("returns", "month", context, la)

        gate = first_publish_this_month()
        for name in RETURNS:

            @task(task_id=f"build_{name.replace('-', '_')}")
            def build(name: str = name, **context) -> dict:
                from csc_warehouse.orchestration.tasks import build_return

                return build_return(name, context, la)

            gate >> build()

    return returns_dag()


returns_monthly("csc_returns_monthly", [BI_PUBLISHED])
for authority in AUTHORITIES:
    returns_monthly(f"csc_returns_monthly_{authority}", [REGION_POOLED], authority)
