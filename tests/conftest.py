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
from csc_warehouse.roles import ensure_roles

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
    """Factory: a fresh database on the cluster with the warehouse's roles and grants (as
    `db start` makes them: the loader and dbt connect as their own roles); dropped at the end
    of the session."""
    created: list[str] = []

    def factory(prefix: str = "csc_test") -> Settings:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base_settings.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        created.append(name)
        settings = get_settings({**base_settings.env, "CSC_PG_DATABASE": name})
        ensure_roles(settings)
        return settings

    yield factory
    with psycopg.connect(base_settings.conninfo("postgres"), autocommit=True) as conn:
        for name in created:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture
def test_db(make_database) -> Iterator[Settings]:
    yield make_database()


def create_raw_layout(settings: Settings) -> None:
    """The loader's ops and raw tables (empty, owned by the loader), as a fresh warehouse has
    them."""
    from csc_warehouse.contracts import SYSTEMS, load_contract
    from csc_warehouse.load.ddl import ensure_ops, ensure_raw
    from csc_warehouse.load.loader import connect

    with connect(settings) as conn:
        ensure_ops(conn)
        for system in SYSTEMS:
            ensure_raw(conn, load_contract(system))


@pytest.fixture
def empty_warehouse(make_database) -> Settings:
    """A fresh database with the raw layout and the pseudonymisation secret installed."""
    settings = make_database("csc_test_wh")
    create_raw_layout(settings)
    from csc_warehouse.pseudonym import install_secret

    install_secret(settings)
    return settings


@pytest.fixture(scope="session")
def e2e_warehouse(make_database, tmp_path_factory):
    """A generated history, backfilled into its own database (see tests/e2e_support.py)."""
    from e2e_support import build_warehouse

    return build_warehouse(make_database, tmp_path_factory.mktemp("e2e"))
