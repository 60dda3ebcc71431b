"""Weekly housekeeping: statistics, vacuum, old failed builds, settled quarantine rows."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings, get_settings

log = logging.getLogger(__name__)

FAILED_BUILD = re.compile(r"^(mart|case)_failed_(\d{8})_(\d{6})(_\d+)?$")


def drop_old_failed_builds(settings: Settings | None = None, keep_days: int = 14) -> list[str]:
    """Drop ``mart_failed_*``/``case_failed_*`` schemas older than ``keep_days``."""
    settings = settings or get_settings()
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    dropped = []
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        for (name,) in conn.execute("select nspname from pg_namespace order by 1").fetchall():
            match = FAILED_BUILD.match(name)
            if not match:
                continue
            stamp = datetime.strptime(match.group(2) + match.group(3), "%Y%m%d%H%M%S")
            if stamp.replace(tzinfo=UTC) < cutoff:
                conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
                dropped.append(name)
    log.info("dropped %d old failed build schema(s)", len(dropped))
    return dropped


def purge_settled_quarantine(settings: Settings | None = None, keep_days: int = 90) -> int:
    """Delete quarantine rows that were replayed into raw more than ``keep_days`` ago."""
    settings = settings or get_settings()
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        exists = conn.execute("select to_regclass('ops.quarantine')").fetchone()[0]
        if not exists:
            return 0
        cols = {
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'ops' and table_name = 'quarantine'"
            )
        }
        if "replayed_at" not in cols:
            return 0
        cur = conn.execute(
            "delete from ops.quarantine where replayed_at < now() - make_interval(days => %s)",
            (keep_days,),
        )
        return cur.rowcount


def vacuum_analyze(settings: Settings | None = None) -> int:
    """VACUUM (ANALYZE) every table of the warehouse's own schemas."""
    settings = settings or get_settings()
    count = 0
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        tables = conn.execute(
            "select schemaname, tablename from pg_tables where schemaname in "
            "('raw_trust', 'raw_council', 'raw_hr', 'ops', 'staging', 'intermediate', 'bi', "
            "'case_level', 'reference') order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            conn.execute(
                sql.SQL("vacuum (analyze) {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(table)
                )
            )
            count += 1
    log.info("vacuum analyze: %d tables", count)
    return count
