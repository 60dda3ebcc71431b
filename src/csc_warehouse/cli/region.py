"""``csc-warehouse region``: several authorities in one warehouse (CSC_REGION)."""

from __future__ import annotations

import argparse
from datetime import date

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
A regional warehouse: CSC_REGION=931,932,... lists the authorities. Each one is a whole
warehouse of its own in the same PostgreSQL (database csc_la_<code>, landing folder
LANDING/<code>/<system>/<date>/, output OUTPUT/<code>/, its own pseudonymisation key), built
by the same nightly job; the region database (csc_region) pools every authority's `bi` tables
into views with `la_code` first. Names and ids (case_level) never leave an authority's
database. See docs/region.md.

  prepare   create the authorities' databases and the region database. Idempotent.
  generate  write a synthetic history for every authority (a seed each, its own UPNs),
            as `csc-warehouse generate` does for one.
  nightly   one night of every authority (each in its own process: one authority's failure
            leaves its last good mart and stops no other), then `pool`.
  pool      rebuild the pooled views over what each authority last published.
  status    what each authority last published, and what the pooled views hold.

  CSC_REGION=931,932 csc-warehouse region prepare
  CSC_REGION=931,932 csc-warehouse region generate --scale 0.05 --end 2025-06-30
  CSC_REGION=931,932 csc-warehouse region nightly --date 2025-06-30

Exit codes: 0 done (nightly: every authority published); 1 an authority's night failed
(the others published; the pooled views show its last good mart); 2 bad command line;
3 CSC_REGION unset, or the database is not reachable.
"""


def register(sub) -> None:
    p = sub.add_parser(
        "region",
        help="several authorities in one warehouse (CSC_REGION)",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("action", choices=["prepare", "generate", "nightly", "pool", "status"])
    p.add_argument(
        "--la",
        help="nightly/generate: only these authorities (comma-separated; default all of "
        "CSC_REGION)",
    )
    p.add_argument(
        "--date", type=date.fromisoformat, help="nightly: extract date (default: each one's newest)"
    )
    p.add_argument("--full-refresh", action="store_true", help="nightly: dbt --full-refresh")
    p.add_argument("--no-report", action="store_true", help="nightly: skip the scorecard reports")
    p.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="nightly: authorities at a time (default 1; each is one process with dbt's threads)",
    )
    p.add_argument("--seed", type=int, default=1, help="generate: the first authority's seed")
    p.add_argument(
        "--same-seed",
        action="store_true",
        help="generate: every authority from the same seed (the same ids everywhere: "
        "the hardest case for keeping them apart)",
    )
    p.add_argument("--scale", default="1", help="generate: scale of each authority (default 1)")
    p.add_argument("--start", type=date.fromisoformat, help="generate: first extract date")
    p.add_argument("--end", type=date.fromisoformat, help="generate: last extract date")
    p.add_argument(
        "--council-full-first",
        action="store_true",
        help="generate: the council's first folder is a full extract (a history starting "
        "after 2015-04-01; load it with CSC_LOAD_COUNCIL_FIRST=<that date>)",
    )
    p.set_defaults(handler=run)


def _chosen(settings, text: str | None) -> tuple[str, ...] | None:
    from csc_warehouse import region

    everyone = region.authorities(settings)
    if not text:
        return everyone
    chosen = tuple(c.strip() for c in text.split(",") if c.strip())
    unknown = [c for c in chosen if c not in everyone]
    if unknown:
        return None
    return chosen


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from rich.console import Console
    from rich.table import Table

    from csc_warehouse import region
    from csc_warehouse.config import get_settings

    settings = get_settings()
    console = Console()
    err = Console(stderr=True)
    las = _chosen(settings, args.la)
    if las is None:
        err.print(f"error: --la {args.la}: not all in CSC_REGION ({settings.env['CSC_REGION']})")
        return 2
    started = time.perf_counter()

    if args.parallel < 1:
        err.print("error: --parallel must be at least 1")
        return 2

    if args.action == "prepare":
        for line in region.prepare(settings, log=lambda m: console.print(f"  {m}")):
            console.print(line)
        return 0

    if args.action == "pool":
        result = region.pool(settings, log=lambda m: err.print(f"[yellow]{m}[/]"))
        console.print(
            f"pooled {result.views} views over {len(result.authorities)} authorities "
            f"in {result.seconds:.1f} s -> {settings.region_database}.bi"
        )
        return 0

    if args.action == "status":
        return _status(settings, console)

    if args.action == "generate":
        rest = []
        if args.start:
            rest += ["--start", args.start.isoformat()]
        if args.end:
            rest += ["--end", args.end.isoformat()]
        if args.council_full_first:
            rest.append("--council-full-first")
        nights = []
        for i, la in enumerate(las):
            seed = args.seed if args.same_seed else args.seed + settings.region_las.index(la)
            out = settings.for_la(la).landing
            console.print(f"generating authority {la} (seed {seed}) -> {out}")
            night = region.run_authority(
                settings,
                la,
                [
                    "generate",
                    "--out",
                    str(out),
                    "--seed",
                    str(seed),
                    "--la-code",
                    la,
                    "--scale",
                    args.scale,
                    "--quiet",
                    *rest,
                ],
                settings.output / "region" / "logs",
            )
            nights.append(night)
            tail = night.log.read_text(encoding="utf-8").strip().splitlines() if night.log else []
            state = "[green]done[/]" if night.exit_code == 0 else f"[red]exit {night.exit_code}[/]"
            console.print(f"  {la}: {state} in {night.seconds:.0f} s  {tail[0] if tail else ''}")
            console.print(f"  [{i + 1}/{len(las)}]")
        failed = [n for n in nights if n.exit_code != 0]
        console.print(
            f"generated {len(las) - len(failed)} of {len(las)} authorities in "
            f"{time.perf_counter() - started:.0f} s -> {settings.landing}/<code>/"
        )
        for n in failed:
            err.print(f"[red]{n.la} failed[/] (exit {n.exit_code}): see {n.log}")
        return max((n.exit_code for n in failed), default=0)

    # nightly
    show = sys.stderr.isatty()
    progress_ctx = None
    if show:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        progress_ctx = Progress(
            TextColumn("[bold]authority[/] {task.fields[la]}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        progress_ctx.start()
        task = progress_ctx.add_task("region", total=len(las), la="")
    try:
        nights, pooled = region.nightly(
            settings,
            args.date,
            las,
            full_refresh=args.full_refresh,
            report=not args.no_report,
            parallel=args.parallel,
            log=lambda m: err.print(f"[yellow]{m}[/]"),
            on_start=(lambda la: progress_ctx.update(task, la=la)) if show else None,
            on_done=(lambda n: progress_ctx.advance(task)) if show else None,
        )
    finally:
        if progress_ctx is not None:
            progress_ctx.stop()
    table = Table(title="the region's night")
    for col in ("authority", "extract date", "published", "seconds", "detail"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for n in nights:
        table.add_row(
            n.la,
            n.extract_date or "-",
            "yes" if n.published else "[red]NO[/]",
            f"{n.seconds:.1f}",
            (n.error or "")[:70] or str(n.log),
        )
    console.print(table)
    console.print(
        f"pooled {pooled.views} views over {len(pooled.authorities)} authorities -> "
        f"{settings.region_database}.bi; total {time.perf_counter() - started:.1f} s; "
        f"logs in {settings.output / 'region' / 'logs'}"
    )
    failed = [n for n in nights if not n.published]
    for n in failed:
        err.print(
            f"[red]{n.la}: not published[/] ({n.error or f'exit {n.exit_code}'}); "
            f"its BI keeps its last good mart. Log: {n.log}"
        )
    return 1 if failed else 0


def _status(settings, console) -> int:
    from rich.table import Table

    from csc_warehouse import region

    table = Table(title=f"region {', '.join(region.authorities(settings))}")
    for col in ("authority", "database", "last published extract", "published at", "pooled"):
        table.add_column(col)
    pooled = region.pooled_status(settings)
    for la in region.authorities(settings):
        extract, at = region.last_published(settings, la)
        table.add_row(
            la,
            settings.la_database(la),
            extract.isoformat() if extract else "-",
            at.isoformat(timespec="seconds") if at else "-",
            str(pooled.get(la, "-")),
        )
    console.print(table)
    return 0
