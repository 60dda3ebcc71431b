"""``csc-warehouse returns cin-census|ssda903|annex-a|csww``: statutory returns from the mart."""

from __future__ import annotations

import argparse
import json
from datetime import date

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Build a statutory return from the mart, validate it with the DfE's rules and write the report.

  cin-census --year YYYY --out DIR    CIN census XML for the year ending 31 March YYYY and its
                                      validation report (children named by pseudonymous key)
  ssda903    --year YYYY --out DIR    the 903 CSV tables (DIR/ssda903_YYYY) and the report
  annex-a    --as-at DATE --out FILE  Ofsted Annex A, lists 1-11, 12 months to DATE (.xlsx)
  csww       --year YYYY --out DIR    workforce census as at 30 September YYYY (DIR/csww_YYYY)

  --current   what the monthly DAG builds: the year so far (CIN, 903), Annex A to the last
              month end, CSWW for the last 30 September, as at the published extract date
  --as-at     CIN/903: cut a part-year return at that date
  --schema / --case-schema   where the mart is: bi / case_level once published (default);
              an ad-hoc `csc-warehouse dbt build` writes analytics / case_level

Exit 0: built, and the validator found no error other than the documented source gaps (fields
no source holds: 903 MOTHER, OC2 outcomes, adoption decisions; listed in the report) and, on
generated data, postcodes in the never-issued area ZX. Flags of the two 903 social worker
rules whose code contradicts their message are re-checked and, when false, not counted. With
--strict any validator error counts. Exit 1: validator errors (or, with --strict, any), or
nothing to return. Exit 3: database or validator environment not ready. Rebuilding gives
byte-identical files.
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
    p.add_argument("--as-at", type=date.fromisoformat, help="the date (YYYY-MM-DD)")
    p.add_argument("--out", help="output folder (annex-a: the .xlsx file)")
    p.add_argument("--schema", default="bi", help="schema of the mart (default bi)")
    p.add_argument("--case-schema", default="case_level", help="case-level schema")
    p.add_argument("--current", action="store_true", help="as the monthly DAG builds it")
    p.add_argument("--strict", action="store_true", help="exit 1 on any validator error")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import psycopg

    from csc_warehouse.config import get_settings
    from csc_warehouse.errors import EnvironmentNotReady
    from csc_warehouse.returns import build

    settings = get_settings()
    try:
        with psycopg.connect(settings.conninfo(), connect_timeout=10) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        raise EnvironmentNotReady(f"database unreachable: {exc}") from exc
    if args.current:
        result = build.build_current(args.name, settings, args.schema, args.case_schema)
    else:
        result = build.build_return(
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
        period = result.get("period") or [result.get("census_date") or result.get("as_at")]
        print(f"{result['return']} ({' to '.join(map(str, period))}): {counts}")
        for f in result.get("files", []):
            print(f"  wrote {f}")
        if "known_gaps" in result:
            synthetic = result.get("synthetic_data") or {}
            said = (
                f", {sum(synthetic.values())} on the generator's fictional postcodes "
                f"({', '.join(synthetic)})"
                if synthetic
                else ""
            )
            print(
                f"  validator: {result['errors']} error(s), "
                f"{sum(result['known_gaps'].values())} of them source gaps "
                f"({', '.join(result['known_gaps']) or 'none'}){said}; "
                f"other errors: {result['unexpected_errors'] or 'none'}; "
                f"{result['warnings']} warning(s)"
            )
            false = result.get("false_positives") or {}
            if false:
                print(
                    f"  re-checked and found false (not counted): {false} - the package's code "
                    "for these rules contradicts their message (see the report)"
                )
        for n, why in (result.get("unfilled_lists") or {}).items():
            print(f"  list {n} not filled: {why}")
        for why in result.get("not_held", []):
            print(f"  not held: {why}")
        print(f"  {result.get('seconds', 0)} s")
    if not result.get("counts") or not any(result["counts"].values()):
        print("no data for that period")
        return 1
    if args.strict:
        return 0 if result.get("clean", result.get("errors", 0) == 0) else 1
    return 0 if result.get("ok", True) else 1
