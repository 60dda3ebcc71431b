"""astronomer-cosmos configuration for the dbt project, shared by every DAG.

The profile is dbt_project/profiles.yml, which reads the CSC_PG_* environment variables: the
one place connection settings come from (src/csc_warehouse/config.py locally, the env file in
docker/). The dbt tasks connect as ``csc_transformer`` (``transformer_env``), not as the
admin the rest of the DAG uses. Nothing here runs dbt or touches the database at DAG-parse
time.
"""

from __future__ import annotations

from pathlib import Path

from cosmos import ProfileConfig
from cosmos.constants import InvocationMode

from csc_warehouse.config import get_settings
from csc_warehouse.orchestration.pipeline import NIGHTLY_DBT_FLAGS, as_at_env
from csc_warehouse.roles import TRANSFORMER


def dbt_project_dir() -> Path:
    return get_settings().dbt_project_dir


def profile_config() -> ProfileConfig:
    project = dbt_project_dir()
    return ProfileConfig(
        profile_name="csc_warehouse",
        target_name="local",
        profiles_yml_filepath=project / "profiles.yml",
    )


# The nightly DAG builds the project one layer per task (cosmos DbtBuildLocalOperator):
# a failure shows the layer and, in its log, the model and test; the per-task overhead of
# one task per model (~2.5 s x 150 nodes) would exceed the whole nightly budget.
LAYERS = {
    # dim_date (the calendar every working-day macro uses) is built with the reference data
    "staging": "resource_type:seed path:models/staging dim_date",
    "intermediate": "path:models/intermediate",
    "marts": "path:models/marts path:models/case_level",
}


def transformer_env(env: dict) -> dict:
    """``env`` plus the profile's user and password for ``csc_transformer``.

    ``CSC_DBT_USER`` / ``CSC_DBT_PASSWORD``, never ``CSC_PG_*``: cosmos copies a task's env
    into ``os.environ`` (for OpenLineage), and the tasks after dbt (gates, publish) read
    ``CSC_PG_*`` and must stay the admin. The password is a template field value: Airflow
    masks ``*PASSWORD*`` keys when it serializes or renders the task.
    """
    role_env = get_settings().tool_env(TRANSFORMER)
    return {**env, **{k: role_env[k] for k in ("CSC_DBT_USER", "CSC_DBT_PASSWORD")}}


def partial_parse_cache_dir(dag_id: str) -> Path | None:
    """Where the layer tasks of ``dag_id`` keep dbt's partial-parse file between them.

    Each cosmos task runs dbt in a fresh copy of the project, so without a cache every layer
    parsed the whole project from scratch (~4 s a layer at any scale, 3 times a night). A
    standalone operator has no cache unless it is given one (a DbtTaskGroup makes its own).
    Under cosmos' cache dir (``[cosmos] cache_dir``); off with ``[cosmos] enable_cache``. A
    file from another profile or project version is just a full parse: dbt checks it.
    """
    from cosmos import settings as cosmos_settings

    if not cosmos_settings.enable_cache:
        return None
    return Path(cosmos_settings.cache_dir) / f"{dag_id}__dbt_layers"


def layer_build_task(layer: str, env: dict, as_at: str, dag_id: str = "csc_nightly"):
    """A cosmos task that runs `dbt build` for one layer (as csc_transformer), "as at" the
    date ``as_at`` (a template: ``env`` is a templated field; see ``pipeline.as_at_env``)."""
    from cosmos.operators.local import DbtBuildLocalOperator

    return DbtBuildLocalOperator(
        task_id=f"dbt_build_{layer}",
        project_dir=str(dbt_project_dir()),
        profile_config=profile_config(),
        select=LAYERS[layer],
        exclude="dim_date" if layer != "staging" else None,
        # tests whose parents are built here or earlier: a relationships test between two
        # marts runs once both exist in tonight's build schema
        indirect_selection="buildable",
        env=transformer_env({**env, **as_at_env(as_at)}),
        append_env=True,
        install_deps=False,
        # unit tests run in CI, not nightly (pipeline.NIGHTLY_DBT_FLAGS)
        dbt_cmd_flags=list(NIGHTLY_DBT_FLAGS),
        invocation_mode=InvocationMode.DBT_RUNNER,
        partial_parse=True,
        cache_dir=partial_parse_cache_dir(dag_id),
        retries=0,
    )
