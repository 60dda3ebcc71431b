"""``csc-warehouse returns cin-census|ssda903|annex-a|csww``: statutory returns from the mart."""

from __future__ import annotations

import argparse
import json
from datetime import date

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Build a statutory return from the published mart, validate it and write the report.

  cin-census --year YYYY --out DIR   CIN census XML for the year ending 31 March YYYY, validated
                                     with the DfE rules; report next to it (children named by
                                     their pseudonymous key)
  ssda903    --year YYYY --out DIR   the 903 CSV tables (folder ssda903_YYYY), validated
  annex-a    --as-at DATE --out FILE Ofsted Annex A lists 1-11 (xlsx), 12 months before DATE
  csww       --year YYYY --out DIR   workforce census as at 30 September YYYY (CSV)

Exit 0 built (validator errors only from known source gaps), 1 validator errors or no data,
3 database or validator environment not ready. Rebuilding gives byte-identical files.
"""


def register(sub) -> None:
    p = sub.add_parser(
        "returns",
        help="statutory returns: CIN census, SSDA903, Annex A, CSWW",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("name", choices=["cin-census", "ssda903", "annex-a", "csww"])
    p.add_argument("--year", type=int, help="collection year (2025 = 1 Apr 2024 - 31 Mar 2025)")
    p.add_argument("--as-at", type=date.fromisoformat, help="annex-a: the date (YYYY-MM-DD)")
    p.add_argument("--out", help="output folder (annex-a: the .xlsx file)")
    p.add_argument("--schema", default="bi", help="schema of the mart (default bi)")
    p.add_argument("--case-schema", default="case_level", help="case-level schema")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import psycopg

    from csc_warehouse.config import get_settings
    from csc_warehouse.errors import EnvironmentNotReady
    from csc_warehouse.returns.build import build_return

    settings = get_settings()
    try:
        with psycopg.connect(settings.conninfo(), connect_timeout=10) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        raise EnvironmentNotReady(f"database unreachable: {exc}") from exc
    result = build_return(
        args.name,
        settings,
        year=args.year,
        as_at=args.as_at,
        out=args.out,
        schema=args.schema,
        case_schema=args.case_schema,
    )
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True, default=str))
    else:
        counts = ", ".join(f"{k} {v}" for k, v in result.get("counts", {}).items())
        print(f"{result['return']}: {counts}")
        for f in result.get("files", []):
            print(f"  wrote {f}")
        if "errors" in result:
            print(
                f"  validator: {result['errors']} error(s) "
                f"({sum(result['known_gaps'].values())} from known source gaps "
                f"{sorted(result['known_gaps'])}), {result['warnings']} warning(s); "
                f"unexpected: {result['unexpected_errors'] or 'none'}"
            )
        print(f"  {result.get('seconds', 0)} s")
    if not result.get("counts") or not any(result["counts"].values()):
        print("no data for that period")
        return 1
    return 0 if result.get("ok", True) else 1
