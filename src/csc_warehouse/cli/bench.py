"""``csc-warehouse bench``: time the nightly run at a scale, stage by stage."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
On a fresh database (csc_bench_<scale>): generate a history at the given scale, backfill it,
then time one more ordinary night end to end, stage by stage (load, raw gates, dbt build,
mart gates + publish, report), with rows and peak memory. Also measures, in the same run,
the loader against a plain COPY and pandas to_sql, and tonight's incremental dbt build
against the same build with nothing new loaded (a quiet night: what any night costs) and a
full refresh of the same data (and checks that both give identical tables). The statutory
returns of the last full year are built from the published mart, timed and validated.
Writes bench/results/bench_scale_<S>.json and the table in docs/benchmarks.md.

A history that starts after 2015-04-01 (--start) begins with a full council folder, as at a
go-live: short histories make quick runs.

  csc-warehouse bench --scale 1          # `make bench SCALE=1`
  csc-warehouse bench --scale 0.01 --start 2022-03-25 --night 2022-06-30 --no-docs
                                         # a quick smoke run (the tests do this)
  csc-warehouse bench --scale 1 --authorities 10 --parallel 1 --parallel2 2
                                         # a region of ten authorities (#12's scale 10)

Exit codes: 0 the ordinary night published; 1 it failed (the JSON says which stage).
"""


def register(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark the nightly run at a scale",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--scale", type=float, default=1.0, help="population scale (1 = one LA)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--night",
        type=date.fromisoformat,
        default=date(2025, 6, 30),
        help="the ordinary night that is timed (history ends the day before)",
    )
    p.add_argument("--start", type=date.fromisoformat, default=date(2015, 4, 1))
    p.add_argument(
        "--no-docs",
        action="store_true",
        help="print the results as JSON, leave bench/results and docs/benchmarks.md alone",
    )
    p.add_argument(
        "--json",
        type=Path,
        help="also write the results as JSON to this file (e.g. with --no-docs in a test)",
    )
    p.add_argument("--keep", action="store_true", help="keep the generated landing folder")
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="time each compared measurement (the quiet night, the full rebuild, the loader, "
        "COPY, pandas) this many times and report the medians (one run varies by 20-70 %% "
        "on a shared machine; default 3)",
    )
    p.add_argument(
        "--authorities",
        type=int,
        default=1,
        help="a regional warehouse of this many authorities of --scale each (docs/region.md): "
        "one history is backfilled, the others are copies of it, and the region's ordinary "
        "night is timed; results in bench/results/bench_region_<N>x<S>.json",
    )
    p.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="--authorities: authorities at a time in the timed night (default 1)",
    )
    p.add_argument(
        "--parallel2",
        type=int,
        help="--authorities: also time the next night with this many at a time",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from csc_warehouse.bench import markdown_table, run_bench, write_results

    console = Console()
    if args.authorities > 1:
        return _run_region(args, console)
    result = run_bench(
        args.scale,
        seed=args.seed,
        start=args.start,
        night=args.night,
        keep=args.keep,
        repeats=args.repeats,
        say=lambda m: console.print(f"[bold]==>[/] {m}"),
    )
    _report(args, console, result, write_results, markdown_table)
    ok = result.stages.get("ordinary_night", {}).get("ok", False)
    return 0 if ok else 1


def _report(args: argparse.Namespace, console, result, write_results, markdown_table) -> None:
    """The results as JSON (--json), and printed (--no-docs) or written to bench/results and
    docs/benchmarks.md."""
    import json
    from dataclasses import asdict

    from csc_warehouse.config import get_settings

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(result), indent=2) + "\n")
    if args.no_docs:
        console.print_json(json.dumps(asdict(result)))
    else:
        json_path, doc = write_results(result, get_settings().root)
        console.print(markdown_table(result))
        console.print(f"results: {json_path}\ntable:   {doc}")


def _run_region(args: argparse.Namespace, console) -> int:
    from csc_warehouse.bench_region import markdown_table, run_region_bench, write_results

    result = run_region_bench(
        args.authorities,
        args.scale,
        seed=args.seed,
        start=args.start,
        night=args.night,
        parallel=args.parallel,
        parallel2=args.parallel2,
        keep=args.keep,
        say=lambda m: console.print(f"[bold]==>[/] {m}"),
    )
    _report(args, console, result, write_results, markdown_table)
    everyone = all(n["published"] == args.authorities for n in result.nights.values())
    return 0 if everyone else 1
