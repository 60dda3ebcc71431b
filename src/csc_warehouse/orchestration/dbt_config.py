"""astronomer-cosmos configuration for the dbt project, shared by every DAG.

The profile is dbt_project/profiles.yml, which reads the CSC_PG_* environment variables: the
one place connection settings come from (src/csc_warehouse/config.py locally, the env file in
docker/). The DAG is rendered from dbt's manifest (built by ``dbt parse`` in setup) so parsing
the DAG file never runs dbt.
"""

from __future__ import annotations

from pathlib import Path

from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from csc_warehouse.config import get_settings


def dbt_project_dir() -> Path:
    return get_settings().dbt_project_dir


def project_config(**dbt_vars: str) -> ProjectConfig:
    project = dbt_project_dir()
    manifest = project / "target" / "manifest.json"
    return ProjectConfig(
        dbt_project_path=project,
        manifest_path=manifest if manifest.exists() else None,
        install_dbt_deps=False,
        dbt_vars=dbt_vars or None,
    )


def profile_config() -> ProfileConfig:
    project = dbt_project_dir()
    return ProfileConfig(
        profile_name="csc_warehouse",
        target_name="local",
        profiles_yml_filepath=project / "profiles.yml",
    )


def render_config(
    select: list[str] | None = None, exclude: list[str] | None = None
) -> RenderConfig:
    manifest = dbt_project_dir() / "target" / "manifest.json"
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST if manifest.exists() else LoadMode.DBT_LS,
        test_behavior=TestBehavior.BUILD,
        # a test between two models (relationships) runs after both, as its own task: the
        # build schema is new each night, so it cannot run with the first parent
        should_detach_multiple_parents_tests=True,
        select=select or [],
        exclude=exclude or [],
    )


def execution_config() -> ExecutionConfig:
    return ExecutionConfig(
        execution_mode=ExecutionMode.LOCAL,
        # dbt runs in-process (dbtRunner): no subprocess start-up per model.
        invocation_mode=InvocationMode.DBT_RUNNER,
    )
