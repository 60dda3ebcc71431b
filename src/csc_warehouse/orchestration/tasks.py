"""Task bodies for the DAGs. Each is an ordinary function: testable without Airflow."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def check_warehouse() -> str:
    import psycopg

    from csc_warehouse.config import get_settings

    settings = get_settings()
    with psycopg.connect(settings.conninfo(), connect_timeout=10) as conn:
        version = conn.execute("show server_version").fetchone()[0]
    log.info(
        "warehouse %s:%s/%s answers (PostgreSQL %s)",
        settings.pg_host,
        settings.pg_port,
        settings.pg_database,
        version,
    )
    return version
