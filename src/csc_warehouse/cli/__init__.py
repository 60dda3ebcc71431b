"""``csc-warehouse``: the command-line tool for the children's services warehouse.

Each sub-command lives in its own module in this package and exposes ``register(subparsers)``;
heavy imports happen inside the handlers so that ``--help`` is instant.

Exit codes (scripts can trust them):

* 0 - done, nothing wrong;
* 1 - the work ran and found a problem (a file rejected, a gate failed, a return with errors);
* 2 - the command line was wrong;
* 3 - the environment is not ready (database not running or unreachable, a tool missing).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from rich_argparse import RawDescriptionRichHelpFormatter

from csc_warehouse import __version__

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3

# Sub-command modules, in the order `--help` lists them. A module that does not exist yet is
# skipped, so the tool grows one file at a time.
COMMAND_MODULES = [
    "db",
    "generate",
    "load",
    "quarantine",
    "dbt",
    "validate",
    "publish",
    "nightly",
    "report",
    "returns",
    "retention",
    "airflow",
    "bench",
    "region",
]

EPILOG = """\
exit codes: 0 done | 1 the work found a problem (rejected file, failed gate, return errors)
            2 bad command line | 3 environment not ready (database down, tool missing)

Settings come from environment variables (CSC_PG_HOST, CSC_PG_PORT, CSC_PG_USER,
CSC_PG_PASSWORD, CSC_PG_DATABASE, CSC_LANDING, CSC_OUTPUT, CSC_STATE_DIR); see README.md.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csc-warehouse",
        description=(
            "The children's services data warehouse: start its database, generate synthetic "
            "extracts, load nightly folders, build and gate the mart, write the scorecard and "
            "the statutory returns."
        ),
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"csc_warehouse.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"csc_warehouse.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - turn known failures into exit codes
        from csc_warehouse.errors import exit_code_for

        code = exit_code_for(exc)
        if code is None:
            raise
        print(f"error: {exc}", file=sys.stderr)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
