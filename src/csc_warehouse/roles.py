"""Database roles: who may read and write what.

=====================  =====================================================================
role                   rights
=====================  =====================================================================
``csc_admin``          owner of the database (the cluster's bootstrap role locally); runs
                       publish (schema swaps) and housekeeping.
``csc_loader``         writes the raw schemas (``raw_trust``, ``raw_council``, ``raw_hr``) and
                       the load ledger/quarantine in ``ops``; nothing else. Cannot read BI.
``csc_transformer``    dbt: reads raw, creates staging, intermediate, reference and the build
                       schemas.
``csc_bi_reader``      BI tools: USAGE + SELECT on ``bi`` only (pseudonymised).
``csc_case_reader``    worklists: ``bi`` and ``case_level``.
``PUBLIC``             nothing: no CONNECT, no CREATE in ``public``.
=====================  =====================================================================

Raw (children's records as delivered) is readable by the owner and by the two pipeline roles
that must touch it (the loader writes it; dbt reads it to build staging), never by a person-
facing role. Passwords come from the environment (``CSC_LOADER_PASSWORD``, ...) or the
secrets file; ``db start`` creates them. Default privileges make new tables follow the rule.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings, get_settings

RAW_SCHEMAS = ["raw_trust", "raw_council", "raw_hr"]
PIPELINE_SCHEMAS = ["staging", "intermediate", "reference", "mart_build", "case_build"]

ROLES = {
    "csc_loader": "CSC_LOADER_PASSWORD",
    "csc_transformer": "CSC_TRANSFORMER_PASSWORD",
    "csc_bi_reader": "CSC_BI_READER_PASSWORD",
    "csc_case_reader": "CSC_CASE_READER_PASSWORD",
}


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def ensure_roles(settings: Settings | None = None) -> list[str]:
    """Create the roles and apply the grants. Idempotent; returns the statements' summary."""
    settings = settings or get_settings()
    done: list[str] = []
    db = settings.pg_database
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        for role, secret_name in ROLES.items():
            password = settings.secret(secret_name)
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("create role {} login").format(_ident(role)))
                done.append(f"created role {role}")
            if password:
                conn.execute(
                    sql.SQL("alter role {} password {}").format(_ident(role), sql.Literal(password))
                )
        # PUBLIC has no rights
        conn.execute(sql.SQL("revoke all on database {} from public").format(_ident(db)))
        conn.execute("revoke all on schema public from public")
        for role in ROLES:
            conn.execute(
                sql.SQL("grant connect on database {} to {}").format(_ident(db), _ident(role))
            )
        # schemas owned by the pipeline roles that write them
        for schema in [*RAW_SCHEMAS, "ops"]:
            conn.execute(sql.SQL("create schema if not exists {}").format(_ident(schema)))
            conn.execute(
                sql.SQL("grant usage, create on schema {} to csc_loader").format(_ident(schema))
            )
            conn.execute(
                sql.SQL(
                    "grant select, insert, update on all tables in schema {} to csc_loader"
                ).format(_ident(schema))
            )
            conn.execute(
                sql.SQL("grant usage, select on all sequences in schema {} to csc_loader").format(
                    _ident(schema)
                )
            )
        for schema in RAW_SCHEMAS:
            conn.execute(
                sql.SQL("grant usage on schema {} to csc_transformer").format(_ident(schema))
            )
            conn.execute(
                sql.SQL("grant select on all tables in schema {} to csc_transformer").format(
                    _ident(schema)
                )
            )
            for creator in (settings.pg_user, "csc_loader"):
                conn.execute(
                    sql.SQL(
                        "alter default privileges for role {} in schema {} grant select on tables "
                        "to csc_transformer"
                    ).format(_ident(creator), _ident(schema))
                )
        for creator in (settings.pg_user,):
            conn.execute(
                sql.SQL(
                    "alter default privileges for role {} in schema ops grant select, insert, "
                    "update on tables to csc_loader"
                ).format(_ident(creator))
            )
        conn.execute(sql.SQL("grant create on database {} to csc_transformer").format(_ident(db)))
        conn.execute("grant usage on schema ops to csc_transformer")
        for schema in PIPELINE_SCHEMAS:
            conn.execute(sql.SQL("create schema if not exists {}").format(_ident(schema)))
            conn.execute(
                sql.SQL("grant usage, create on schema {} to csc_transformer").format(
                    _ident(schema)
                )
            )
        # the readers: bi for BI tools, case_level for worklists (granted again at publish)
        for schema, readers in {
            "bi": ["csc_bi_reader", "csc_case_reader"],
            "case_level": ["csc_case_reader"],
        }.items():
            conn.execute(sql.SQL("create schema if not exists {}").format(_ident(schema)))
            for reader in readers:
                conn.execute(
                    sql.SQL("grant usage on schema {} to {}").format(_ident(schema), _ident(reader))
                )
                conn.execute(
                    sql.SQL("grant select on all tables in schema {} to {}").format(
                        _ident(schema), _ident(reader)
                    )
                )
        done.append("grants applied")
    return done
