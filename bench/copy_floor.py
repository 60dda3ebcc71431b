"""What the server alone costs for the raw layer's lineage: the floor under any loader.

    .venv/bin/python bench/copy_floor.py --folder LANDING/trust/2022-04-05 [--reps 5]

#5 asks for two things that pull against each other: every raw row carries its batch id,
source file, line number and load time, and the loader comes within 1.5x of a plain COPY of
the same rows into an unindexed table. This script measures how close *any* loader could
come. No Python touches a row: each file's bytes go straight to the server's own CSV parser
(``COPY ... FROM STDIN (FORMAT csv, HEADER)``), and the lineage columns are filled by the
server from column defaults (session settings for batch, date and file, a sequence for the
line number, ``now()`` for the load time). Variants, each into freshly created tables of a
throw-away database, one transaction per folder, ``--reps`` times, medians:

* ``plain``: the delivered columns only, no index (#5's baseline);
* ``+batch``: and ``_batch_id``;
* ``+batch+line``: and ``_line_number`` (a sequence, as a server-side loader would need);
* ``+lineage``: the five lineage columns the raw tables have;
* ``+lineage+brin``: and the raw tables' BRIN index on ``_batch_id``.

The ratio of each to ``plain`` is the least a loader writing those columns can cost before it
checks a single value (docs/loading.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

from csc_warehouse.config import get_settings

LINEAGE = {
    "plain": [],
    "+batch": ["_batch_id bigint default current_setting('csc.batch')::bigint"],
    "+batch+line": [
        "_batch_id bigint default current_setting('csc.batch')::bigint",
        "_line_number int default nextval('floor_line')",
    ],
    "+lineage": [
        "_batch_id bigint default current_setting('csc.batch')::bigint",
        "_extract_date date default current_setting('csc.date')::date",
        "_source_file text default current_setting('csc.file')",
        "_line_number int default nextval('floor_line')",
        "_loaded_at timestamptz default now()",
    ],
}
LINEAGE["+lineage+brin"] = LINEAGE["+lineage"]
DATABASE = "csc_copy_floor"


def headers(folder: Path) -> dict[str, list[str]]:
    out = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            out[path.stem] = next(csv.reader(fh))
    return out


def create_tables(conn: psycopg.Connection, tables: dict[str, list[str]], variant: str) -> None:
    with conn.transaction():
        conn.execute("drop schema if exists floor cascade")
        conn.execute("create schema floor")
        conn.execute("create sequence floor.floor_line cache 1000")
        conn.execute("set search_path = floor")
        for table, columns in tables.items():
            defs = [f"{sql.Identifier(c).as_string(conn)} text" for c in columns]
            conn.execute(f"create table {table} ({', '.join(defs + LINEAGE[variant])})")
            if variant.endswith("+brin"):
                conn.execute(f"create index on {table} using brin (_batch_id)")


def load(conn: psycopg.Connection, folder: Path, tables: dict[str, list[str]], variant: str):
    started = time.perf_counter()
    with conn.transaction():
        conn.execute(
            "select set_config('csc.batch', '1', true), set_config('csc.date', %s, true)",
            [folder.name],
        )
        for table, columns in tables.items():
            if variant != "plain":
                conn.execute(
                    "select set_config('csc.file', %s, true), setval('floor.floor_line', 1)",
                    [f"{table}.csv"],
                )
            names = ", ".join(sql.Identifier(c).as_string(conn) for c in columns)
            with (
                conn.cursor().copy(
                    f"copy floor.{table} ({names}) from stdin (format csv, header true)"
                ) as copy,
                (folder / f"{table}.csv").open("rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, required=True, help="a trust snapshot folder")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    tables = headers(args.folder)
    if not tables:
        parser.error(f"no CSV files in {args.folder}")
    rows = sum(sum(1 for _ in (args.folder / f"{t}.csv").open("rb")) - 1 for t in tables)
    settings = get_settings()
    with psycopg.connect(settings.conninfo(), autocommit=True) as admin:
        admin.execute(f"drop database if exists {DATABASE} with (force)")
        admin.execute(f"create database {DATABASE}")
    try:
        with psycopg.connect(settings.conninfo(database=DATABASE), autocommit=True) as conn:
            times: dict[str, list[float]] = {v: [] for v in LINEAGE}
            for _ in range(args.reps):  # variants interleaved: the machine's noise spreads
                for variant in LINEAGE:
                    create_tables(conn, tables, variant)
                    times[variant].append(load(conn, args.folder, tables, variant))
    finally:
        with psycopg.connect(settings.conninfo(), autocommit=True) as admin:
            admin.execute(f"drop database if exists {DATABASE} with (force)")
    plain = statistics.median(times["plain"])
    result = {
        "folder": str(args.folder),
        "rows": rows,
        "reps": args.reps,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "median_s": {v: round(statistics.median(t), 3) for v, t in times.items()},
        "over_plain": {v: round(statistics.median(t) / plain, 2) for v, t in times.items()},
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
