"""Database roles: who may read and write what, and who owns it.

=====================  =====================================================================
role                   rights
=====================  =====================================================================
``csc_admin``          owner of the database (the cluster's bootstrap role locally); runs
                       publish (schema swaps), the gates, retention, returns, housekeeping.
                       Owns the published schemas ``bi`` / ``case_level`` and every table
                       in them (publish takes them over from the transformer).
``csc_loader``         the loader connects as it: owns the raw tables (``raw_trust``,
                       ``raw_council``, ``raw_hr``) and its ``ops`` tables (load batches,
                       ledger, quarantine); nothing else. Cannot read BI.
``csc_transformer``    dbt connects as it: reads raw, ``ops.load_ledger`` and
                       ``ops.pseudonym_secret``; owns what it builds in staging,
                       intermediate, reference and the build schemas. Cannot touch ``bi``.
``csc_bi_reader``      BI tools: USAGE + SELECT on ``bi`` only (pseudonymised).
``csc_case_reader``    worklists: ``bi`` and ``case_level``.
``PUBLIC``             nothing: no CONNECT, no CREATE in ``public``.
=====================  =====================================================================

Raw (children's records as delivered) is readable by the owner and by the two pipeline roles
that must touch it (the loader writes it; dbt reads it to build staging), never by a person-
facing role. Passwords come from the environment (``CSC_LOADER_PASSWORD``, ...) or the
secrets file; ``db start`` creates them. Default privileges make new raw tables readable by
dbt; the loader grants ``ops.load_ledger`` and ``install_secret`` grants the secret to dbt.

A database from before the pipeline roles (everything owned by the admin) is taken over
idempotently: ``ensure_roles`` gives the raw tables and the loader's ``ops`` tables to
``csc_loader`` and everything in the pipeline schemas to ``csc_transformer``.
"""

from __future__ import annotations

import fcntl

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings, get_settings

LOADER = "csc_loader"
TRANSFORMER = "csc_transformer"
BI_READER = "csc_bi_reader"

RAW_SCHEMAS = ["raw_trust", "raw_council", "raw_hr"]
# analytics / analytics_case: the default targets of an ad-hoc `csc-warehouse dbt build`
# (profiles.yml, cli/dbt.py), a developer's marts and worklists that BI never reads
DEV_CASE_SCHEMA = "analytics_case"
PIPELINE_SCHEMAS = [
    "staging",
    "intermediate",
    "reference",
    "mart_build",
    "case_build",
    "analytics",
    DEV_CASE_SCHEMA,
]
# Session settings per role (ALTER ROLE ... SET, applied by every `db start`, local and
# docker alike). dbt's models are batch queries whose CTE estimates run into the millions, so
# PostgreSQL JIT-compiles them: 1.5-2.5 s of compiling for int_person_matches at scale 1,
# for queries that then run no faster (docs/benchmarks.md, 2026-12-07 afternoon).
ROLE_SETTINGS = {TRANSFORMER: {"jit": "off"}}
# the loader's bookkeeping in ops (csc_warehouse.load.ddl); the rest of ops is the admin's
LOADER_OPS_TABLES = ["load_batches", "load_ledger", "quarantine", "current_batches"]
# what dbt reads in ops: the ledger (latest snapshot, freshness) and the HMAC key
TRANSFORMER_OPS_READS = ["load_ledger", "pseudonym_secret"]

ROLES = {
    LOADER: "CSC_LOADER_PASSWORD",
    TRANSFORMER: "CSC_TRANSFORMER_PASSWORD",
    BI_READER: "CSC_BI_READER_PASSWORD",
    "csc_case_reader": "CSC_CASE_READER_PASSWORD",
}

# relkind -> the ALTER that changes its owner (indexes follow their table)
_ALTER = {
    "r": "table",
    "p": "table",
    "f": "foreign table",
    "v": "view",
    "m": "materialized view",
    "S": "sequence",
}


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def grant_read(conn: psycopg.Connection, schema: str, role: str) -> None:
    """``role`` may read every table now in ``schema`` (usage on it, select on its tables)."""
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(_ident(schema), _ident(role)))
    conn.execute(
        sql.SQL("grant select on all tables in schema {} to {}").format(
            _ident(schema), _ident(role)
        )
    )


def role_exists(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is not None


def give_ownership(
    conn: psycopg.Connection, schema: str, owner: str | None, names: list[str] | None = None
) -> int:
    """Make ``owner`` (None: the current user) own the relations of ``schema`` (or ``names``).

    Sequences owned by a column follow their table and are skipped. Returns how many changed.
    """
    rows = conn.execute(
        "select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relkind = any(%s)"
        " and pg_get_userbyid(c.relowner) <> coalesce(%s, current_user)"
        " and (%s::text[] is null or c.relname = any(%s))"
        " and not exists (select 1 from pg_depend d where d.objid = c.oid"
        "   and d.classid = 'pg_class'::regclass and d.deptype in ('a', 'i')"
        "   and c.relkind = 'S')"
        " order by c.relname",
        (schema, list(_ALTER), owner, names, names),
    ).fetchall()
    to = sql.SQL("current_user") if owner is None else _ident(owner)
    for name, kind in rows:
        conn.execute(
            sql.SQL("alter {} {}.{} owner to {}").format(
                sql.SQL(_ALTER[kind]), _ident(schema), _ident(name), to
            )
        )
    return len(rows)


def _grant_transformer_ops_reads(conn: psycopg.Connection) -> None:
    for table in TRANSFORMER_OPS_READS:
        if conn.execute("select to_regclass(%s)", (f"ops.{table}",)).fetchone()[0] is not None:
            conn.execute(
                sql.SQL("grant select on ops.{} to {}").format(_ident(table), _ident(TRANSFORMER))
            )


def ensure_roles(settings: Settings | None = None) -> list[str]:
    """Create the roles, apply the grants, hand existing objects to their pipeline role.

    Idempotent; returns the statements' summary.
    """
    settings = settings or get_settings()
    # Roles are cluster-wide: two processes altering the same role at once fail with "tuple
    # concurrently updated" (the test workers; `db start` while a DAG run starts), so one
    # process at a time on this machine.
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.state_dir / "roles.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_roles(settings)


def _ensure_roles(settings: Settings) -> list[str]:
    done: list[str] = []
    db = settings.pg_database
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        for role, secret_name in ROLES.items():
            password = settings.secret(secret_name)
            if not role_exists(conn, role):
                conn.execute(sql.SQL("create role {} login").format(_ident(role)))
                done.append(f"created role {role}")
            if password:
                conn.execute(
                    sql.SQL("alter role {} password {}").format(_ident(role), sql.Literal(password))
                )
        for role, role_settings in ROLE_SETTINGS.items():
            for name, value in role_settings.items():
                conn.execute(
                    sql.SQL("alter role {} set {} = {}").format(
                        _ident(role), sql.Identifier(name), sql.Literal(value)
                    )
                )
        # PUBLIC has no rights
        conn.execute(sql.SQL("revoke all on database {} from public").format(_ident(db)))
        conn.execute("revoke all on schema public from public")
        for role in ROLES:
            conn.execute(
                sql.SQL("grant connect on database {} to {}").format(_ident(db), _ident(role))
            )
        _loader_grants(conn, settings)
        _revoke_loader_ops_rights(conn, settings)
        _transformer_grants(conn, settings)
        # the readers: bi for BI tools, case_level for worklists (granted again at publish)
        for schema, readers in {
            "bi": ["csc_bi_reader", "csc_case_reader"],
            "case_level": ["csc_case_reader"],
        }.items():
            conn.execute(sql.SQL("create schema if not exists {}").format(_ident(schema)))
            for reader in readers:
                grant_read(conn, schema, reader)
        done.append("grants applied")
        moved = sum(give_ownership(conn, s, LOADER) for s in RAW_SCHEMAS)
        moved += give_ownership(conn, "ops", LOADER, LOADER_OPS_TABLES)
        moved += sum(give_ownership(conn, s, TRANSFORMER) for s in PIPELINE_SCHEMAS)
        if moved:
            done.append(f"ownership of {moved} existing relation(s) given to the pipeline roles")
    return done


def _loader_grants(conn: psycopg.Connection, settings: Settings) -> None:
    """The loader creates and owns its tables in the raw schemas and ops (it cannot create
    schemas: they are made here). dbt reads every raw table the loader (or the admin) makes."""
    for schema in [*RAW_SCHEMAS, "ops"]:
        conn.execute(sql.SQL("create schema if not exists {}").format(_ident(schema)))
        conn.execute(
            sql.SQL("grant usage, create on schema {} to {}").format(_ident(schema), _ident(LOADER))
        )
    for schema in RAW_SCHEMAS:
        grant_read(conn, schema, TRANSFORMER)
        for creator in (settings.pg_user, LOADER):
            conn.execute(
                sql.SQL(
                    "alter default privileges for role {} in schema {} grant select on tables to {}"
                ).format(_ident(creator), _ident(schema), _ident(TRANSFORMER))
            )


def _revoke_loader_ops_rights(conn: psycopg.Connection, settings: Settings) -> None:
    """Earlier versions let the loader read and write every ``ops`` table (the pseudonym
    secret, the publish log): take that back, it owns its own ones."""
    conn.execute(
        sql.SQL(
            "alter default privileges for role {} in schema ops revoke select, insert, update "
            "on tables from {}"
        ).format(_ident(settings.pg_user), _ident(LOADER))
    )
    others = conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'ops' and c.relkind in ('r', 'p', 'v', 'm') "
        "and not (c.relname = any(%s)) and pg_get_userbyid(c.relowner) <> %s",
        (LOADER_OPS_TABLES, LOADER),
    ).fetchall()
    for (name,) in others:
        conn.execute(sql.SQL("revoke all on ops.{} from {}").format(_ident(name), _ident(LOADER)))


def _transformer_grants(conn: psycopg.Connection, settings: Settings) -> None:
    """dbt: creates in the pipeline schemas, reads raw and two ops tables, calls pgcrypto."""
    db = settings.pg_database
    conn.execute(
        sql.SQL("grant create, temporary on database {} to {}").format(
            _ident(db), _ident(TRANSFORMER)
        )
    )
    # pgcrypto's hmac() lives in public (usage only: nobody creates there)
    conn.execute(sql.SQL("grant usage on schema public to {}").format(_ident(TRANSFORMER)))
    conn.execute(sql.SQL("grant usage on schema ops to {}").format(_ident(TRANSFORMER)))
    _grant_transformer_ops_reads(conn)
    for schema in PIPELINE_SCHEMAS:
        conn.execute(sql.SQL("create schema if not exists {}").format(_ident(schema)))
        conn.execute(
            sql.SQL("grant usage, create on schema {} to {}").format(
                _ident(schema), _ident(TRANSFORMER)
            )
        )
