"""Shared fixtures: a real PostgreSQL (the project's own cluster), real dbt, real Airflow.

Tests that need a database get their own database on the project's cluster, so test runs
never touch the warehouse a developer is using (`csc_warehouse`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc_warehouse.config import Settings, get_settings
from csc_warehouse.localdb import LocalCluster

REPO = Path(__file__).resolve().parents[1]

os.environ.update(
    {
        "DO_NOT_TRACK": "1",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "GX_ANALYTICS_ENABLED": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
)


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """The project's cluster, started if needed (idempotent)."""
    settings = get_settings()
    LocalCluster(settings, log=lambda *_: None).start()
    return settings


@pytest.fixture(scope="session")
def make_database(base_settings: Settings):
    """Factory: a fresh, empty database on the cluster; dropped at the end of the session."""
    created: list[str] = []

    def factory(prefix: str = "csc_test") -> Settings:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base_settings.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        created.append(name)
        return get_settings({**base_settings.env, "CSC_PG_DATABASE": name})

    yield factory
    with psycopg.connect(base_settings.conninfo("postgres"), autocommit=True) as conn:
        for name in created:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture
def test_db(make_database) -> Iterator[Settings]:
    yield make_database()
