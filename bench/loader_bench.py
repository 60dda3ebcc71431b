"""Loader speed against a plain COPY and pandas ``to_sql``, on the same files, in one run.

    .venv/bin/python bench/loader_bench.py --rows 600000 [--reps 5] [--pandas-reps 1]

The files are a trust snapshot (``trust/2022-04-05``, every table of the contract) written by
the synthetic generator at the scale that gives about ``--rows`` data rows (scale 1 is about
268 000 rows); generated once into ``--cache`` and reused (same seed and scale: the same
bytes). ``--landing DIR`` uses an existing landing folder instead.

Three methods, on a throw-away database, each into tables that already exist (steady state,
not the first night's DDL), truncated before every repetition:

* ``loader``: ``load_night`` - manifest, checksum/UTF-8 scan, header check, parse, every row
  check, duplicate keys, lineage, COPY, quarantine, reconciliation, ledger, commit, ANALYZE;
* ``copy``: what a hand-written loader without checks does - ``csv.reader`` rows of the same
  files fed to ``cursor.copy().write_row`` into unindexed text tables, one transaction;
* ``pandas``: ``read_csv(dtype=str)`` + ``DataFrame.to_sql`` (SQLAlchemy, psycopg 3).

Loader and copy run back to back, alternating, ``--reps`` times (the machine is shared: only
ratios measured side by side mean anything); the medians and the median of the per-repetition
ratios are printed, with the machine. ``--profile FILE`` writes a cProfile of one more loader
run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

from csc_warehouse.bench import create_plain_copy_tables
from csc_warehouse.config import Settings, get_settings
from csc_warehouse.contracts import load_contract

NIGHT = date(2022, 4, 5)
ROWS_PER_SCALE = 270_000  # trust 2022-04-05, seed 1: 267 717 rows at scale 1, 623 121 at 2.3
SYSTEM = "trust"


def machine() -> dict:
    info = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["mem_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def ensure_files(args) -> Path:
    """The landing folder holding trust/2022-04-05 (generated once, then reused)."""
    if args.landing:
        landing = Path(args.landing)
    else:
        scale = round(max(args.rows / ROWS_PER_SCALE, 0.01), 2)
        landing = Path(args.cache) / f"seed{args.seed}_scale{scale}"
        if not (landing / SYSTEM / NIGHT.isoformat() / "_manifest.json").is_file():
            from csc_warehouse.generate import GenerateOptions, generate

            print(f"generating trust {NIGHT} at scale {scale} into {landing} ...", flush=True)
            t0 = time.perf_counter()
            generate(
                GenerateOptions(
                    out=landing,
                    seed=args.seed,
                    scale=scale,
                    start=NIGHT,
                    end=NIGHT,
                    systems=(SYSTEM,),
                )
            )
            print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
    folder = landing / SYSTEM / NIGHT.isoformat()
    if not (folder / "_manifest.json").is_file():
        sys.exit(f"no {folder}/_manifest.json")
    return landing


def scratch_database(base: Settings) -> Settings:
    name = f"csc_loader_bench_{os.getpid()}"
    with psycopg.connect(base.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return get_settings({**base.env, "CSC_PG_DATABASE": name})


def drop_database(base: Settings, settings: Settings) -> None:
    with psycopg.connect(base.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(settings.pg_database)
            )
        )


# ---- the three methods --------------------------------------------------------------------------


def reset_loader(conn) -> None:
    tables = [sql.Identifier("raw_trust", t) for t in load_contract(SYSTEM).tables] + [
        sql.Identifier("ops", t) for t in ("quarantine", "load_ledger", "load_batches")
    ]
    conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(tables)))
    conn.execute("CHECKPOINT")


def run_loader(settings: Settings, landing: Path, conn) -> tuple[float, int]:
    from csc_warehouse.load import load_night

    t0 = time.perf_counter()
    night = load_night(settings, landing, SYSTEM, NIGHT, conn=conn)
    seconds = time.perf_counter() - t0
    if night.status != "loaded":
        sys.exit(f"loader: {night.summary_line()}")
    return seconds, night.rows_loaded + night.rows_quarantined


def create_plain(conn) -> None:
    create_plain_copy_tables(conn, load_contract(SYSTEM))


def reset_plain(conn) -> None:
    contract = load_contract(SYSTEM)
    conn.execute(
        sql.SQL("TRUNCATE {}").format(
            sql.SQL(", ").join(sql.Identifier("plain_copy", t) for t in contract.tables)
        )
    )
    conn.execute("CHECKPOINT")


def run_copy(landing: Path, conn) -> tuple[float, int]:
    """csv.reader rows -> cursor.copy().write_row, unindexed text tables, one transaction."""
    contract = load_contract(SYSTEM)
    folder = landing / SYSTEM / NIGHT.isoformat()
    rows = 0
    t0 = time.perf_counter()
    with conn.transaction():
        for table in contract.tables.values():
            with open(folder / table.file, encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier("plain_copy", table.name),
                    sql.SQL(", ").join(sql.Identifier(table.column(h).db_name) for h in header),
                )
                with conn.cursor() as cur, cur.copy(stmt) as cp:
                    write_row = cp.write_row
                    for row in reader:
                        write_row(row)
                        rows += 1
    return time.perf_counter() - t0, rows


def run_pandas(settings: Settings, landing: Path) -> tuple[float, int]:
    import pandas as pd
    from sqlalchemy import create_engine

    contract = load_contract(SYSTEM)
    folder = landing / SYSTEM / NIGHT.isoformat()
    engine = create_engine(settings.url(driver="postgresql+psycopg"))
    rows = 0
    t0 = time.perf_counter()
    with engine.begin() as connection:
        for table in contract.tables.values():
            frame = pd.read_csv(
                folder / table.file, dtype=str, encoding="utf-8-sig", keep_default_na=False
            )
            frame.to_sql(
                table.name,
                connection,
                schema="pandas_copy",
                if_exists="append",
                index=False,
                chunksize=10_000,
            )
            rows += len(frame)
    seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds, rows


def reset_pandas(conn) -> None:
    conn.execute("DROP SCHEMA IF EXISTS pandas_copy CASCADE")
    conn.execute("CREATE SCHEMA pandas_copy")


# ---- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=600_000, help="about this many rows (default)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--reps", type=int, default=5, help="loader/copy repetitions (default 5)")
    p.add_argument("--pandas-reps", type=int, default=1, help="pandas repetitions (0: skip)")
    p.add_argument("--landing", help="an existing landing folder with trust/2022-04-05")
    p.add_argument("--cache", default="/tmp/csc_loader_bench", help="where generated files go")
    p.add_argument("--profile", help="write a cProfile of one more loader run to this file")
    p.add_argument("--json", help="also write the results as JSON to this file")
    args = p.parse_args(argv)

    landing = ensure_files(args)
    base = get_settings()
    settings = scratch_database(base)
    results: dict = {"machine": machine(), "folder": f"{SYSTEM}/{NIGHT}"}
    loader_s: list[float] = []
    copy_s: list[float] = []
    pandas_s: list[float] = []
    ratios: list[float] = []
    try:
        with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
            # warm-up (not timed): the loader creates its tables, the page cache holds the files
            run_loader(settings, landing, conn)
            create_plain(conn)
            _, rows = run_copy(landing, conn)
            results["rows"] = rows
            results["bytes"] = sum(
                f.stat().st_size for f in (landing / SYSTEM / NIGHT.isoformat()).iterdir()
            )
            print(f"{rows:,} rows, {results['bytes'] / 1e6:.1f} MB, {args.reps} repetitions")
            for rep in range(args.reps):
                # alternate which goes first, so neither always gets the quieter moment
                order = ("loader", "copy") if rep % 2 == 0 else ("copy", "loader")
                got = {}
                for which in order:
                    if which == "loader":
                        reset_loader(conn)
                        got[which] = run_loader(settings, landing, conn)[0]
                    else:
                        reset_plain(conn)
                        got[which] = run_copy(landing, conn)[0]
                loader_s.append(got["loader"])
                copy_s.append(got["copy"])
                ratios.append(got["loader"] / got["copy"])
                print(
                    f"  rep {rep + 1}: loader {got['loader']:.2f} s, copy {got['copy']:.2f} s, "
                    f"loader/copy {ratios[-1]:.2f}",
                    flush=True,
                )
            for rep in range(args.pandas_reps):
                reset_pandas(conn)
                reset_loader(conn)
                t_loader = run_loader(settings, landing, conn)[0]
                t_pandas = run_pandas(settings, landing)[0]
                pandas_s.append(t_pandas)
                loader_s.append(t_loader)
                print(
                    f"  pandas {rep + 1}: {t_pandas:.2f} s (loader just before: {t_loader:.2f} s)",
                    flush=True,
                )
            if args.profile:
                import cProfile

                reset_loader(conn)
                prof = cProfile.Profile()
                prof.enable()
                run_loader(settings, landing, conn)
                prof.disable()
                prof.dump_stats(args.profile)
                print(f"profile written to {args.profile}")
    finally:
        drop_database(base, settings)

    med_loader = statistics.median(loader_s)
    med_copy = statistics.median(copy_s)
    rows = results["rows"]
    results.update(
        loader_s=round(med_loader, 3),
        copy_s=round(med_copy, 3),
        loader_over_copy=round(statistics.median(ratios), 2),
        loader_rows_per_s=round(rows / med_loader),
        copy_rows_per_s=round(rows / med_copy),
    )
    if pandas_s:
        med_pandas = statistics.median(pandas_s)
        results.update(
            pandas_s=round(med_pandas, 3),
            pandas_over_loader=round(med_pandas / med_loader, 1),
            pandas_rows_per_s=round(rows / med_pandas),
        )
    m = results["machine"]
    print()
    print(
        f"machine: {m['cpu']}, {m['cores']} cores, {m.get('mem_gib')} GiB, Python {m['python']}, "
        f"load average at start {m['load_avg']}"
    )
    print(f"{'method':<8} {'median s':>9} {'rows/s':>11}")
    print(f"{'loader':<8} {med_loader:>9.2f} {rows / med_loader:>11,.0f}")
    print(f"{'copy':<8} {med_copy:>9.2f} {rows / med_copy:>11,.0f}")
    if pandas_s:
        print(f"{'pandas':<8} {results['pandas_s']:>9.2f} {results['pandas_rows_per_s']:>11,}")
    print(f"loader / plain COPY = {results['loader_over_copy']:.2f} (target <= 1.5)")
    if pandas_s:
        print(f"pandas / loader     = {results['pandas_over_loader']:.1f} (target >= 5)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
