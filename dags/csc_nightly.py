"""
### csc_nightly: the nightly build of the children's services warehouse

One run loads one **extract date** D (the scheduled 01:30 run on D+1 loads D; a manual run
or a backfill can say `{"extract_date": "YYYY-MM-DD"}` in its conf).

1. For each source system (`trust`, `council`, `hr`): **wait** for `LANDING/<system>/<D>/
   _manifest.json` (a sensor in reschedule mode: it frees its worker slot between checks),
   until the system's deadline (trust 02:00, council 03:00, hr 05:00; HR sends nothing at
   weekends, trust nothing after 2022-04-05). A missed deadline notifies and skips that
   system; the others go on.
2. **Load** each arrived folder into raw (checked against its manifest and contract, bad
   rows quarantined). A rejected file fails its load task without retries (a checksum does
   not heal); the other systems still load.
3. **Raw gates** (Great Expectations), then **dbt build** of the whole project into the
   build schemas, whatever arrived (cosmos: one task per layer - staging, intermediate,
   marts - each running its models and their tests; the log names the failing model).
4. **Retention** on the build schema, **mart gates**, then **publish** atomically to `bi` / `case_level` (BI keeps the last good
   mart when a gate fails; the failed build is kept for inspection). Publishing updates the
   `csc_bi_published` asset, which triggers the monthly returns and weekly maintenance DAGs.
5. The **scorecard report** for the latest month.

Logic lives in `csc_warehouse.orchestration`; this file only wires tasks.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from airflow.sdk.bases.sensor import PokeReturnValue

from csc_warehouse.orchestration import dbt_config
from csc_warehouse.orchestration.assets import BI_PUBLISHED
from csc_warehouse.orchestration.dag_defaults import START_DATE, default_args
from csc_warehouse.publish import build_env

SYSTEMS = ("trust", "council", "hr")

DEFAULT_ARGS = default_args(retries=2, retry_minutes=2, retry_exponential_backoff=True)


@dag(
    dag_id="csc_nightly",
    schedule="30 1 * * *",
    start_date=START_DATE,
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
        from csc_warehouse.orchestration import tasks

        return tasks.check_warehouse()

    checked = check_warehouse()

    loads = []
    for system in SYSTEMS:

        @task.sensor(
            task_id=f"wait_for_{system}",
            mode="reschedule",
            poke_interval=300,
            timeout=6 * 3600,
            retries=0,
        )
        def wait_for(system: str = system, **context) -> PokeReturnValue:
            from csc_warehouse.orchestration import tasks

            return PokeReturnValue(is_done=tasks.wait_for_extract(system, context))

        @task(task_id=f"load_{system}", retries=1)
        def load(system: str = system, **context) -> dict:
            from csc_warehouse.orchestration import tasks

            return tasks.load_system(system, context)

        waited = wait_for()
        checked >> waited
        loaded = load()
        waited >> loaded
        loads.append(loaded)

    @task(trigger_rule="all_done", retries=0)
    def raw_gates(**context) -> dict:
        """Validate raw as loaded tonight; a blocking failure stops the build."""
        from csc_warehouse.orchestration import tasks

        return tasks.raw_gates(context)

    @task(retries=1)
    def prepare_build(**context) -> str:
        """Drop leftovers of an unfinished build; returns the night's date for dbt's as-at."""
        from csc_warehouse.orchestration import tasks

        return tasks.prepare_build(context)

    # dbt through cosmos, one task per layer (see dbt_config.LAYERS); the mart is "as at"
    # the night being built, not the day the DAG happens to run
    as_at = "{{ ti.xcom_pull(task_ids='prepare_build') }}"
    dbt_layers = [
        dbt_config.layer_build_task(layer, build_env(), as_at) for layer in dbt_config.LAYERS
    ]

    @task(retries=1)
    def apply_retention(**context) -> dict:
        """Children whose involvement ended over CSC_RETENTION_YEARS ago leave the build."""
        from csc_warehouse.orchestration import tasks

        return tasks.apply_retention(context)

    @task(retries=0, outlets=[BI_PUBLISHED])
    def gate_and_publish(**context) -> dict:
        """Mart gates on the build schema; publish atomically only if they pass."""
        from csc_warehouse.orchestration import tasks

        return tasks.gate_and_publish(context)

    @task(retries=1)
    def scorecard_report(**context) -> str:
        from csc_warehouse.orchestration import tasks

        return tasks.scorecard_report(context)

    gated = raw_gates()
    prepared = prepare_build()
    loads >> gated >> prepared
    prepared >> dbt_layers[0]
    for upstream, downstream in zip(dbt_layers, dbt_layers[1:], strict=False):
        upstream >> downstream
    dbt_layers[-1] >> apply_retention() >> gate_and_publish() >> scorecard_report()


csc_nightly()
