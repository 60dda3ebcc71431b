"""Shared fixtures: a real PostgreSQL (the project's own cluster), real dbt, real Airflow.

Tests that need a database get their own database on the project's cluster, so test runs
never touch the warehouse a developer is using (`csc_warehouse`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
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


# ---- running in parallel (pytest-xdist, `make test` runs two workers) --------------------
# Tests that share state must run on one worker, one after another: a module's tests (its
# module-scoped fixtures are built once) and every test on the shared generated warehouse
# (e2e_warehouse, built once per session) and every test on the hand-made scenario
# (scenario_warehouse). The longest chains are queued first so the two workers finish
# together; `--no-loadscope-reorder` (pyproject) keeps this order. A test marked
# changes_shared_warehouse runs after the other tests of its group.
E2E_GROUP = "e2e_warehouse"
SCENARIO_GROUP = "scenario_warehouse"
SHARED = (E2E_GROUP, SCENARIO_GROUP)  # session fixtures: their tests share a worker
LONGEST_FIRST = [E2E_GROUP, "test_bench", "test_returns_build", "test_region", SCENARIO_GROUP]


def _group(item: pytest.Item) -> str:
    for shared in SHARED:
        if shared in item.fixturenames:
            return shared
    return item.module.__name__ if item.module else item.nodeid


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items: list[pytest.Item]) -> None:
    rank: dict[pytest.Item, tuple[int, bool]] = {}
    for item in items:
        group = _group(item)
        item.add_marker(pytest.mark.xdist_group(group))
        rank[item] = (
            LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST),
            item.get_closest_marker("changes_shared_warehouse") is not None,
        )
    items.sort(key=rank.__getitem__)  # stable: tests keep their order within a group


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fail loudly if the groups did not reach pytest-xdist (as with pytest 9.2, which moved
    the node id xdist 3.8 tags): the shared warehouse would be built on every worker."""
    config = session.config
    if getattr(config.option, "loadgroup", False) and session.items:
        if not any("@" in item.nodeid for item in session.items):
            raise pytest.UsageError(
                "pytest-xdist did not group the tests (xdist_group): check the pytest and "
                "pytest-xdist versions against constraints.txt"
            )


@pytest.fixture(scope="session", autouse=True)
def own_dbt_target(tmp_path_factory) -> Iterator[Path]:
    """Each test worker has its own dbt target/ and logs/ (not dbt_project/target): two
    workers' dbt runs never overwrite each other's manifest or partial-parse file, and a
    developer's own target/ is left alone. Tests may still pass --target-path of their own."""
    work = tmp_path_factory.getbasetemp() / "dbt"
    saved = {k: os.environ.get(k) for k in ("DBT_TARGET_PATH", "DBT_LOG_PATH")}
    os.environ["DBT_TARGET_PATH"] = str(work / "target")
    os.environ["DBT_LOG_PATH"] = str(work / "logs")
    yield work
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


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
        ensure_roles(settings)  # one process at a time (roles.py takes a lock)
        return settings

    yield factory
    with psycopg.connect(base_settings.conninfo("postgres"), autocommit=True) as conn:
        for name in created:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
    for name in created:  # dbt's target/ and logs/ of test_dbt_marts_support.dbt
        shutil.rmtree(Path(tempfile.gettempdir()) / f"csc_dbt_{name}", ignore_errors=True)


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


@pytest.fixture(scope="session")
def scenario_warehouse(make_database) -> Settings:
    """The hand-made scenario (tests/test_dbt_marts_support.py) built with `dbt build` (models
    and their data tests) once per session, for the stitching and the marts tests."""
    from test_dbt_marts_support import BUILD_ON_ROWS, dbt, prepare, scenario

    settings = make_database("csc_test_scenario")
    prepare(settings, scenario())
    dbt(settings, "seed", "--quiet")
    dbt(settings, *BUILD_ON_ROWS)
    return settings


@pytest.fixture(scope="session")
def ordinary_night(e2e_warehouse):
    """One ordinary (incremental) night on the shared warehouse, run once per session with
    `csc-warehouse nightly --json` (see tests/e2e_support.py): a NightOutput."""
    from e2e_support import run_ordinary_night

    return run_ordinary_night(e2e_warehouse)
