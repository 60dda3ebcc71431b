"""``ops.quarantine``: list the rows that failed the contract, and replay them.

Listing shows counts, reasons and line numbers; the raw line (personal data) only on request.
Replay re-validates open (not yet replayed) rows against the *current* contract - after the
contract gained a code, say, or after an engineer corrected ``raw_line`` - and moves the rows
that now pass into raw: same batch, same source file and line number, a new ``_loaded_at``.
The ledger counts move with them (``rows_raw`` up, ``rows_quarantined`` down, ``rows_replayed``
up, status ``replayed``), so ``manifest rows = raw rows + quarantined rows`` still holds; it is
checked again, in the same transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings
from csc_warehouse.contracts import SYSTEMS, Contract, load_contract
from csc_warehouse.load import ddl
from csc_warehouse.load.loader import (
    _COPY_ESCAPES,
    ReconciliationError,
    connect,
    dedupe_columns,
)
from csc_warehouse.load.readers import parse_raw
from csc_warehouse.load.validate import (
    BAD_TEXT,
    DUPLICATE,
    PROBLEM_ENCODING,
    Problem,
    RowChecker,
    problem_column_count,
    problem_unparseable,
)

log = logging.getLogger("csc_warehouse.load")


@dataclass
class QuarantineRow:
    quarantine_id: int
    batch_id: int
    system: str
    extract_date: date
    source_file: str
    table_name: str
    line_number: int
    reason_code: str
    reason: str
    replay_attempts: int
    raw_line: str | None = None  # only with show_raw


@dataclass
class QuarantineGroup:
    system: str
    extract_date: date
    source_file: str
    table_name: str
    reason_code: str
    rows: int
    first_lines: list[int]


@dataclass
class QuarantineListing:
    groups: list[QuarantineGroup]
    rows: list[QuarantineRow]
    total: int


def _filters(
    system: str | None, extract_date: date | str | None, quarantine_id: int | None
) -> tuple[sql.Composable, list]:
    where = [sql.SQL("q.replayed_at IS NULL")]
    params: list = []
    if system:
        if system not in SYSTEMS:
            raise ValueError(f"unknown system {system!r}")
        where.append(sql.SQL("q.system = %s"))
        params.append(system)
    if extract_date:
        where.append(sql.SQL("q.extract_date = %s"))
        params.append(date.fromisoformat(str(extract_date)))
    if quarantine_id is not None:
        where.append(sql.SQL("q.quarantine_id = %s"))
        params.append(int(quarantine_id))
    return sql.SQL(" AND ").join(where), params


def list_quarantine(
    settings: Settings,
    *,
    system: str | None = None,
    extract_date: date | str | None = None,
    quarantine_id: int | None = None,
    show_raw: bool = False,
    limit: int = 200,
    conn: psycopg.Connection | None = None,
) -> QuarantineListing:
    """Open quarantine rows: grouped counts, and up to ``limit`` rows (raw line only if asked)."""
    own = conn is None
    conn = conn or connect(settings)
    try:
        ddl.ensure_ops(conn)
        where, params = _filters(system, extract_date, quarantine_id)
        groups = [
            QuarantineGroup(*row)
            for row in conn.execute(
                sql.SQL(
                    "SELECT system, extract_date, source_file, table_name, reason_code, "
                    "count(*), (array_agg(line_number ORDER BY line_number))[1:5] "
                    "FROM ops.quarantine q WHERE {} "
                    "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
                ).format(where),
                params,
            ).fetchall()
        ]
        raw_col = sql.SQL("q.raw_line") if show_raw else sql.SQL("NULL::text")
        rows = [
            QuarantineRow(*row)
            for row in conn.execute(
                sql.SQL(
                    "SELECT quarantine_id, batch_id, system, extract_date, source_file, "
                    "table_name, line_number, reason_code, reason, replay_attempts, {} "
                    "FROM ops.quarantine q WHERE {} "
                    "ORDER BY system, extract_date, source_file, table_name, line_number "
                    "LIMIT %s"
                ).format(raw_col, where),
                [*params, limit],
            ).fetchall()
        ]
        total = sum(g.rows for g in groups)
    finally:
        if own:
            conn.close()
    return QuarantineListing(groups=groups, rows=rows, total=total)


@dataclass
class ReplayResult:
    considered: int = 0
    replayed: int = 0
    still_failing: int = 0
    skipped: int = 0  # rows of superseded/rejected batches: not replayed
    reasons: Counter = field(default_factory=Counter)  # reason_code -> rows still failing
    batches: list[int] = field(default_factory=list)

    def summary_line(self) -> str:
        line = (
            f"{self.considered} quarantined rows re-validated: {self.replayed} replayed into "
            f"raw, {self.still_failing} still failing"
        )
        if self.reasons:
            line += " (" + ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items())) + ")"
        if self.skipped:
            line += f", {self.skipped} skipped (their batch is superseded)"
        return line


def replay_quarantine(
    settings: Settings,
    *,
    system: str | None = None,
    extract_date: date | str | None = None,
    quarantine_id: int | None = None,
    contracts: dict[str, Contract] | None = None,
    conn: psycopg.Connection | None = None,
) -> ReplayResult:
    """Re-validate open quarantine rows against the current contract (or ``contracts``) and
    move the ones that pass into raw. One transaction; reconciliation checked before commit."""
    contracts = dict(contracts or {})
    result = ReplayResult()
    own = conn is None
    conn = conn or connect(settings)
    touched: set[tuple[str, str]] = set()
    try:
        ddl.ensure_ops(conn)
        where, params = _filters(system, extract_date, quarantine_id)
        rows = conn.execute(
            sql.SQL(
                "SELECT q.quarantine_id, q.batch_id, q.ledger_id, q.system, q.extract_date, "
                "q.source_file, q.table_name, q.line_number, q.raw_line, b.status, l.header, "
                "l.schema_version FROM ops.quarantine q "
                "JOIN ops.load_batches b ON b.batch_id = q.batch_id "
                "LEFT JOIN ops.load_ledger l ON l.ledger_id = q.ledger_id "
                "WHERE {} ORDER BY q.batch_id, q.table_name, q.line_number"
            ).format(where),
            params,
        ).fetchall()
        groups: dict[tuple[int, str], list] = {}
        for row in rows:
            result.considered += 1
            if row[9] != "loaded" or row[10] is None:
                result.skipped += 1
                continue
            groups.setdefault((row[1], row[6]), []).append(row)
        for sys_name in {g[0][3] for g in groups.values()}:
            contract = contracts.setdefault(sys_name, load_contract(sys_name))
            ddl.ensure_raw(conn, contract)
        with conn.transaction():
            for (batch_id, table_name), items in groups.items():
                contract = contracts[items[0][3]]
                n = _replay_group(conn, contract, batch_id, table_name, items, result)
                if n:
                    touched.add((contract.system, table_name))
                    result.batches.append(batch_id)
        for sys_name, table_name in touched:
            conn.execute(
                sql.SQL("ANALYZE {}").format(sql.Identifier(ddl.raw_schema(sys_name), table_name))
            )
    finally:
        if own:
            conn.close()
    log.info("quarantine replay: %s", result.summary_line())
    return result


def _replay_group(
    conn, contract: Contract, batch_id: int, table_name: str, items: list, result: ReplayResult
) -> int:
    table = contract.tables.get(table_name)
    if table is None:
        result.skipped += len(items)
        return 0
    header = list(items[0][10])
    known = {c.name for c in table.columns}
    if any(h not in known for h in header):
        result.skipped += len(items)  # the contract lost a column this file had
        return 0
    checker = RowChecker.for_layout(contract, table, header)
    by_name = {c.name: c for c in table.columns}
    cols = [by_name[h].db_name for h in header]
    schema = ddl.raw_schema(contract.system)
    key_idx = dedupe_columns(contract, table, header)
    key_cols = [cols[i] for i in key_idx]

    # identities already in raw for this batch (the duplicate-key rule still applies)
    passing: list[tuple] = []
    failing: list[tuple[int, Problem]] = []
    candidates: list[tuple] = []
    for qid, _b, _l, _s, _d, _f, _t, line, raw_line, *_ in items:
        prob: Problem | None = None
        fields: list[str] | None = None
        if BAD_TEXT.search(raw_line):
            prob = PROBLEM_ENCODING
        else:
            try:
                records = parse_raw(raw_line, contract.format)
            except Exception as exc:  # noqa: BLE001 - an unreadable raw line stays quarantined
                records = []
                prob = problem_unparseable(type(exc).__name__)
            if prob is None and len(records) != 1:
                prob = problem_unparseable(f"{len(records)} records in the raw line")
            elif prob is None:
                fields = records[0]
                if len(fields) != len(header):
                    prob = problem_column_count(len(fields), len(header))
                elif "\x00" in "".join(fields):
                    prob = Problem("bad_encoding", "contains a NUL character")
                else:
                    prob = checker.check(fields)
        if prob is None:
            candidates.append((qid, line, fields))
        else:
            failing.append((qid, prob))

    if candidates:
        existing = _existing_identities(
            conn,
            schema,
            table_name,
            batch_id,
            key_cols,
            [[c[2][i] for i in key_idx] for c in candidates],
        )
        for qid, line, fields in candidates:
            ident = tuple(fields[i] for i in key_idx)
            if ident in existing:
                failing.append((qid, Problem(DUPLICATE, "duplicate key (already in raw)")))
            else:
                existing.add(ident)
                passing.append((qid, line, fields))

    extract_date, source_file = items[0][4], items[0][5]
    if passing:
        copy_sql = sql.SQL(
            "COPY {} ({}, _batch_id, _extract_date, _source_file, _line_number) "
            "FROM STDIN WITH (FORMAT text, NULL '')"
        ).format(
            sql.Identifier(schema, table_name), sql.SQL(", ").join(sql.Identifier(c) for c in cols)
        )
        suffix = (
            f"\t{batch_id}\t{extract_date.isoformat()}\t{source_file.translate(_COPY_ESCAPES)}\t"
        )
        with conn.cursor() as cur, cur.copy(copy_sql) as cp:
            for _qid, line, fields in passing:
                cp.write(
                    "\t".join(x.translate(_COPY_ESCAPES) for x in fields) + f"{suffix}{line}\n"
                )
        ids = [p[0] for p in passing]
        conn.execute(
            "UPDATE ops.quarantine SET replayed_at = now(), last_replay_at = now(), "
            "replay_attempts = replay_attempts + 1 WHERE quarantine_id = ANY(%s)",
            (ids,),
        )
        n = len(passing)
        conn.execute(
            "UPDATE ops.load_ledger SET rows_raw = rows_raw + %s, "
            "rows_quarantined = rows_quarantined - %s, rows_replayed = rows_replayed + %s, "
            "status = 'replayed', updated_at = now() WHERE batch_id = %s AND table_name = %s",
            (n, n, n, batch_id, table_name),
        )
        conn.execute(
            "UPDATE ops.load_batches SET rows_loaded = rows_loaded + %s, "
            "rows_quarantined = rows_quarantined - %s, rows_replayed = rows_replayed + %s "
            "WHERE batch_id = %s",
            (n, n, n, batch_id),
        )
    for qid, prob in failing:
        conn.execute(
            "UPDATE ops.quarantine SET replay_attempts = replay_attempts + 1, "
            "last_replay_at = now(), reason_code = %s, reason = %s, column_name = %s "
            "WHERE quarantine_id = %s",
            (prob.code, prob.message, prob.column, qid),
        )
        result.reasons[prob.code] += 1
    result.replayed += len(passing)
    result.still_failing += len(failing)
    _reconcile(conn, contract, batch_id, table_name, schema)
    if passing:
        log.info(
            "replayed %d rows of %s %s %s (batch %d)",
            len(passing),
            contract.system,
            extract_date,
            source_file,
            batch_id,
        )
    return len(passing)


def _existing_identities(
    conn, schema: str, table_name: str, batch_id: int, key_cols: list[str], keys: list[list[str]]
) -> set[tuple]:
    if not keys:
        return set()
    arrays = [[k[i] for k in keys] for i in range(len(key_cols))]
    aliases = [sql.Identifier(f"k{i}") for i in range(len(key_cols))]
    query = sql.SQL(
        "SELECT DISTINCT {sel} FROM {tbl} x JOIN unnest({arrays}) AS k({aliases}) ON {match} "
        "WHERE x._batch_id = %s"
    ).format(
        sel=sql.SQL(", ").join(sql.SQL("x.{}").format(sql.Identifier(c)) for c in key_cols),
        tbl=sql.Identifier(schema, table_name),
        arrays=sql.SQL(", ").join(sql.SQL("%s::text[]") for _ in key_cols),
        aliases=sql.SQL(", ").join(aliases),
        match=sql.SQL(" AND ").join(
            sql.SQL("x.{} IS NOT DISTINCT FROM NULLIF(k.{}, '')").format(sql.Identifier(c), a)
            for c, a in zip(key_cols, aliases, strict=True)
        ),
    )
    return {
        tuple("" if v is None else v for v in row)
        for row in conn.execute(query, (*arrays, batch_id)).fetchall()
    }


def _reconcile(conn, contract: Contract, batch_id: int, table_name: str, schema: str) -> None:
    manifest_rows, ledger_raw, ledger_q = conn.execute(
        "SELECT rows_manifest, rows_raw, rows_quarantined FROM ops.load_ledger "
        "WHERE batch_id = %s AND table_name = %s",
        (batch_id, table_name),
    ).fetchone()
    raw = conn.execute(
        sql.SQL("SELECT count(*) FROM {} WHERE _batch_id = %s").format(
            sql.Identifier(schema, table_name)
        ),
        (batch_id,),
    ).fetchone()[0]
    quarantined = conn.execute(
        "SELECT count(*) FROM ops.quarantine WHERE batch_id = %s AND table_name = %s "
        "AND replayed_at IS NULL",
        (batch_id, table_name),
    ).fetchone()[0]
    if raw + quarantined != manifest_rows or raw != ledger_raw or quarantined != ledger_q:
        raise ReconciliationError(
            f"replay {contract.system} batch {batch_id} {table_name}: manifest {manifest_rows} "
            f"rows != raw {raw} + quarantined {quarantined} (ledger {ledger_raw} + {ledger_q}); "
            "rolled back"
        )
