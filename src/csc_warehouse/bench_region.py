"""The regional bench (``csc-warehouse bench --authorities N``): N authorities' nights.

#12's scale-10 target is "ten authorities' worth": ten authorities of scale 1 in one warehouse
(``docs/region.md``: a database each, pooled BI views with ``la_code``). What a regional night
costs is N authorities' ordinary nights plus the pooled views, so that is what is timed:

1. one authority's history is generated and backfilled (its first build published), as the
   single-authority bench does;
2. the other N-1 authorities are copies of it (``CREATE DATABASE ... TEMPLATE``, tonight's
   folders copied beside): the same volume each, without N backfills of an hour each. Their
   keys are the first one's, so the copies' published marts stay consistent;
3. one ordinary night of the region is timed end to end (``region.nightly``: each authority
   in its own process, ``parallel`` at a time, then the pooled views), with each authority's
   stages and the peak memory of the processes and of the PostgreSQL server;
4. with ``parallel2``, the next night again with that many authorities at a time.

The data of the copies is the same as the first authority's, so the night's cost is N times
one authority's on the same volume; the machine's caches are not shared between the copies
(separate databases, separate tables).
"""

from __future__ import annotations

import io
import resource
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from csc_warehouse import region
from csc_warehouse.bench import (
    COUNCIL_FIRST_DATE,
    MemorySampler,
    _maxrss_mib,
    generate,
    machine_info,
    write_json_and_table,
)
from csc_warehouse.config import get_settings

FIRST_CODE = 801  # bench authorities: 801, 802, ... (no real authority's number)


@dataclass
class RegionBenchResult:
    authorities: int
    scale: float
    seed: int
    start: str
    night: str
    machine: dict[str, Any]
    stages: dict[str, Any] = field(default_factory=dict)
    nights: dict[str, Any] = field(default_factory=dict)
    peak_memory_mib: dict[str, Any] = field(default_factory=dict)
    finished_at: str = ""


def _copy_night(settings, first: str, others: list[str], night: date) -> None:
    source = settings.for_la(first).landing
    for la in others:
        for system_dir in source.iterdir():
            folder = system_dir / night.isoformat()
            if system_dir.is_dir() and folder.is_dir():
                target = settings.for_la(la).landing / system_dir.name / night.isoformat()
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(folder, target)


def _timed_night(settings, night: date, parallel: int, say) -> dict[str, Any]:
    say(f"the region's night {night}: {len(settings.region_las)} authorities, {parallel} at a time")
    with MemorySampler() as mem:
        started = time.perf_counter()
        nights, pooled = region.nightly(settings, night, parallel=parallel)
        seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 1),
        "parallel": parallel,
        "published": sum(n.published for n in nights),
        "pool_seconds": round(pooled.seconds, 2),
        "pooled_views": pooled.views,
        "authorities": {
            n.la: {"seconds": round(n.seconds, 1), "published": n.published, "stages": n.stages}
            for n in nights
        },
        "peak_memory_mib": mem.result(),
    }


def run_region_bench(
    authorities: int,
    scale: float,
    *,
    seed: int = 42,
    start: date = date(2015, 4, 1),
    night: date = date(2025, 6, 30),
    parallel: int = 1,
    parallel2: int | None = None,
    keep: bool = False,
    say=print,
) -> RegionBenchResult:
    if authorities < 2:
        raise ValueError("a region has at least two authorities")
    base = get_settings()
    codes = [str(FIRST_CODE + i) for i in range(authorities)]
    tag = f"region_{authorities}x{str(scale).replace('.', '_')}"
    work = base.state_dir / "bench" / tag
    shutil.rmtree(work, ignore_errors=True)
    go_live = start > COUNCIL_FIRST_DATE
    key = secrets.token_hex(32)
    env = {
        **base.env,
        "CSC_REGION": ",".join(codes),
        "CSC_REGION_DATABASE": "csc_bench_region",
        "CSC_LANDING": str(work / "landing"),
        "CSC_OUTPUT": str(work / "output"),
        # the copies share the first authority's key (its published marts are theirs)
        **{f"CSC_PSEUDONYM_SECRET_{la}": key for la in codes},
        **({"CSC_LOAD_COUNCIL_FIRST": start.isoformat()} if go_live else {}),
    }
    settings = get_settings(env)
    result = RegionBenchResult(
        authorities, scale, seed, start.isoformat(), night.isoformat(), machine_info()
    )
    with psycopg.connect(base.conninfo("postgres"), autocommit=True) as conn:
        for name in [settings.region_database, *(settings.la_database(la) for la in codes)]:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
    first, others = codes[0], codes[1:]
    alone = get_settings({**env, "CSC_REGION": first})
    region.prepare(alone, log=lambda m: None)

    say(f"authority {first}: history {start} .. {night - timedelta(days=1)} at scale {scale}")
    extra = ("--council-full-first",) if go_live else ()
    landing = settings.for_la(first).landing
    t = generate(landing, seed, scale, start, night - timedelta(days=1), "--la-code", first, *extra)
    result.stages["generate_history"] = {"seconds": round(t, 1), "authority": first}
    say(f"authority {first}: backfill (load everything, first build, publish)")
    with MemorySampler() as backfill_mem:
        backfill = region.run_authority(
            settings,
            first,
            ["nightly", "--date", (night - timedelta(days=1)).isoformat(), "--no-report"],
            work / "logs" / "backfill",
        )
    if backfill.exit_code != 0:
        raise RuntimeError(f"the backfill failed: see {backfill.log}")
    result.stages["backfill"] = {"seconds": round(backfill.seconds, 1), "authority": first}

    say(f"the other {len(others)} authorities: copies of {first}")
    started = time.perf_counter()
    with psycopg.connect(base.conninfo("postgres"), autocommit=True) as conn:
        for la in others:
            conn.execute(
                sql.SQL("create database {} template {} strategy file_copy").format(
                    sql.Identifier(settings.la_database(la)),
                    sql.Identifier(settings.la_database(first)),
                )
            )
    region.prepare(settings, log=lambda m: None)
    result.stages["copy_authorities"] = {"seconds": round(time.perf_counter() - started, 1)}

    nights = [(night, parallel)] + ([(night + timedelta(days=1), parallel2)] if parallel2 else [])
    for day, at_a_time in nights:
        t = generate(landing, seed, scale, day, day, "--la-code", first)
        _copy_night(settings, first, others, day)
        result.stages[f"generate_night_{day}"] = {"seconds": round(t, 1)}
        result.nights[day.isoformat()] = _timed_night(settings, day, at_a_time, say)
    result.peak_memory_mib = {
        "backfill": backfill_mem.result(),
        "bench_process": round(_maxrss_mib(resource.RUSAGE_SELF), 1),
    }
    result.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    if not keep:
        shutil.rmtree(work / "landing", ignore_errors=True)
    return result


def markdown_table(result: RegionBenchResult) -> str:
    m = result.machine
    buf = io.StringIO()
    buf.write(
        f"### {result.authorities} authorities of scale {result.scale} (seed {result.seed}, "
        f"history {result.start} .. {result.night}), {result.finished_at}\n\n"
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, {m['os']}\n\n"
    )
    buf.write("| stage | seconds |\n| --- | ---: |\n")
    for name, stage in result.stages.items():
        buf.write(f"| {name} | {stage['seconds']} |\n")
    for day, n in result.nights.items():
        buf.write(
            f"\n**Night {day}** ({n['parallel']} at a time): {n['seconds']} s end to end, "
            f"{n['published']} of {result.authorities} published, pooled views "
            f"{n['pool_seconds']} s; peak memory (MiB) {n['peak_memory_mib']}\n\n"
        )
        stage_names = list(next(iter(n["authorities"].values()))["stages"])
        buf.write("| authority | seconds | " + " | ".join(stage_names) + " |\n")
        buf.write("| --- | ---: |" + " ---: |" * len(stage_names) + "\n")
        for la, a in n["authorities"].items():
            cells = " | ".join(str(a["stages"].get(s, "")) for s in stage_names)
            buf.write(f"| {la} | {a['seconds']} | {cells} |\n")
    buf.write(f"\nPeak memory (MiB): {result.peak_memory_mib}\n")
    return buf.getvalue()


def write_results(result: RegionBenchResult, root: Path) -> tuple[Path, Path]:
    tag = f"{result.authorities}x{str(result.scale).replace('.', '_')}"
    return write_json_and_table(
        root, f"bench_region_{tag}", asdict(result), f"region={tag}", markdown_table(result)
    )
