"""Write-audit-publish: the nightly build lands in build schemas, BI reads only what passed.

* ``prepare_build`` drops leftovers of an unfinished build and recreates the empty build
  schemas (``mart_build``, ``case_build``), owned by the admin, with CREATE for
  ``csc_transformer``.
* dbt (as ``csc_transformer``) builds the marts into ``mart_build`` and the case-level models
  into ``case_build``; it owns the tables it builds.
* The gates validate the build schemas (``csc_warehouse.gates``).
* ``publish`` swaps them into ``bi`` and ``case_level`` in ONE transaction: a BI query sees
  either yesterday's mart or tonight's, never a half-built one. In the same transaction the
  admin takes over the published schemas and every table in them, so the transformer can no
  longer drop or change what BI reads. The previous published schemas are kept as
  ``bi_previous`` / ``case_level_previous`` (one night back) for rollback.
* ``keep_failed_build`` renames a build that failed its gates to
  ``mart_failed_<timestamp>`` (and ``case_failed_<timestamp>``) for inspection, leaving the
  published schemas exactly as they were. The weekly maintenance DAG drops old ones.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings, get_settings
from csc_warehouse.roles import TRANSFORMER, give_ownership, grant_read

log = logging.getLogger(__name__)

BUILD_SCHEMA = "mart_build"
CASE_BUILD_SCHEMA = "case_build"
BI_SCHEMA = "bi"
CASE_SCHEMA = "case_level"
PAIRS = [(BUILD_SCHEMA, BI_SCHEMA), (CASE_BUILD_SCHEMA, CASE_SCHEMA)]

# Roles that read the published schemas (created by `csc-warehouse db roles`, if present).
READERS = {BI_SCHEMA: ["csc_bi_reader", "csc_case_reader"], CASE_SCHEMA: ["csc_case_reader"]}

OPS_DDL = """
create schema if not exists ops;
create table if not exists ops.publish_log (
    publish_id bigserial primary key,
    run_id text not null,
    extract_date date,
    published_at timestamptz not null default now(),
    outcome text not null check (outcome in ('published', 'gate_failed', 'build_failed')),
    kept_schema text,
    tables integer,
    total_rows bigint,
    detail text
);
"""


def build_env() -> dict[str, str]:
    """Environment for the nightly dbt build: write into the build schemas.

    ``CSC_DBT_SEED_FROM`` lets dbt's on-run-start hook (macro ``seed_build_from_published``)
    copy each incremental mart's published table into the empty build schema, so the night
    merges only what changed instead of rebuilding the mart from the whole history.
    """
    return {
        "CSC_DBT_SCHEMA": BUILD_SCHEMA,
        "CSC_DBT_CASE_SCHEMA": CASE_BUILD_SCHEMA,
        "CSC_DBT_SEED_FROM": ",".join(f"{build}:{live}" for build, live in PAIRS),
    }


def _schema_exists(conn: psycopg.Connection, name: str) -> bool:
    return (
        conn.execute("select 1 from pg_namespace where nspname = %s", (name,)).fetchone()
        is not None
    )


def _role_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone() is not None


def _take_over(conn: psycopg.Connection, schema: str) -> None:
    """The admin owns a published schema and all in it; dbt's role may only read it.

    Reading is what the next night's build needs to start its incremental marts from what
    BI has (``seed_build_from_published``); it can no longer write, drop or create there."""
    conn.execute(sql.SQL("alter schema {} owner to current_user").format(sql.Identifier(schema)))
    give_ownership(conn, schema, None)
    if _role_exists(conn, TRANSFORMER):
        ident, role = sql.Identifier(schema), sql.Identifier(TRANSFORMER)
        conn.execute(sql.SQL("revoke all on schema {} from {}").format(ident, role))
        conn.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(ident, role))
        grant_read(conn, schema, TRANSFORMER)


def prepare_build(settings: Settings | None = None) -> None:
    """Empty build schemas for tonight: dropped (leftovers) and made again for dbt."""
    settings = settings or get_settings()
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute(OPS_DDL)
        if _role_exists(conn, TRANSFORMER):
            # the incremental fct_child_month_end rebuilds what changed since the last publication
            conn.execute(
                sql.SQL("grant select on ops.publish_log to {}").format(sql.Identifier(TRANSFORMER))
            )
        for build, _ in PAIRS:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(build)))
            conn.execute(sql.SQL("create schema {}").format(sql.Identifier(build)))
            if _role_exists(conn, TRANSFORMER):
                conn.execute(
                    sql.SQL("grant usage, create on schema {} to {}").format(
                        sql.Identifier(build), sql.Identifier(TRANSFORMER)
                    )
                )


@dataclass
class PublishResult:
    tables: int
    total_rows: int
    published_at: datetime


def _table_counts(conn: psycopg.Connection, schema: str) -> dict[str, int]:
    tables = [
        r[0]
        for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s "
            "and table_type = 'BASE TABLE' order by 1",
            (schema,),
        )
    ]
    counts = {}
    for table in tables:
        counts[table] = conn.execute(
            sql.SQL("select count(*) from {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        ).fetchone()[0]
    return counts


def publish(run_id: str, extract_date=None, settings: Settings | None = None) -> PublishResult:
    """Swap the build schemas into the published ones, atomically."""
    settings = settings or get_settings()
    with psycopg.connect(settings.conninfo()) as conn:
        conn.execute(OPS_DDL)
        if not _schema_exists(conn, BUILD_SCHEMA):
            raise RuntimeError(f"nothing to publish: schema {BUILD_SCHEMA} does not exist")
        counts = _table_counts(conn, BUILD_SCHEMA)
        with conn.transaction():
            # Readers of bi wait on this lock for the instant of the swap, never see a mix.
            for build, live in PAIRS:
                if not _schema_exists(conn, build):
                    continue
                previous = f"{live}_previous"
                conn.execute(
                    sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(previous))
                )
                if _schema_exists(conn, live):
                    conn.execute(
                        sql.SQL("alter schema {} rename to {}").format(
                            sql.Identifier(live), sql.Identifier(previous)
                        )
                    )
                conn.execute(
                    sql.SQL("alter schema {} rename to {}").format(
                        sql.Identifier(build), sql.Identifier(live)
                    )
                )
                _take_over(conn, live)
                for role in READERS.get(live, []):
                    if _role_exists(conn, role):
                        grant_read(conn, live, role)
            conn.execute(
                "insert into ops.publish_log (run_id, extract_date, outcome, tables, total_rows)"
                " values (%s, %s, 'published', %s, %s)",
                (run_id, extract_date, len(counts), sum(counts.values())),
            )
    log.info("published %d tables (%d rows) to %s", len(counts), sum(counts.values()), BI_SCHEMA)
    return PublishResult(len(counts), sum(counts.values()), datetime.now(UTC))


def keep_failed_build(
    run_id: str,
    reason: str,
    extract_date=None,
    settings: Settings | None = None,
    outcome: str = "gate_failed",
) -> str:
    """Rename the build schemas out of the way for inspection; published ones untouched."""
    settings = settings or get_settings()
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    with psycopg.connect(settings.conninfo()) as conn:
        conn.execute(OPS_DDL)
        base, n = stamp, 1
        while _schema_exists(conn, f"mart_failed_{stamp}") or _schema_exists(
            conn, f"case_failed_{stamp}"
        ):
            n += 1
            stamp = f"{base}_{n}"
        kept = f"mart_failed_{stamp}"
        with conn.transaction():
            for build, prefix in (
                (BUILD_SCHEMA, "mart_failed"),
                (CASE_BUILD_SCHEMA, "case_failed"),
            ):
                if _schema_exists(conn, build):
                    conn.execute(
                        sql.SQL("alter schema {} rename to {}").format(
                            sql.Identifier(build), sql.Identifier(f"{prefix}_{stamp}")
                        )
                    )
            conn.execute(
                "insert into ops.publish_log (run_id, extract_date, outcome, kept_schema, detail)"
                " values (%s, %s, %s, %s, %s)",
                (run_id, extract_date, outcome, kept, reason[:2000]),
            )
    log.warning("build kept as %s: %s", kept, reason.splitlines()[0] if reason else "")
    return kept


def schema_fingerprint(
    schema: str = BI_SCHEMA, settings: Settings | None = None
) -> dict[str, tuple[int, str]]:
    """Row count and a checksum of every table's rows: proves a schema did not change."""
    settings = settings or get_settings()
    out: dict[str, tuple[int, str]] = {}
    with psycopg.connect(settings.conninfo()) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = %s "
                "and table_type = 'BASE TABLE' order by 1",
                (schema,),
            )
        ]
        for table in tables:
            ident = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            rows = conn.execute(
                sql.SQL(
                    "select count(*), coalesce(md5(string_agg(r::text, '|' order by r::text)), '')"
                    " from {} as r"
                ).format(ident)
            ).fetchone()
            out[table] = (rows[0], rows[1])
    return out


def fingerprint_digest(fp: dict[str, tuple[int, str]]) -> str:
    return hashlib.sha256(repr(sorted(fp.items())).encode()).hexdigest()
