"""A regional warehouse: several authorities in one PostgreSQL, and one pooled BI schema.

``CSC_REGION=931,932,...`` names the authorities. Each one is a whole warehouse of its own,
built by the same code as a warehouse of one authority (``Settings.for_la``):

* its own database ``csc_la_<code>`` (raw, staging, marts, ``bi``, ``case_level``, ops), its
  landing folder ``LANDING/<code>/<system>/<date>/`` and output folder ``OUTPUT/<code>/``;
* its own pseudonymisation key (``CSC_PSEUDONYM_SECRET_<code>``): a child's keys cannot be
  linked across authorities, and two authorities' case systems may use the same ids;
* its own night: one authority's rejected file or failed gate leaves *its* last good mart in
  place and does not hold back the others' (each is a separate data controller, and so a
  separate unit of failure);
* identity matching within the authority only: a child known to two authorities is two
  records, as in the DfE's own returns.

The region database (``csc_region``) holds no data of its own. Its schema ``bi`` has one view
per BI table, ``la_code`` first, over every authority's published ``bi`` table (postgres_fdw
foreign tables, one schema ``la_<code>`` each), and ``bi.region_authorities`` says what each
authority last published. Case-level data (names, ids) never leaves an authority's database:
only ``bi`` (pseudonymous keys) is pooled, and the region reads it as ``csc_bi_reader``.

A foreign table names its remote table, so an authority's publish (a schema swap) shows in
the pooled views at once. ``pool`` re-imports the tables after each regional night, which
catches a release that changed a table's columns; an authority whose table's columns differ
from the majority's is left out of that view, and ``region_authorities`` says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from csc_warehouse.config import TELEMETRY_OFF, Settings
from csc_warehouse.errors import EnvironmentNotReady
from csc_warehouse.pseudonym import install_secret
from csc_warehouse.roles import BI_READER, ensure_roles, grant_read

POOLED_SCHEMA = "bi"
# The same in every authority (the calendar, England's bank holidays): pooled from the first
# authority that has it, without la_code, so a join on the date does not multiply rows.
SHARED_TABLES = frozenset({"dim_date"})
STATUS_TABLE = "region_authorities"
_LOCK = "select pg_advisory_xact_lock(hashtext('csc_warehouse.region.pool'))"


class RegionError(EnvironmentNotReady):
    """The region is not configured or not prepared (exit code 3 at the command line)."""


def authorities(settings: Settings) -> tuple[str, ...]:
    las = settings.region_las
    if not las:
        raise RegionError(
            "CSC_REGION is not set: a regional warehouse lists its authorities, "
            "e.g. CSC_REGION=931,932 (see docs/region.md)"
        )
    return las


def server_name(la: str) -> str:
    return f"la_{la}"


def foreign_schema(la: str) -> str:
    return f"la_{la}"


# ---- prepare ------------------------------------------------------------------------------


def prepare(settings: Settings, log: Callable[[str], None] = print) -> list[str]:
    """Create each authority's database (roles, grants, pseudonymisation key) and the region
    database with a postgres_fdw server per authority. Idempotent."""
    las = authorities(settings)
    settings.ensure_secrets()
    done: list[str] = []
    with psycopg.connect(settings.conninfo("postgres"), autocommit=True) as conn:
        have = {r[0] for r in conn.execute("select datname from pg_database")}
        for name in [*(settings.la_database(la) for la in las), settings.region_database]:
            if name not in have:
                log(f"creating database {name}")
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
                done.append(f"created database {name}")
    for la in las:
        la_settings = settings.for_la(la)
        with psycopg.connect(la_settings.conninfo(), autocommit=True) as conn:
            conn.execute("create extension if not exists pgcrypto")
        ensure_roles(la_settings)
        install_secret(la_settings)
        la_settings.landing.mkdir(parents=True, exist_ok=True)
    bi_password = settings.role_password(BI_READER)
    with psycopg.connect(settings.conninfo(settings.region_database), autocommit=True) as conn:
        conn.execute("create extension if not exists postgres_fdw")
        conn.execute(
            sql.SQL("revoke all on database {} from public").format(
                sql.Identifier(settings.region_database)
            )
        )
        conn.execute(
            sql.SQL("grant connect on database {} to {}").format(
                sql.Identifier(settings.region_database), sql.Identifier(BI_READER)
            )
        )
        conn.execute("revoke all on schema public from public")
        for la in las:
            options = {
                "host": settings.pg_host,
                "port": str(settings.pg_port),
                "dbname": settings.la_database(la),
                "fetch_size": "10000",
                "application_name": f"csc-region-{la}",
            }
            server = sql.Identifier(server_name(la))
            exists = conn.execute(
                "select 1 from pg_foreign_server where srvname = %s", (server_name(la),)
            ).fetchone()
            if exists:
                for key, value in options.items():
                    conn.execute(
                        sql.SQL("alter server {} options (set {} {})").format(
                            server, sql.Identifier(key), sql.Literal(value)
                        )
                    )
            else:
                conn.execute(
                    sql.SQL(
                        "create server {} foreign data wrapper postgres_fdw options ({})"
                    ).format(
                        server,
                        sql.SQL(", ").join(
                            sql.SQL("{} {}").format(sql.Identifier(k), sql.Literal(v))
                            for k, v in options.items()
                        ),
                    )
                )
                done.append(f"created server {server_name(la)}")
            # The pooled views are owned by the admin, so their foreign tables are read through
            # the admin's mapping: to the authority's BI reader, which sees bi and nothing else.
            conn.execute(
                sql.SQL("drop user mapping if exists for current_user server {}").format(server)
            )
            mapping = [
                sql.SQL("user {}").format(sql.Literal(BI_READER)),
            ]
            if bi_password:
                mapping.append(sql.SQL("password {}").format(sql.Literal(bi_password)))
            conn.execute(
                sql.SQL("create user mapping for current_user server {} options ({})").format(
                    server, sql.SQL(", ").join(mapping)
                )
            )
    done.append(f"region {settings.region_database}: {len(las)} authorities")
    return done


# ---- pool ---------------------------------------------------------------------------------


@dataclass
class PoolResult:
    views: int = 0
    authorities: dict[str, dict] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    seconds: float = 0.0


def last_published(settings: Settings, la: str) -> tuple[date | None, datetime | None]:
    la_settings = settings.for_la(la)
    try:
        with psycopg.connect(la_settings.conninfo(), connect_timeout=10) as conn:
            row = conn.execute("select to_regclass('ops.publish_log') is not null").fetchone()
            if not row or not row[0]:
                return None, None
            row = conn.execute(
                "select extract_date, published_at from ops.publish_log "
                "where outcome = 'published' order by publish_id desc limit 1"
            ).fetchone()
    except psycopg.OperationalError as exc:
        raise RegionError(
            f"authority {la}: cannot reach {la_settings.pg_database} "
            f"(a new authority? `csc-warehouse region prepare` creates it): {exc}"
        ) from exc
    if not row:
        return None, None
    return row[0], row[1]


def pool(settings: Settings, log: Callable[[str], None] = print) -> PoolResult:
    """Re-import every authority's published ``bi`` tables and rebuild the pooled views, in
    one transaction (a BI query sees the old views or the new ones)."""
    started = time.perf_counter()
    las = authorities(settings)
    result = PoolResult()
    published = {la: last_published(settings, la) for la in las}
    with psycopg.connect(settings.conninfo(settings.region_database)) as conn, conn.transaction():
        conn.execute(_LOCK)
        conn.execute(
            sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(POOLED_SCHEMA))
        )
        columns: dict[str, dict[str, tuple]] = {}
        for la in las:
            schema = sql.Identifier(foreign_schema(la))
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(schema))
            conn.execute(sql.SQL("create schema {}").format(schema))
            if published[la][0] is None:
                continue  # nothing published yet: its bi is empty or absent
            conn.execute(
                sql.SQL("import foreign schema {} from server {} into {}").format(
                    sql.Identifier(POOLED_SCHEMA), sql.Identifier(server_name(la)), schema
                )
            )
            rows = conn.execute(
                """
                select c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
                from pg_class as c
                join pg_namespace as n on n.oid = c.relnamespace
                join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0
                where n.nspname = %s and not a.attisdropped
                order by c.relname, a.attnum
                """,
                (foreign_schema(la),),
            ).fetchall()
            for table, column, type_ in rows:
                columns.setdefault(table, {}).setdefault(la, ())
                columns[table][la] += ((column, type_),)
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(POOLED_SCHEMA)))
        included: dict[str, list[str]] = {la: [] for la in las}
        left_out: dict[str, list[str]] = {la: [] for la in las}
        for table in sorted(columns):
            by_la = columns[table]
            counts = Counter(by_la.values())
            # the shape most authorities have; a tie goes to the first authority's
            best = max(counts.values())
            shape = next(by_la[la] for la in las if la in by_la and counts[by_la[la]] == best)
            members = [la for la in las if by_la.get(la) == shape]
            for la in las:
                if la in by_la and by_la[la] != shape:
                    left_out[la].append(f"bi.{table} (its columns differ)")
            names = sql.SQL(", ").join(sql.Identifier(c) for c, _ in shape)
            if table in SHARED_TABLES:
                members = members[:1]
                branches = sql.SQL("select {} from {}.{}").format(
                    names, sql.Identifier(foreign_schema(members[0])), sql.Identifier(table)
                )
            else:
                branches = sql.SQL("\nunion all\n").join(
                    sql.SQL("select {}::text as la_code, {} from {}.{}").format(
                        sql.Literal(la),
                        names,
                        sql.Identifier(foreign_schema(la)),
                        sql.Identifier(table),
                    )
                    for la in members
                )
            conn.execute(
                sql.SQL("create view {}.{} as\n{}").format(
                    sql.Identifier(POOLED_SCHEMA), sql.Identifier(table), branches
                )
            )
            conn.execute(
                sql.SQL("comment on view {}.{} is {}").format(
                    sql.Identifier(POOLED_SCHEMA),
                    sql.Identifier(table),
                    sql.Literal(
                        f"bi.{table}, the same in every authority (from {members[0]})"
                        if table in SHARED_TABLES
                        else f"bi.{table} of every authority of the region, la_code first "
                        f"({', '.join(members)})"
                    ),
                )
            )
            for la in members:
                included[la].append(table)
            result.views += 1
        conn.execute(
            sql.SQL(
                "create table {}.{} (la_code text primary key, database text not null, "
                "extract_date date, published_at timestamptz, pooled_tables integer not null, "
                "left_out text[] not null, pooled_at timestamptz not null default now())"
            ).format(sql.Identifier(POOLED_SCHEMA), sql.Identifier(STATUS_TABLE))
        )
        for la in las:
            conn.execute(
                sql.SQL(
                    "insert into {}.{} (la_code, database, extract_date, published_at, "
                    "pooled_tables, left_out) values (%s, %s, %s, %s, %s, %s)"
                ).format(sql.Identifier(POOLED_SCHEMA), sql.Identifier(STATUS_TABLE)),
                (
                    la,
                    settings.la_database(la),
                    published[la][0],
                    published[la][1],
                    len(included[la]),
                    left_out[la],
                ),
            )
            result.authorities[la] = {
                "extract_date": published[la][0].isoformat() if published[la][0] else None,
                "pooled_tables": len(included[la]),
            }
        conn.execute(
            sql.SQL("comment on table {}.{} is {}").format(
                sql.Identifier(POOLED_SCHEMA),
                sql.Identifier(STATUS_TABLE),
                sql.Literal(
                    "What each authority of the region last published, and which of its BI "
                    "tables the pooled views hold"
                ),
            )
        )
        grant_read(conn, POOLED_SCHEMA, BI_READER)
    result.left_out = [f"{la}: {t}" for la in las for t in left_out[la]]
    result.seconds = time.perf_counter() - started
    for line in result.left_out:
        log(f"left out of the pooled views: {line}")
    return result


def pooled_status(settings: Settings) -> dict[str, str]:
    """la_code -> what the pooled views hold of it ("12 tables as at 2025-06-30"), from
    ``bi.region_authorities``; empty before the first pool."""
    try:
        with psycopg.connect(settings.conninfo(settings.region_database)) as conn:
            if not conn.execute(
                "select to_regclass(%s) is not null", (f"{POOLED_SCHEMA}.{STATUS_TABLE}",)
            ).fetchone()[0]:
                return {}
            rows = conn.execute(
                sql.SQL(
                    "select la_code, pooled_tables, extract_date, cardinality(left_out) from {}.{}"
                ).format(sql.Identifier(POOLED_SCHEMA), sql.Identifier(STATUS_TABLE))
            ).fetchall()
    except psycopg.OperationalError as exc:
        raise RegionError(f"cannot reach {settings.region_database}: {exc}") from exc
    return {
        la: f"{n} tables as at {d or '-'}" + (f", {left} left out" if left else "")
        for la, n, d, left in rows
    }


# ---- the regional night -------------------------------------------------------------------


@dataclass
class AuthorityNight:
    la: str
    exit_code: int
    seconds: float
    extract_date: str | None = None
    published: bool = False
    error: str | None = None
    log: Path | None = None
    stages: dict[str, float] = field(default_factory=dict)


def authority_env(settings: Settings, la: str) -> dict[str, str]:
    """The environment of one authority's processes: its database, folders and key."""
    la_settings = settings.for_la(la)
    env = {k: v for k, v in os.environ.items() if k != "CSC_REGION"}
    env.update(TELEMETRY_OFF)
    env.update(la_settings.tool_env())
    env.setdefault("COLUMNS", "200")  # one line a message in the logs
    return env


def run_authority(
    settings: Settings,
    la: str,
    args: list[str],
    log_dir: Path,
    echo: Callable[[str], None] | None = None,
) -> AuthorityNight:
    """``csc-warehouse <args>`` as one authority, in its own process (its memory is freed
    and its failure stays its own); its output goes to ``log_dir/<la>.log`` and, line by
    line, to ``echo`` (an Airflow task's log)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{la}.log"
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "csc_warehouse", *args],
            env=authority_env(settings, la),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if echo:
                echo(line.rstrip("\n"))
        proc.wait()
    return AuthorityNight(
        la=la, exit_code=proc.returncode, seconds=time.perf_counter() - started, log=log_path
    )


def nightly(
    settings: Settings,
    extract_date: date | None,
    las: tuple[str, ...] | None = None,
    *,
    full_refresh: bool = False,
    report: bool = True,
    parallel: int = 1,
    log: Callable[[str], None] = print,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[AuthorityNight], None] | None = None,
) -> tuple[list[AuthorityNight], PoolResult]:
    """One night of every authority (in CSC_REGION order; ``parallel`` at a time), then the
    pooled views. Returns the nights in the order of ``las``."""
    las = las or authorities(settings)
    unknown = [la for la in las if la not in settings.region_las]
    if unknown:
        raise RegionError(f"not in CSC_REGION: {', '.join(unknown)}")
    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    log_dir = settings.output / "region" / "logs"
    with tempfile.TemporaryDirectory(prefix="csc-region-") as tmp:

        def one(la: str) -> AuthorityNight:
            if on_start:
                on_start(la)
            run_json = Path(tmp) / f"{la}.json"
            args = ["nightly", "--json", str(run_json)]
            if extract_date:
                args += ["--date", extract_date.isoformat()]
            if full_refresh:
                args.append("--full-refresh")
            if not report:
                args.append("--no-report")
            night = run_authority(settings, la, args, log_dir)
            if run_json.exists():
                doc = json.loads(run_json.read_text(encoding="utf-8"))
                night.extract_date = doc.get("extract_date")
                night.published = bool(doc.get("published"))
                night.error = doc.get("error")
                night.stages = {
                    stage["name"]: round(stage["seconds"], 1) for stage in doc.get("stages", [])
                }
            elif night.exit_code != 0:
                night.error = f"exited {night.exit_code} before the run began (see {night.log})"
            if on_done:
                on_done(night)
            return night

        with ThreadPoolExecutor(max_workers=parallel) as pool_of_nights:
            results = list(pool_of_nights.map(one, las))
    return results, pool(settings, log=log)
