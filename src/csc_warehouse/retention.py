"""Retention: children whose last involvement ended long ago leave the BI history.

The rule: a child whose ``dim_child.last_involvement_date`` is more than ``years`` before
the as-at date (and who has no open involvement) is removed from every table of the BI
schema that carries ``child_key`` - dimensions, facts, scorecard detail. Aggregates already
computed for past months (the scorecard's counts) are not rewritten.

It runs as part of every nightly build, on the build schema before the gates (so the
published mart never holds expired children), and can be run by hand on any schema:

    csc-warehouse retention --years 25 --dry-run
    csc-warehouse retention --years 25 --schema bi

The period comes from ``CSC_RETENTION_YEARS`` (default 25: records of children in need are
commonly kept until the 25th birthday; a council's retention schedule may say otherwise -
set it there). Raw and case-level data follow the source systems' own retention and the
council's records management, not this job.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings, get_settings

log = logging.getLogger(__name__)

DEFAULT_YEARS = 25


def retention_years(settings: Settings | None = None) -> int:
    env = (settings.env if settings else os.environ).get("CSC_RETENTION_YEARS")
    return int(env) if env else DEFAULT_YEARS


@dataclass
class RetentionResult:
    schema: str
    cutoff: date
    children: int
    rows_by_table: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.rows_by_table.values())


def apply_retention(
    schema: str,
    as_at: date,
    years: int | None = None,
    settings: Settings | None = None,
    *,
    dry_run: bool = False,
) -> RetentionResult:
    settings = settings or get_settings()
    years = retention_years(settings) if years is None else years
    cutoff = date(as_at.year - years, as_at.month, min(as_at.day, 28))
    with psycopg.connect(settings.conninfo()) as conn:
        has_dim = conn.execute(
            "select 1 from information_schema.columns where table_schema = %s and "
            "table_name = 'dim_child' and column_name = 'last_involvement_date'",
            (schema,),
        ).fetchone()
        if not has_dim:
            return RetentionResult(schema, cutoff, 0, {})
        dim = sql.Identifier(schema, "dim_child")
        expired_sql = sql.SQL(
            "select child_key from {} where last_involvement_date < %(cutoff)s"
        ).format(dim)
        children = conn.execute(
            sql.SQL("select count(*) from ({}) as e").format(expired_sql), {"cutoff": cutoff}
        ).fetchone()[0]
        tables = [
            r[0]
            for r in conn.execute(
                "select c.table_name from information_schema.columns as c "
                "join information_schema.tables as t using (table_schema, table_name) "
                "where c.table_schema = %s and c.column_name = 'child_key' "
                "and t.table_type = 'BASE TABLE' and c.table_name <> 'dim_child' order by 1",
                (schema,),
            )
        ]
        counts: dict[str, int] = {}
        with conn.transaction():
            for table in [*tables, "dim_child"]:
                ident = sql.Identifier(schema, table)
                if dry_run:
                    n = conn.execute(
                        sql.SQL("select count(*) from {} where child_key in ({})").format(
                            ident, expired_sql
                        ),
                        {"cutoff": cutoff},
                    ).fetchone()[0]
                else:
                    n = conn.execute(
                        sql.SQL("delete from {} where child_key in ({})").format(
                            ident, expired_sql
                        ),
                        {"cutoff": cutoff},
                    ).rowcount
                if n:
                    counts[table] = n
    log.info(
        "retention (%s years, cutoff %s) on %s: %d children, %d rows%s",
        years,
        cutoff,
        schema,
        children,
        sum(counts.values()),
        " (dry run)" if dry_run else "",
    )
    return RetentionResult(schema, cutoff, children, counts)
