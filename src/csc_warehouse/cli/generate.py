"""``csc-warehouse generate``: synthetic nightly extracts of the three source systems."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Write realistic synthetic extracts of trust, council and hr into LANDING/<system>/<date>/,
exactly as the source contracts (src/csc_warehouse/contracts/*.yml) describe them: the files
first, _manifest.json last. The whole world is simulated from --seed; the same arguments give
byte-identical files, and the files of a night never depend on which other nights are written
(generate a history, then continue it with a later --start).

Continuing: a run saves its world beside the landing folder (LANDING.generator.world, ~64 MB
at scale 1), and the next run that continues the same world (same seed, scale and generator)
from a later night carries on from it: one more night at scale 1 in a few seconds instead of
replaying the world from 2001 (about 45 s). The files are the same either way. A run that
would continue a history written with another seed, scale or generator stops (exit 2): its
records would reuse the history's ids (LANDING.generator.json says which world wrote it).

Nights (default, as sources.md): before 2025-04-01 only the archived ones (trust: month ends
and 2022-04-05; hr: last weekday of each month; council: every night since 2015-04-01), from
2025-04-01 every night each system runs (hr weekdays only).

Faults (--faults): a comma list of SYSTEM:YYYY-MM-DD:KIND[:FILE] or random:N. Kinds:
  missing_manifest late_manifest duplicate_folder missing_file truncated_file wrong_checksum
  duplicated_rows impossible_date unknown_code cp1252_byte added_column dropped_column
  delete_never_inserted (council only)
What was damaged is recorded in a JSON file outside the landing folder (--faults-log,
default LANDING.faults.json next to it).

examples:
  csc-warehouse generate --out landing --scale 0.05 --start 2025-04-01 --end 2025-04-30
  csc-warehouse generate --out landing --faults council:2025-06-03:missing_file,random:5
"""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _scale(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < v <= 50:
        raise argparse.ArgumentTypeError("scale must be in (0, 50]")
    return v


def _la_code(text: str) -> int:
    from csc_warehouse.config import is_la_code

    if not is_la_code(text.strip()):
        raise argparse.ArgumentTypeError(f"not a three-digit LA number: {text!r}")
    return int(text)


def register(sub) -> None:
    from csc_warehouse.generate.calendar import DEFAULT_END, DEFAULT_START

    p = sub.add_parser(
        "generate",
        help="write synthetic nightly extracts (trust, council, hr)",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument(
        "--out", type=Path, help="landing folder (default: $CSC_LANDING or <repo>/landing)"
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--la-code",
        type=_la_code,
        default=None,
        help="the authority's three-digit DfE number, the start of its UPNs "
        "(default: $CSC_LA_CODE or 931)",
    )
    p.add_argument(
        "--scale",
        type=_scale,
        default=1.0,
        help="population multiplier: 1 = a mid-sized authority (default 1; tests 0.05)",
    )
    p.add_argument(
        "--start",
        type=_date,
        default=DEFAULT_START,
        help=f"first extract date written (default {DEFAULT_START})",
    )
    p.add_argument(
        "--end",
        type=_date,
        default=DEFAULT_END,
        help=f"last extract date written (default {DEFAULT_END})",
    )
    nights = p.add_mutually_exclusive_group()
    nights.add_argument(
        "--archive-only",
        dest="policy",
        action="store_const",
        const="archive-only",
        help="only the archived nights, even after 2025-04-01",
    )
    nights.add_argument(
        "--every-night",
        dest="policy",
        action="store_const",
        const="every-night",
        help="every night each system ran, even before 2025-04-01",
    )
    p.add_argument("--systems", default="trust,council,hr", help="systems to write (default all)")
    p.add_argument("--faults", help="damage nights: SYSTEM:DATE:KIND[:FILE],... or random:N")
    p.add_argument(
        "--faults-log", type=Path, help="where to record the faults (default LANDING.faults.json)"
    )
    p.add_argument("--truth", type=Path, help="write the ground truth (CSV) into this folder")
    p.add_argument(
        "--council-full-first",
        action="store_true",
        help="write the council's first folder as a full extract (a go-live), for a history "
        "starting after 2015-04-01; load it with CSC_LOAD_COUNCIL_FIRST=<that date>",
    )
    p.add_argument(
        "--no-save-world",
        dest="save_world",
        action="store_false",
        help="do not save the world at the end (a throw-away run; the next night replays)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run, policy="spec")


def run(args: argparse.Namespace) -> int:
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from csc_warehouse.generate import SYSTEMS, GenerateOptions, generate
    from csc_warehouse.generate.faults import FaultSpecError

    err = Console(stderr=True)
    systems = tuple(s.strip() for s in args.systems.split(",") if s.strip())
    bad = [s for s in systems if s not in SYSTEMS]
    if bad or not systems:
        err.print(f"error: unknown system(s) {', '.join(bad)} (trust, council, hr)")
        return 2
    if args.start > args.end:
        err.print("error: --start is after --end")
        return 2
    from csc_warehouse.config import get_settings

    settings = get_settings()
    out = args.out if args.out is not None else Path(settings.landing)
    la_code = args.la_code if args.la_code is not None else int(settings.la_code)
    opts = GenerateOptions(
        out=out,
        seed=args.seed,
        la_code=la_code,
        scale=args.scale,
        start=args.start,
        council_full_first=args.council_full_first,
        end=args.end,
        policy=args.policy,
        systems=systems,
        faults=args.faults,
        faults_log=args.faults_log,
        truth=args.truth,
        save_world=args.save_world,
    )
    show = not args.quiet and sys.stderr.isatty()
    try:
        if show:
            with Progress(
                TextColumn("[bold]simulating[/] {task.fields[day]}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task("generate", total=1, day="")

                def progress(day, done, total):
                    if done % 30 == 0 or done == total:
                        bar.update(task, completed=done, total=total, day=day.isoformat())

                summary = generate(opts, progress)
        else:
            summary = generate(opts)
    except FaultSpecError as exc:  # HistoryMismatch too: nothing was written
        err.print(f"error: {exc}")
        return 2
    con = Console()
    con.print(
        f"[bold]generated[/] {summary.folders} folders ({summary.nights} nights), "
        f"{summary.files} files, {summary.rows:,} rows, {summary.bytes / 1e6:,.1f} MB "
        f"in {summary.seconds:.1f} s -> {summary.out}"
    )
    for system, s in summary.by_system.items():
        if s["folders"]:
            con.print(
                f"  {system:8} {s['folders']:5} folders {s['rows']:>12,} rows {s['bytes'] / 1e6:>9,.1f} MB"
            )
    if summary.resumed_from:
        con.print(f"  carried on from the world saved after {summary.resumed_from}")
    if summary.faults_log:
        con.print(f"  faults: {len(summary.faults)} recorded in {summary.faults_log}")
    if args.truth:
        con.print(f"  truth: {args.truth}")
    return 0
