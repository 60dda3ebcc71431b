"""``csc-warehouse validate``: run the Great Expectations gates the DAG runs."""

from __future__ import annotations

import argparse

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Run the same Great Expectations checkpoints the nightly DAG runs (raw_gate, mart_gate from
the file context in expectations/gx) against the warehouse, and print the results.

  csc-warehouse validate --layer raw                 # the newest batch of every raw table
  csc-warehouse validate --layer mart                # the build schema (mart_build)
  csc-warehouse validate --layer mart --schema bi    # or any schema holding the marts
  csc-warehouse validate --layer mart --all          # one row per suite, not only failures
  csc-warehouse validate --layer raw --recheck       # also suites that passed before
  csc-warehouse validate --regenerate-suites         # rewrite suites from the contracts

A raw suite that passed is not run again while nothing has been loaded for its system since
(same suite file, same load ledger): the trust's last snapshot is validated once, not every
night. A load, a replay or a rejection changes the ledger, and the suite runs again.

Each expectation is blocking (the night stops before publish) or a warning (published and
reported); docs/quality-gates.md lists them. Data Docs for the run are written to
<output>/data-docs/<run id>/<layer>/index.html.

Exit codes: 0 no blocking failure; 1 a blocking expectation failed (or nothing to
validate); 2 bad command line; 3 database unreachable or the GX context missing.
"""


def register(sub) -> None:
    p = sub.add_parser(
        "validate",
        help="run the data quality gates (Great Expectations)",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--layer", choices=["raw", "mart"], default="raw")
    p.add_argument("--schema", help="mart layer: the schema to validate (default mart_build)")
    p.add_argument("--run-id", default="manual", help="names the Data Docs folder")
    p.add_argument("--all", action="store_true", help="list every suite, not only failures")
    p.add_argument(
        "--recheck",
        action="store_true",
        help="raw layer: run every suite, also those that passed before on the same loads "
        "(by default a suite whose system has loaded nothing since it passed is not run again)",
    )
    p.add_argument(
        "--regenerate-suites",
        action="store_true",
        help="rewrite the suites, validation definitions and checkpoints in expectations/gx "
        "from the contracts and csc_warehouse.gates.suites, then exit",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from csc_warehouse import gates
    from csc_warehouse.config import get_settings

    console = Console()
    settings = get_settings()
    if args.regenerate_suites:
        from csc_warehouse.gates.runner import context_root, write_context

        counts = write_context(settings)
        console.print(
            f"{counts['suites']} suites ({counts['raw']} raw and {counts['mart']} mart "
            f"expectations), validation definitions and checkpoints written to "
            f"{context_root(settings)}; review and commit them"
        )
        return 0
    if args.schema and args.layer != "mart":
        console.print("[red]--schema applies to --layer mart only[/]")
        return 2
    result = gates.run_gates(
        args.layer, settings, args.run_id, schema=args.schema, recheck=args.recheck
    )

    failures = Table(title=f"{args.layer} gates: failed expectations", show_lines=False)
    for column in ("severity", "suite", "check", "examples"):
        failures.add_column(column, overflow="fold")
    for f in result.blocking_failures + result.warnings:
        style = "red" if f.severity == "blocking" else "yellow"
        failures.add_row(
            f"[{style}]{f.severity}[/]", f.suite, f.description, "; ".join(f.examples[:4])
        )
    if args.all:
        per_suite = Table(title=f"{args.layer} gates: suites")
        for column in ("suite", "expectations", "blocking", "warnings", "skipped"):
            per_suite.add_column(column, justify="left" if column == "suite" else "right")
        for name, tally in sorted(result.suites.items()):
            per_suite.add_row(
                name,
                str(tally["expectations"]),
                f"[red]{tally['blocking']}[/]" if tally["blocking"] else "0",
                f"[yellow]{tally['warning']}[/]" if tally["warning"] else "0",
                str(tally["skipped"]),
            )
        for name in result.unchanged:
            per_suite.add_row(f"[dim]{name}[/]", "[dim]not run[/]", "", "", "")
        console.print(per_suite)
    if result.blocking_failures or result.warnings:
        console.print(failures)
    if result.skipped:
        console.print(f"skipped ({len(result.skipped)}): " + "; ".join(result.skipped[:10]))
    if result.unchanged:
        systems = sorted({name.split("__")[1] for name in result.unchanged})
        console.print(
            f"not run ({len(result.unchanged)} suites of {', '.join(systems)}): they passed "
            "before and nothing has been loaded for them since (--recheck runs them)"
        )
    verdict = "[green]PASSED[/]" if result.passed else "[red]FAILED[/]"
    where = f" on {result.schema}" if result.schema else ""
    console.print(
        f"{args.layer} gates {verdict}{where}: {len(result.blocking_failures)} blocking, "
        f"{len(result.warnings)} warning(s), {result.expectations} expectations in "
        f"{result.seconds:.1f} s"
    )
    if result.data_docs_path:
        console.print(f"Data Docs: {result.data_docs_path}")
    return 0 if result.passed else 1
