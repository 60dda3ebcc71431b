"""``csc-warehouse dbt ...``: run dbt against the warehouse with the project's settings."""

from __future__ import annotations

import argparse

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Run dbt in dbt_project/ with the connection settings of this checkout (the same environment
variables the nightly DAG uses), as the pipeline's dbt role csc_transformer: it reads raw
and builds staging, intermediate, reference and the build schemas; it may read the published
`bi` / `case_level` (the nightly starts its incremental marts from them) but never write there. Unless CSC_DBT_SCHEMA / CSC_DBT_CASE_SCHEMA say otherwise, the marts go to
`analytics` and the worklists to `analytics_case` (a developer's copy BI never reads).
Everything after `dbt` goes to dbt unchanged, e.g.

  csc-warehouse dbt build --select staging
  csc-warehouse dbt docs generate
"""


def register(sub) -> None:
    p = sub.add_parser(
        "dbt",
        help="run dbt with the warehouse's settings",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
        add_help=False,
    )
    p.add_argument("dbt_args", nargs=argparse.REMAINDER)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import os

    from csc_warehouse.roles import DEV_CASE_SCHEMA, TRANSFORMER
    from csc_warehouse.tools import run_dbt

    # as the pipeline's dbt role, so what it builds stays replaceable by the nightly build;
    # worklists default to a developer schema (the published case_level is not dbt's to write)
    extra = (
        {} if os.environ.get("CSC_DBT_CASE_SCHEMA") else {"CSC_DBT_CASE_SCHEMA": DEV_CASE_SCHEMA}
    )
    return run_dbt(args.dbt_args or ["--help"], role=TRANSFORMER, **extra).returncode
