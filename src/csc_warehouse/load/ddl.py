"""Schemas and tables the loader writes: ``ops.*`` and ``raw_<system>.*``, created idempotently.

Identifiers come only from the contract and are quoted with ``psycopg.sql.Identifier``;
nothing from a delivered file ever becomes SQL text.

Raw tables: every contract column (all schema versions) as ``text`` by its ``db_name``, then the
lineage columns. A new known schema version adds its columns with ``ALTER TABLE ADD COLUMN``.
Indexes are kept to what the loader needs, so loads stay close to a plain COPY:

* BRIN on ``_batch_id`` for every raw table (batches are appended in id order, so a BRIN
  index is tiny and nearly free to maintain; it serves reconciliation counts, replay and
  staging's "this batch" scans);
* council tables also get a btree on their key columns (the "delete for a key never
  inserted" check looks keys up across all batches; deltas are small, so it costs little).
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from csc_warehouse import roles
from csc_warehouse.contracts import Contract, Table

LINEAGE = ("_batch_id", "_extract_date", "_source_file", "_line_number", "_loaded_at")

OPS_DDL = """
CREATE TABLE IF NOT EXISTS ops.load_batches (
    batch_id          bigserial PRIMARY KEY,
    system            text NOT NULL CHECK (system IN ('trust', 'council', 'hr')),
    extract_date      date NOT NULL,
    delivery          int  NOT NULL,
    status            text NOT NULL
                      CHECK (status IN ('loaded', 'rejected', 'waiting', 'superseded')),
    mode              text,
    schema_version    text,
    manifest_sha256   text NOT NULL,
    contract_sha256   text,
    generated_at      text,
    folder            text NOT NULL,
    is_current        boolean NOT NULL DEFAULT false,
    is_correction     boolean NOT NULL DEFAULT false,
    superseded_by     bigint REFERENCES ops.load_batches (batch_id),
    waiting_for       date,
    reason            text,
    files             int    NOT NULL DEFAULT 0,
    rows_manifest     bigint NOT NULL DEFAULT 0,
    rows_loaded       bigint NOT NULL DEFAULT 0,
    rows_quarantined  bigint NOT NULL DEFAULT 0,
    rows_replayed     bigint NOT NULL DEFAULT 0,
    warnings          int    NOT NULL DEFAULT 0,
    seconds           numeric(10, 3),
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);
CREATE INDEX IF NOT EXISTS load_batches_system_date
    ON ops.load_batches (system, extract_date, batch_id);
CREATE UNIQUE INDEX IF NOT EXISTS load_batches_one_waiting
    ON ops.load_batches (system, extract_date) WHERE status = 'waiting';
COMMENT ON TABLE ops.load_batches IS
    'One row per delivery of a system folder (system + extract date + delivery). status: '
    'loaded | rejected | waiting | superseded. is_current: the batch staging reads (trust/hr: '
    'the newest loaded snapshot; council: every loaded delta).';

CREATE TABLE IF NOT EXISTS ops.load_ledger (
    ledger_id         bigserial PRIMARY KEY,
    batch_id          bigint NOT NULL REFERENCES ops.load_batches (batch_id) ON DELETE CASCADE,
    system            text NOT NULL,
    extract_date      date NOT NULL,
    file_name         text NOT NULL,
    table_name        text NOT NULL,
    status            text NOT NULL CHECK (status IN
                      ('loaded', 'quarantined', 'replayed', 'rejected', 'waiting', 'superseded')),
    reason            text,
    schema_version    text,
    header            text[],
    rows_manifest     bigint,
    rows_raw          bigint NOT NULL DEFAULT 0,
    rows_quarantined  bigint NOT NULL DEFAULT 0,
    rows_replayed     bigint NOT NULL DEFAULT 0,
    deletes_unknown   int    NOT NULL DEFAULT 0,
    sha256_manifest   text,
    sha256_actual     text,
    bytes             bigint,
    seconds           numeric(10, 3),
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz,
    UNIQUE (batch_id, table_name)
);
CREATE INDEX IF NOT EXISTS load_ledger_system_date ON ops.load_ledger (system, extract_date);
COMMENT ON TABLE ops.load_ledger IS
    'One row per system / extract date / delivery / file (xlsx: per sheet). status: loaded | '
    'quarantined (loaded, some rows quarantined) | replayed (quarantined rows later replayed) | '
    'rejected | waiting | superseded. Reconciliation: rows_manifest = rows_raw + rows_quarantined.';

CREATE TABLE IF NOT EXISTS ops.quarantine (
    quarantine_id     bigserial PRIMARY KEY,
    batch_id          bigint NOT NULL REFERENCES ops.load_batches (batch_id) ON DELETE CASCADE,
    ledger_id         bigint REFERENCES ops.load_ledger (ledger_id) ON DELETE CASCADE,
    system            text NOT NULL,
    extract_date      date NOT NULL,
    source_file       text NOT NULL,
    table_name        text NOT NULL,
    line_number       int  NOT NULL,
    line_end          int  NOT NULL,
    reason_code       text NOT NULL,
    reason            text NOT NULL,
    column_name       text,
    raw_line          text NOT NULL,
    raw_bytes         bytea,
    quarantined_at    timestamptz NOT NULL DEFAULT now(),
    replay_attempts   int NOT NULL DEFAULT 0,
    last_replay_at    timestamptz,
    replayed_at       timestamptz
);
CREATE INDEX IF NOT EXISTS quarantine_batch ON ops.quarantine (batch_id, table_name);
CREATE INDEX IF NOT EXISTS quarantine_open ON ops.quarantine (system, extract_date)
    WHERE replayed_at IS NULL;
COMMENT ON TABLE ops.quarantine IS
    'Rows that failed the contract: raw line (PERSONAL DATA - restricted), file, line, reason. '
    'replayed_at is set when a replay moved the row into raw.';
REVOKE ALL ON ops.quarantine FROM PUBLIC;

CREATE OR REPLACE VIEW ops.current_batches AS
    SELECT system, extract_date, batch_id, delivery, is_correction
    FROM ops.load_batches
    WHERE status = 'loaded' AND is_current;
COMMENT ON VIEW ops.current_batches IS
    'The batches staging reads: trust/hr the newest loaded snapshot, council every loaded delta.';
"""

# Serialises DDL between loaders of different systems running at the same time (Airflow runs
# the three systems in parallel; concurrent CREATE ... IF NOT EXISTS can collide).
DDL_LOCK = 4_247_001


def ensure_schema(conn: psycopg.Connection, schema: str) -> None:
    """Create ``schema`` only if it is missing: ``CREATE SCHEMA IF NOT EXISTS`` needs the
    database's CREATE right even when the schema exists, and ``csc_loader`` does not have it
    (``csc-warehouse db start`` makes the loader's schemas; a superuser may make them here)."""
    exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


def ensure_ops(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        ensure_schema(conn, "ops")
        conn.execute(OPS_DDL)
        # dbt (csc_transformer) reads the ledger: newest complete snapshot, freshness
        if roles.role_exists(conn, roles.TRANSFORMER):
            conn.execute(
                sql.SQL("GRANT SELECT ON ops.load_ledger TO {}").format(
                    sql.Identifier(roles.TRANSFORMER)
                )
            )


def raw_schema(system: str) -> str:
    return f"raw_{system}"


def all_columns(table: Table) -> list[str]:
    """The raw table's data columns (every schema version), in contract order."""
    out: list[str] = []
    for c in table.columns:
        if c.db_name not in out:
            out.append(c.db_name)
    return out


def ensure_raw(
    conn: psycopg.Connection, contract: Contract, tables: list[str] | None = None
) -> None:
    """Create ``raw_<system>`` and its tables; add columns the contract has gained."""
    schema = raw_schema(contract.system)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        ensure_schema(conn, schema)
        existing: dict[str, set[str]] = {}
        for tname, col in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = %s",
            (schema,),
        ).fetchall():
            existing.setdefault(tname, set()).add(col)
        for name, table in contract.tables.items():
            if tables is not None and name not in tables:
                continue
            cols = all_columns(table)
            ident = sql.Identifier(schema, name)
            if name not in existing:
                coldefs = [sql.SQL("{} text").format(sql.Identifier(c)) for c in cols]
                coldefs += [
                    sql.SQL("_batch_id bigint NOT NULL"),
                    sql.SQL("_extract_date date NOT NULL"),
                    sql.SQL("_source_file text NOT NULL"),
                    sql.SQL("_line_number int NOT NULL"),
                    sql.SQL("_loaded_at timestamptz NOT NULL DEFAULT now()"),
                ]
                conn.execute(
                    sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(coldefs))
                )
                conn.execute(
                    sql.SQL("CREATE INDEX {} ON {} USING brin (_batch_id)").format(
                        sql.Identifier(f"{name}__batch"), ident
                    )
                )
                if contract.mode == "delta":
                    conn.execute(
                        sql.SQL("CREATE INDEX {} ON {} ({})").format(
                            sql.Identifier(f"{name}__key"),
                            ident,
                            sql.SQL(", ").join(sql.Identifier(k) for k in table.key_db_names),
                        )
                    )
                conn.execute(
                    sql.SQL("COMMENT ON TABLE {} IS {}").format(
                        ident,
                        sql.Literal(
                            f"Raw {contract.system} {name} ({table.file}"
                            + (f", sheet {table.sheet}" if table.sheet else "")
                            + "), append-only, text as delivered; lineage _batch_id -> "
                            "ops.load_batches."
                        ),
                    )
                )
            else:
                for c in cols:
                    if c not in existing[name]:
                        conn.execute(
                            sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} text").format(
                                ident, sql.Identifier(c)
                            )
                        )
