"""The local cluster commands are idempotent and `status` tells the truth.

Runs a second, throw-away cluster in a temporary state folder (not the shared one), through
the real CLI, as a newcomer would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from csc_warehouse.config import get_settings
from csc_warehouse.roles import ROLES

CLI = [sys.executable, "-m", "csc_warehouse.cli"]


def cli(args: list[str], state: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_PG_")}
    env["CSC_STATE_DIR"] = str(state)
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture
def state(tmp_path: Path):
    yield tmp_path / "state"
    cli(["db", "stop"], tmp_path / "state")


def test_start_stop_status_are_idempotent_and_truthful(state: Path):
    first = cli(["db", "status"], state)
    assert first.returncode == 3, first.stdout + first.stderr
    assert "no cluster yet" in first.stdout

    started = cli(["db", "start"], state)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "running" in started.stdout
    port = int((state / "pg" / "port").read_text())

    again = cli(["db", "start"], state)
    assert again.returncode == 0, again.stderr
    assert "Creating a PostgreSQL cluster" not in again.stdout  # nothing re-initialised
    assert int((state / "pg" / "port").read_text()) == port

    status = cli(["db", "status"], state)
    assert status.returncode == 0 and "accepting connections" in status.stdout

    # the databases the project needs exist, and the password came from the secrets file
    settings = get_settings(
        {
            "CSC_STATE_DIR": str(state),
            "CSC_HOME": os.environ.get("CSC_HOME", str(Path(__file__).resolve().parents[1])),
        }
    )
    assert (state / "secrets.env").stat().st_mode & 0o777 == 0o600
    with psycopg.connect(settings.conninfo("postgres")) as conn:
        names = {r[0] for r in conn.execute("select datname from pg_database")}
    assert {"csc_warehouse", "airflow"} <= names

    assert cli(["db", "stop"], state).returncode == 0
    stopped = cli(["db", "status"], state)
    assert stopped.returncode == 3 and "stopped" in stopped.stdout
    assert cli(["db", "stop"], state).returncode == 0  # stopping a stopped cluster is fine

    restarted = cli(["db", "start"], state)
    assert restarted.returncode == 0 and "running" in restarted.stdout


def test_wrong_password_is_refused(state: Path):
    assert cli(["db", "start"], state).returncode == 0
    settings = get_settings({"CSC_STATE_DIR": str(state), "CSC_PG_PASSWORD": "wrong"})
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(settings.conninfo("postgres"), connect_timeout=5)


def test_external_server_mode_starts_nothing(tmp_path: Path, base_settings):
    """With CSC_PG_HOST set, `db start` only checks the external server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_")}
    env.update(
        CSC_STATE_DIR=str(tmp_path / "other"),
        CSC_PG_HOST=base_settings.pg_host,
        CSC_PG_PORT=str(base_settings.pg_port),
        CSC_PG_PASSWORD=base_settings.pg_password,
    )
    # `db start` sets the (cluster-wide) roles' passwords: keep the ones the other tests use
    for secret_name in ROLES.values():
        env[secret_name] = base_settings.secret(secret_name) or ""
    res = subprocess.run([*CLI, "db", "start"], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "external server" in res.stdout
    assert not (tmp_path / "other" / "pg" / "cluster").exists()

    env["CSC_PG_PORT"] = "1"  # nothing listens there
    res = subprocess.run([*CLI, "db", "status"], env=env, capture_output=True, text=True)
    assert res.returncode == 3
    assert "not reachable" in res.stdout
