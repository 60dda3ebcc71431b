"""Run the tools the warehouse drives (dbt, airflow) with the project's settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from csc_warehouse.config import Settings, get_settings


def venv_bin(name: str) -> str:
    """The executable next to this interpreter (the project's venv), else on PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def tool_environ(
    settings: Settings | None = None, *, role: str | None = None, **extra: str
) -> dict[str, str]:
    """The environment for a tool; ``role``: the database role dbt connects as (default admin)."""
    settings = settings or get_settings()
    env = dict(os.environ)
    # no role: the admin, even if a dbt role was left in this process's environment
    env.pop("CSC_DBT_USER", None)
    env.pop("CSC_DBT_PASSWORD", None)
    env.update(settings.tool_env(role))
    env.update(extra)
    # The venv's bin first, so dbt/airflow subprocesses find the same tools we run.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_dbt(
    args: list[str],
    settings: Settings | None = None,
    *,
    check: bool = False,
    capture: bool = False,
    role: str | None = None,
    **extra_env: str,
) -> subprocess.CompletedProcess:
    """Run dbt; ``role="csc_transformer"`` for the pipeline (owns what it builds, cannot touch
    ``bi``). Without a role it connects as the admin (tests on throw-away databases)."""
    settings = settings or get_settings()
    # The project and profiles folders come from DBT_PROJECT_DIR / DBT_PROFILES_DIR.
    cmd = [venv_bin("dbt"), *args]
    return subprocess.run(
        cmd,
        env=tool_environ(settings, role=role, **extra_env),
        check=check,
        capture_output=capture,
        text=True,
        cwd=settings.dbt_project_dir,
    )


def run_airflow(
    args: list[str],
    settings: Settings | None = None,
    *,
    check: bool = False,
    capture: bool = False,
    **extra_env: str,
) -> subprocess.CompletedProcess:
    settings = settings or get_settings()
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [venv_bin("airflow"), *args],
        env=tool_environ(settings, **extra_env),
        check=check,
        capture_output=capture,
        text=True,
    )
