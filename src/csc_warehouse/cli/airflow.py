"""``csc-warehouse airflow ...``: run Airflow's CLI against the project's local Airflow."""

from __future__ import annotations

import argparse

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Run Airflow's own command line with this checkout's settings: AIRFLOW_HOME under .local/,
the metadata database on the project's Postgres, DAGs from dags/, LocalExecutor, telemetry off.
Everything after `airflow` goes to Airflow unchanged, e.g.

  csc-warehouse airflow db migrate
  csc-warehouse airflow dags test csc_nightly 2025-06-03
  csc-warehouse airflow standalone        # the UI on http://localhost:8080
"""


def register(sub) -> None:
    p = sub.add_parser(
        "airflow",
        help="run Airflow's CLI with the warehouse's settings",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
        add_help=False,
    )
    p.add_argument("airflow_args", nargs=argparse.REMAINDER)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from csc_warehouse.tools import run_airflow

    return run_airflow(args.airflow_args or ["--help"]).returncode
