"""Benchmarks: where the nightly time goes, at a chosen scale, measured on this machine.

On a fresh database it generates a history, backfills it (the archive load and first build),
then times one more ordinary night end to end, stage by stage, with rows and peak memory.
Side-by-side ratios are measured in the same run, because absolute times on a shared machine
are noisy:

* the loader against a plain ``COPY`` of the same files into unindexed text tables, and
  against pandas ``to_sql``;
* an ordinary incremental ``dbt build`` against ``dbt build --full-refresh`` of the same data.

Results go to ``bench/results/bench_scale_<S>.json`` and into the table of
``docs/benchmarks.md`` (between the ``BENCH`` markers), with the machine they came from.
"""

from __future__ import annotations

import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings, get_settings
from csc_warehouse.load.loader import COUNCIL_FIRST_DATE
from csc_warehouse.roles import ensure_roles


@dataclass
class BenchResult:
    scale: float
    seed: int
    start: str
    night: str
    machine: dict[str, Any]
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    ratios: dict[str, Any] = field(default_factory=dict)
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)
    peak_memory_mib: dict[str, float] = field(default_factory=dict)
    finished_at: str = ""


def machine_info() -> dict[str, Any]:
    mem_gib = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal"):
                    mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


class MemorySampler:
    """Samples, while a stage runs, what it holds: this process with its children (dbt runs
    as one), and the PostgreSQL server as the sum of its processes' proportional set sizes
    (PSS: the shared buffers counted once, not once per backend as a sum of RSS would)."""

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.peak_python = 0.0
        self.peak_postgres = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _mib(n: int) -> float:
        return n / 1024 / 1024

    def _python(self) -> float:
        import psutil

        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return self._mib(total)

    def _postgres(self) -> float:
        import psutil

        total = 0
        for proc in psutil.process_iter(["name"]):
            try:
                if proc.info["name"] and proc.info["name"].startswith("postgres"):
                    info = proc.memory_full_info()
                    total += getattr(info, "pss", info.rss)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return self._mib(total)

    def __enter__(self):
        def loop():
            while not self._stop.is_set():
                self.peak_python = max(self.peak_python, self._python())
                self.peak_postgres = max(self.peak_postgres, self._postgres())
                self._stop.wait(self.interval)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join()

    def result(self) -> dict[str, float]:
        return {"python": round(self.peak_python, 1), "postgres_pss": round(self.peak_postgres, 1)}


def _maxrss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def fresh_database(base: Settings, name: str) -> Settings:
    with psycopg.connect(base.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    with psycopg.connect(base.conninfo(name), autocommit=True) as conn:
        conn.execute("create extension if not exists pgcrypto")
    settings = get_settings({**base.env, "CSC_PG_DATABASE": name})
    ensure_roles(settings)  # the loader connects as csc_loader
    return settings


def generate(landing: Path, seed: int, scale: float, start: date, end: date, *extra: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "csc_warehouse",
            "generate",
            "--out",
            str(landing),
            "--seed",
            str(seed),
            "--scale",
            str(scale),
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
            *extra,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def _folder_rows(folder: Path) -> int:
    manifest = json.loads((folder / "_manifest.json").read_text())
    return sum(int(f["rows"]) for f in manifest["files"])


def create_plain_copy_tables(conn, contract, *, unlogged: bool = False) -> None:
    """The plain-COPY baseline's tables (here and in bench/loader_bench.py): schema
    ``plain_copy``, one unindexed table of text columns per contract table, its version-1
    columns."""
    conn.execute("create schema if not exists plain_copy")
    kind = sql.SQL("create unlogged table" if unlogged else "create table")
    for table in contract.tables.values():
        cols = [c.db_name for c in table.columns_for("1")]
        conn.execute(
            sql.SQL("{} if not exists {} ({})").format(
                kind,
                sql.Identifier("plain_copy", table.name),
                sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in cols),
            )
        )


def loader_vs_copy(
    settings: Settings, folder: Path, system: str, night: date, repeats: int = 3
) -> dict:
    """Time the loader, a plain COPY and pandas to_sql on the same CSV folder, ``repeats``
    times each, taking the medians: one run of each on a shared 2-core machine varied by 50-70 %
    (the loader 0.91 / 1.16 / 1.62 s in three scale-1 benches of 2026-12-07). Each run starts
    from the steady state of any night but the first: the loader's ops and raw tables, and the
    plain COPY's unindexed text tables, created (or emptied) beforehand, untimed."""

    from csc_warehouse.contracts import load_contract
    from csc_warehouse.load import ddl, loader

    contract = load_contract(system)
    rows = _folder_rows(folder)
    landing = folder.parent.parent
    fmt = contract.format
    times: dict[str, list[float]] = {"loader": [], "copy": [], "pandas": []}
    scratch = settings
    for _ in range(repeats):
        # 1. the loader, into a scratch database of its own, made again for each run
        scratch = fresh_database(settings, settings.pg_database + "_ratio")
        conn = loader.connect(scratch)
        try:
            ddl.ensure_ops(conn)
            ddl.ensure_raw(conn, contract)
        finally:
            conn.close()
        started = time.perf_counter()
        loader.load_night(scratch, landing, system, night)
        times["loader"].append(time.perf_counter() - started)

        # 2. plain COPY of the same files into unindexed text tables (created untimed)
        with psycopg.connect(scratch.conninfo(), autocommit=True) as conn:
            create_plain_copy_tables(conn, contract, unlogged=True)
        started = time.perf_counter()
        with psycopg.connect(scratch.conninfo(), autocommit=True) as conn:
            for table in contract.tables.values():
                ident = sql.Identifier("plain_copy", table.name)
                copy_sql = sql.SQL(
                    "copy {} from stdin with (format csv, header true, encoding 'UTF8')"
                ).format(ident)
                with (
                    conn.cursor() as cur,
                    cur.copy(copy_sql) as copy,
                    open(folder / table.file, "rb") as fh,
                ):
                    head = fh.read(3)
                    if head != b"\xef\xbb\xbf":
                        copy.write(head)
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk)
        times["copy"].append(time.perf_counter() - started)

        # 3. pandas read_csv + to_sql (the common hand-written alternative)
        import pandas as pd
        from sqlalchemy import create_engine

        engine = create_engine(scratch.url(driver="postgresql+psycopg"))
        started = time.perf_counter()
        for table in contract.tables.values():
            frame = pd.read_csv(
                folder / table.file,
                dtype=str,
                encoding=fmt.encoding or "utf-8",
                keep_default_na=False,
            )
            frame.to_sql(
                table.name,
                engine,
                schema="public",
                if_exists="replace",
                index=False,
                chunksize=10_000,
            )
        times["pandas"].append(time.perf_counter() - started)
        engine.dispose()
    with psycopg.connect(settings.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(scratch.pg_database)
            )
        )
    t_loader, t_copy, t_pandas = (statistics.median(times[k]) for k in ("loader", "copy", "pandas"))
    return {
        "folder": f"{system}/{night}",
        "rows": rows,
        "repeats": repeats,
        "loader_s": round(t_loader, 2),
        "plain_copy_s": round(t_copy, 2),
        "pandas_to_sql_s": round(t_pandas, 2),
        "loader_over_copy": round(t_loader / t_copy, 2) if t_copy else None,
        "pandas_over_loader": round(t_pandas / t_loader, 2) if t_loader else None,
        "runs_s": {k: [round(t, 2) for t in v] for k, v in times.items()},
    }


def incremental_vs_full(
    settings: Settings, night: date, ordinary, repeats: int = 1
) -> dict[str, Any]:
    """The ordinary night's dbt build (incremental marts started from the published ones)
    against ``dbt build --full-refresh`` of the same data into empty build schemas; then the
    full refresh's tables are compared with what the night published (row counts and
    checksums): an incremental night must give exactly what a rebuild gives.

    Before the rebuild, the same incremental build once more with nothing new loaded (a
    "quiet night"): what a night costs whatever its changes, dbt's fixed cost (parsing, a
    node's statements, the tests) and the models that are still rebuilt in full. The
    ordinary night's cost above it is what its changes cost.

    The quiet night and the full rebuild are each timed ``repeats`` times, and the medians
    are reported (the night itself happens once)."""
    from csc_warehouse import publish
    from csc_warehouse.orchestration import pipeline
    from csc_warehouse.retention import apply_retention

    build = next((s for s in ordinary.stages if s.name == "dbt build"), None)
    if build is None or not ordinary.published:
        return {"skipped": "the ordinary night did not publish"}
    published = {live: publish.schema_fingerprint(live, settings) for _, live in publish.PAIRS}

    def timed_builds(full_refresh: bool) -> list[float]:
        runs = []
        for _ in range(max(repeats, 1)):
            publish.prepare_build(settings)
            started = time.perf_counter()
            pipeline.dbt_build(settings, full_refresh=full_refresh, as_at=night)
            runs.append(time.perf_counter() - started)
        return runs

    quiet_runs = timed_builds(full_refresh=False)
    full_runs = timed_builds(full_refresh=True)  # the last one's tables are compared below
    t_quiet, t_full = statistics.median(quiet_runs), statistics.median(full_runs)
    apply_retention(publish.BUILD_SCHEMA, night, settings=settings)
    differ = []
    for build_schema, live in publish.PAIRS:
        rebuilt = publish.schema_fingerprint(build_schema, settings)
        names = set(rebuilt) | set(published[live])
        differ += [f"{live}.{t}" for t in sorted(names) if rebuilt.get(t) != published[live].get(t)]
    publish.prepare_build(settings)  # empty again: nothing half-used is left
    seeded = (
        [s.strip() for s in build.detail.split(":", 1)[1].split(",")] if ":" in build.detail else []
    )
    return {
        "incremental_s": round(build.seconds, 1),
        "full_refresh_s": round(t_full, 1),
        "ratio": round(build.seconds / t_full, 2) if t_full else None,
        "quiet_night_s": round(t_quiet, 1),
        "quiet_ratio": round(t_quiet / t_full, 2) if t_full else None,
        "runs_s": {
            "quiet_night": [round(t, 1) for t in quiet_runs],
            "full_refresh": [round(t, 1) for t in full_runs],
        },
        "incremental_marts": seeded,
        "identical": not differ,
        "differing_tables": differ,
    }


def statutory_returns(settings: Settings, night: date, out: Path) -> dict[str, dict[str, Any]]:
    """Each return built from the published mart as an analyst would for the last full year
    before ``night`` (Annex A: the 12 months to the night before), validated by the DfE's
    rules: time, counts, and the errors that are not documented source gaps."""
    from csc_warehouse.returns import build

    year = build.collection_year(night) - 1
    asks = {
        "cin-census": {"year": year},
        "ssda903": {"year": year},
        "annex-a": {"as_at": night - timedelta(days=1), "out": out / "annex_a.xlsx"},
        "csww": {"year": build.last_30_september(night)},
    }
    results: dict[str, dict[str, Any]] = {}
    for name, kwargs in asks.items():
        kwargs.setdefault("out", out / name)
        started = time.perf_counter()
        try:
            r = build.build_return(name, settings, **kwargs)
        except Exception as exc:  # one return that cannot be built must not end the bench
            results[name] = {"seconds": round(time.perf_counter() - started, 1), "error": str(exc)}
            continue
        entry: dict[str, Any] = {"seconds": round(time.perf_counter() - started, 1)}
        for key in ("year", "counts", "unexpected_errors", "false_positives", "synthetic_data"):
            if key in r:
                entry[key] = r[key]
        if "errors" in r:
            entry["errors"] = r["errors"]
            entry["known_gaps"] = sum(r.get("known_gaps", {}).values())
            entry["warnings"] = r.get("warnings", 0)
            entry["ok"] = r.get("ok")
        results[name] = entry
    return results


def run_bench(
    scale: float,
    *,
    seed: int = 42,
    start: date = date(2015, 4, 1),
    night: date = date(2025, 6, 30),
    keep: bool = False,
    repeats: int = 3,
    say=print,
) -> BenchResult:
    from csc_warehouse.load import loader
    from csc_warehouse.orchestration import pipeline

    base = get_settings()
    tag = str(scale).replace(".", "_")
    # a history starting after the council's first extract (2015-04-01) begins with a full
    # council folder, as at a go-live, and the loader is told so
    go_live = start > COUNCIL_FIRST_DATE
    gen_extra = ("--council-full-first",) if go_live else ()
    start_env = {"CSC_LOAD_COUNCIL_FIRST": start.isoformat()} if go_live else {}
    settings = fresh_database(base, f"csc_bench_{tag}")
    work = base.state_dir / "bench" / f"scale_{tag}"
    shutil.rmtree(work, ignore_errors=True)
    landing = work / "landing"
    env = {
        **settings.env,
        "CSC_LANDING": str(landing),
        "CSC_OUTPUT": str(work / "output"),
        "CSC_PG_DATABASE": settings.pg_database,
        **start_env,
    }
    settings = get_settings(env)
    os.environ.update(
        {
            "CSC_LANDING": str(landing),
            "CSC_OUTPUT": str(work / "output"),
            "CSC_PG_DATABASE": settings.pg_database,
            **start_env,
        }
    )
    result = BenchResult(scale, seed, start.isoformat(), night.isoformat(), machine_info())

    say(f"generating history {start} .. {night - timedelta(days=1)} at scale {scale}")
    t = generate(landing, seed, scale, start, night - timedelta(days=1), *gen_extra)
    files = sum(1 for _ in landing.rglob("*") if _.is_file())
    result.stages["generate_history"] = {"seconds": round(t, 1), "files": files}

    generator_peak = _maxrss_mib(resource.RUSAGE_CHILDREN)  # the only child so far

    say("backfill: loading every archived folder")
    with MemorySampler() as backfill_mem:
        started = time.perf_counter()
        summary = loader.load_pending(settings, landing)
        t_load = time.perf_counter() - started
        rows = sum(n.rows_loaded for n in summary.nights)
        result.stages["backfill_load"] = {
            "seconds": round(t_load, 1),
            "rows": rows,
            "folders": len(summary.nights),
        }
        say("backfill: first build, gates and publish")
        first = pipeline.run_night(night - timedelta(days=1), settings, report=False)
        result.stages["backfill_build"] = {
            "seconds": round(first.seconds, 1),
            "ok": first.error is None,
            "stages": {s.name: round(s.seconds, 1) for s in first.stages},
        }

    say(f"one ordinary night: {night}")
    # "tonight" continues the same history (from the world the history run saved): only the
    # one night is written
    t_gen_night = generate(landing, seed, scale, night, night)
    with MemorySampler() as night_mem:
        ordinary = pipeline.run_night(night, settings, report=True)
    result.stages["generate_night"] = {"seconds": round(t_gen_night, 1)}
    result.stages["ordinary_night"] = {
        "seconds": round(ordinary.seconds, 1),
        "ok": ordinary.error is None,
        "error": (ordinary.error or "")[:500],
        "stages": {
            s.name: {"seconds": round(s.seconds, 1), "rows": s.rows} for s in ordinary.stages
        },
    }

    if ordinary.published:
        say("statutory returns from the published mart (the last full year), validated")
        result.returns = statutory_returns(settings, night, work / "returns")

    say("ratio: tonight's incremental dbt build vs --full-refresh of the same data")
    result.ratios["dbt_incremental_vs_full"] = incremental_vs_full(
        settings, night, ordinary, repeats
    )

    say("ratio: loader vs plain COPY vs pandas to_sql")
    trust_last = landing / "trust" / "2022-04-05"
    if trust_last.is_dir():
        result.ratios["loader_vs_copy"] = loader_vs_copy(
            settings, trust_last, "trust", date(2022, 4, 5), repeats
        )
    result.peak_memory_mib = {
        # the ordinary night is what a council's server carries every night
        "ordinary_night": night_mem.result(),
        "backfill": backfill_mem.result(),
        "generator": round(generator_peak, 1),
        # this process over the whole bench, the loader comparisons' pandas included
        "bench_process": round(_maxrss_mib(resource.RUSAGE_SELF), 1),
    }
    result.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    if not keep:
        shutil.rmtree(landing, ignore_errors=True)
        for beside in work.glob(f"{landing.name}.*"):  # the generator's stamp and saved world
            beside.unlink()
    return result


def write_results(result: BenchResult, root: Path) -> tuple[Path, Path]:
    tag = str(result.scale).replace(".", "_")
    return write_json_and_table(
        root, f"bench_scale_{tag}", asdict(result), f"scale={result.scale}", markdown_table(result)
    )


def write_json_and_table(
    root: Path, name: str, doc_json: dict, marker: str, table: str
) -> tuple[Path, Path]:
    """``bench/results/<name>.json``, and ``table`` into docs/benchmarks.md between the
    ``BENCH <marker>`` comments (replacing the previous table of the same marker)."""
    out_dir = root / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{name}.json"
    json_path.write_text(json.dumps(doc_json, indent=2) + "\n")
    doc = root / "docs" / "benchmarks.md"
    begin, end = f"<!-- BENCH {marker} -->", f"<!-- /BENCH {marker} -->"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n\n"
    block = f"{begin}\n{table}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)
    return json_path, doc


def markdown_table(result: BenchResult) -> str:
    m = result.machine
    buf = io.StringIO()
    buf.write(
        f"### Scale {result.scale} (seed {result.seed}, history {result.start} .. "
        f"{result.night}), {result.finished_at}\n\n"
    )
    buf.write(
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, {m['os']}\n\n"
    )
    buf.write("| stage | seconds | rows / detail |\n| --- | ---: | --- |\n")
    for name, stage in result.stages.items():
        detail = {k: v for k, v in stage.items() if k not in ("seconds", "stages")}
        buf.write(f"| {name} | {stage.get('seconds')} | {detail or ''} |\n")
        for sub, value in (stage.get("stages") or {}).items():
            secs = value["seconds"] if isinstance(value, dict) else value
            rows = value.get("rows") if isinstance(value, dict) else None
            buf.write(f"| &nbsp;&nbsp;{sub} | {secs} | {rows if rows is not None else ''} |\n")
    buf.write("\n| ratio | value |\n| --- | --- |\n")
    for name, value in result.ratios.items():
        buf.write(f"| {name} | {value} |\n")
    if result.returns:
        buf.write("\n| return | seconds | counts | errors not source gaps |\n")
        buf.write("| --- | ---: | --- | --- |\n")
        for name, r in result.returns.items():
            errs = r.get("error") or r.get("unexpected_errors", "-")
            buf.write(f"| {name} | {r['seconds']} | {r.get('counts', '')} | {errs or 'none'} |\n")
    buf.write(f"\nPeak memory (MiB): {result.peak_memory_mib}\n")
    return buf.getvalue()
