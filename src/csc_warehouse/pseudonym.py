"""The pseudonymisation secret, kept in the warehouse where dbt can use it but never see it.

BI models identify a child by ``child_key`` = HMAC-SHA256(child_id, secret), computed in SQL
by the ``pseudonymise`` macro (``dbt_project/macros/intermediate/pseudonymise.sql``) with
pgcrypto's ``hmac()``. The secret itself never appears in SQL text, dbt vars, compiled
models, logs or the repository: it lives in the one-row table ``ops.pseudonym_secret``,
owned by the warehouse admin and readable only by it and by ``csc_transformer`` (the role dbt
runs as), and is written there by :func:`install_secret` from ``Settings.pseudonym_secret``
(environment or the secrets file).

Changing the secret changes every ``child_key``: BI extracts keyed on the old keys no longer
join. Rotate it only with a full refresh and a version bump of the BI contract.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from csc_warehouse import roles
from csc_warehouse.config import Settings

SCHEMA = "ops"
TABLE = "pseudonym_secret"

_DDL = (
    "create extension if not exists pgcrypto",
    "create schema if not exists ops",
    """create table if not exists ops.pseudonym_secret (
        secret text not null,
        one_row boolean primary key default true check (one_row)
    )""",
    "revoke all on ops.pseudonym_secret from public",
    """comment on table ops.pseudonym_secret is
        'HMAC key for pseudonymous child keys (restricted: owner and csc_transformer, written by '
        'csc_warehouse.pseudonym.install_secret, never copy it into SQL text or dbt vars)'""",
)


def install_secret(settings: Settings, conn: psycopg.Connection | None = None) -> None:
    """Create pgcrypto, schema ``ops`` and ``ops.pseudonym_secret``; upsert the secret.

    Idempotent. The secret is passed as a bound parameter, so it is not in the statement
    text the server could log. Runs in its own connection unless one is given.
    """
    secret = settings.pseudonym_secret
    own = conn is None
    if own:
        conn = psycopg.connect(settings.conninfo(), autocommit=False)
    try:
        with conn.transaction():
            # Concurrent installers (parallel test modules, DAG tasks) must not collide on
            # "create ... if not exists".
            conn.execute("select pg_advisory_xact_lock(hashtext('csc_warehouse.pseudonym'))")
            for statement in _DDL:
                conn.execute(statement)
            if roles.role_exists(conn, roles.TRANSFORMER):
                conn.execute(
                    sql.SQL("grant select on {}.{} to {}").format(
                        sql.Identifier(SCHEMA),
                        sql.Identifier(TABLE),
                        sql.Identifier(roles.TRANSFORMER),
                    )
                )
            conn.execute(
                sql.SQL(
                    "insert into {}.{} (secret) values (%s) "
                    "on conflict (one_row) do update set secret = excluded.secret "
                    "where {}.secret is distinct from excluded.secret"
                ).format(sql.Identifier(SCHEMA), sql.Identifier(TABLE), sql.Identifier(TABLE)),
                (secret,),
            )
    finally:
        if own:
            conn.close()


def secret_installed(settings: Settings) -> bool:
    """True when ``ops.pseudonym_secret`` exists and holds a secret."""
    with psycopg.connect(settings.conninfo()) as conn:
        exists = conn.execute("select to_regclass('ops.pseudonym_secret') is not null").fetchone()
        if not exists or not exists[0]:
            return False
        row = conn.execute("select count(*) from ops.pseudonym_secret").fetchone()
        return bool(row and row[0] == 1)
