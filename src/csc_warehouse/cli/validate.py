"""``csc-warehouse validate``: run the Great Expectations gates the DAG runs."""

from __future__ import annotations

import argparse

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Run the same Great Expectations checkpoints the nightly DAG runs, from the file context in
expectations/gx, against the warehouse.

  csc-warehouse validate --layer raw                 # the newest batch of every raw table
  csc-warehouse validate --layer mart                # the build schema (mart_build)
  csc-warehouse validate --layer mart --schema bi    # or any schema holding the marts
  csc-warehouse validate --regenerate-suites         # rewrite suites from the contracts

Each expectation is blocking (the night stops before publish) or a warning (reported).
Data Docs for the run are written under <output>/data-docs/<run id>/.
Exit codes: 0 no blocking failure; 1 a blocking expectation failed; 3 database unreachable.
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
    p.add_argument(
        "--regenerate-suites",
        action="store_true",
        help="rewrite the suites, validation definitions and checkpoints in "
        "expectations/gx from the contracts and gate definitions, then exit",
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
        from csc_warehouse.gates.runner import build_context

        build_context(settings)
        console.print(f"suites and checkpoints written to {settings.expectations_dir / 'gx'}")
        return 0
    result = gates.run_gates(args.layer, settings, args.run_id, schema=args.schema)
    table = Table(
        title=f"{args.layer} gates: {result.expectations} expectations, {result.seconds:.1f} s"
    )
    table.add_column("severity")
    table.add_column("suite")
    table.add_column("check")
    table.add_column("examples")
    for f in result.blocking_failures + result.warnings:
        style = "red" if f.severity == "blocking" else "yellow"
        table.add_row(
            f"[{style}]{f.severity}[/]",
            f.suite,
            f.description or f.expectation,
            "; ".join(f.examples[:3]),
        )
    if result.blocking_failures or result.warnings:
        console.print(table)
    verdict = "[green]PASSED[/]" if result.passed else "[red]FAILED[/]"
    console.print(
        f"{args.layer} gates {verdict}: {len(result.blocking_failures)} blocking, "
        f"{len(result.warnings)} warning(s), {result.expectations} expectations"
    )
    if result.data_docs_path:
        console.print(f"Data Docs: {result.data_docs_path}")
    return 0 if result.passed else 1
