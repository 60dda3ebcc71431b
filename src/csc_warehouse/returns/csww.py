"""The children and family social work workforce census (CSWW) as at 30 September: CSV files.

Read from the BI schema (``dim_worker``, ``dim_post``, ``fct_post_days``, ``fct_allocations``);
the definitions are the scorecard's (``fct_scorecard__workforce`` / ``__caseload``), so the
census and the September scorecard agree:

* a social worker: a worker in a social worker post (HR ``Social Worker Post``); in post on
  the date when started on or before it and not left by it; agency workers (``Agency`` = Yes)
  are listed apart, as the census asks;
* posts, vacancies and agency FTE: ``fct_post_days`` on the date (a post is vacant when
  established and nobody, employee or agency, holds it);
* leavers: non-agency social workers whose leaving date falls in the 12 months to the date;
  starters: those who started in them;
* caseload: children with an allocation of role SW open on the date (continuous across a
  technical transfer), each child once per worker;
* absence (sickness days): **not held** by the HR extract - the column is written empty and
  the summary says so.

Files (``DIR/csww_<YYYY>/<table>.csv``, UTF-8, comma, CRLF, sorted, byte-identical on
rebuild): ``workers`` (social workers in post on the date, agency included with ``AGENCY`` =
Y, with the cases they hold), ``leavers``, ``posts`` and ``summary`` (one row per measure). The worker id is the first 20 characters of the
pseudonymous worker key, the same ``SW_ID`` the 903's social worker episodes carry.
"""

from __future__ import annotations

import csv
import io
import statistics
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

from csc_warehouse.config import Settings
from csc_warehouse.returns.from_mart import rows, sw_id

WORKER_COLUMNS = (
    "SW_ID",
    "AGENCY",
    "TEAM",
    "JOB_TITLE",
    "POST",
    "CASE_HOLDING_POST",
    "FTE",
    "START_DATE",
    "STARTED_IN_YEAR",
    "QUALIFIED",
    "CASES",
    "ABSENCE_DAYS",
)
LEAVER_COLUMNS = (
    "SW_ID",
    "TEAM",
    "JOB_TITLE",
    "FTE",
    "START_DATE",
    "LEAVING_DATE",
    "LEAVING_REASON",
)
POST_COLUMNS = (
    "POST",
    "TEAM",
    "JOB_TITLE",
    "CASE_HOLDING",
    "FTE",
    "FILLED_FTE",
    "AGENCY_FTE",
    "VACANT_FTE",
    "HOLDERS",
)
SUMMARY_COLUMNS = ("MEASURE", "VALUE", "NOTE")


def census_date(year: int) -> date:
    return date(year, 9, 30)


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"
    return str(value)


def _csv(columns: tuple[str, ...], body: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([[_fmt(v) for v in row] for row in body])
    return buffer.getvalue().encode("utf-8")


def _rate(numerator: Decimal, denominator: Decimal) -> str:
    if not denominator:
        return ""
    return f"{(Decimal(100) * numerator / denominator).quantize(Decimal('0.1'))}"


def csww_tables(conn: psycopg.Connection, year: int, schema: str = "bi") -> dict[str, bytes]:
    """Table name -> CSV bytes for the census as at 30 September ``year``."""
    on = census_date(year)
    year_start = date(year - 1, 10, 1)
    params = {"on": on, "year_start": year_start}
    workers = rows(
        conn,
        """
        select w.*, p.is_case_holding as post_case_holding
        from {s}.dim_worker w
        left join {s}.dim_post p on p.post_key = w.post_key
        where w.is_social_worker
        order by w.worker_key
        """,
        params,
        s=schema,
    )
    cases = rows(
        conn,
        """
        select worker_key, count(distinct child_key) as cases
        from (
            select distinct on (a.allocation_key) a.allocation_key, a.child_key, a.worker_key
            from {s}.fct_allocations a
            where a.role_code = 'SW'
              and a.allocation_start_date <= %(on)s
              and (a.allocation_end_date is null or a.allocation_end_date > %(on)s)
              and a.start_date <= %(on)s
            order by a.allocation_key, a.start_date desc
        ) held
        group by worker_key
        """,
        params,
        s=schema,
    )
    posts = rows(
        conn,
        """
        select d.*, p.job_title
        from {s}.fct_post_days d
        left join {s}.dim_post p on p.post_key = d.post_key
        where d.date_day = %(on)s and d.is_established and d.is_social_worker_post
        order by d.post_key
        """,
        params,
        s=schema,
    )
    caseload = {r["worker_key"]: int(r["cases"]) for r in cases}

    def in_post(w: dict) -> bool:
        return (w["start_date"] is None or w["start_date"] <= on) and (
            w["leaving_date"] is None or w["leaving_date"] > on
        )

    employees = [w for w in workers if in_post(w) and not w["is_agency"]]
    agency = [w for w in workers if in_post(w) and w["is_agency"]]
    leavers = [
        w
        for w in workers
        if not w["is_agency"] and w["leaving_date"] and year_start <= w["leaving_date"] <= on
    ]

    def worker_row(w: dict) -> list:
        return [
            sw_id(w["worker_key"]),
            bool(w["is_agency"]),
            w["team_key"],
            w["job_title"],
            w["post_key"],
            w["post_case_holding"],
            w["fte"],
            w["start_date"],
            bool(w["start_date"] and year_start <= w["start_date"] <= on and not w["is_agency"]),
            w["is_qualified"],
            caseload.get(w["worker_key"], 0),
            None,
        ]

    fte = lambda ws: sum((Decimal(w["fte"] or 0) for w in ws), Decimal(0))  # noqa: E731
    vacant = sum((Decimal(p["vacant_fte"] or 0) for p in posts), Decimal(0))
    filled = sum((Decimal(p["filled_fte"] or 0) for p in posts), Decimal(0))
    agency_fte = sum((Decimal(p["agency_fte"] or 0) for p in posts), Decimal(0))
    holding = [
        (w, caseload[w["worker_key"]])
        for w in employees + agency
        if caseload.get(w["worker_key"], 0) > 0
    ]
    case_counts = [n for _, n in holding]
    holding_fte = sum((Decimal(w["fte"] or 0) or Decimal(1) for w, _ in holding), Decimal(0))
    summary = [
        ["census_date", on, ""],
        ["social_workers_headcount", len(employees), "employees in social worker posts"],
        ["social_workers_fte", fte(employees), ""],
        ["agency_workers_headcount", len(agency), ""],
        ["agency_workers_fte", fte(agency), ""],
        ["posts_fte", vacant + filled, "established social worker posts"],
        ["vacant_fte", vacant, "established, held by nobody"],
        ["vacancy_rate_pct", _rate(vacant, vacant + filled), "vacant / (vacant + filled)"],
        ["agency_rate_pct", _rate(agency_fte, filled), "agency FTE / filled FTE"],
        [
            "starters_headcount",
            sum(1 for r in employees if r["start_date"] and r["start_date"] >= year_start),
            "employees who started in the 12 months to the date",
        ],
        ["leavers_headcount", len(leavers), "in the 12 months to the date"],
        ["leavers_fte", fte(leavers), ""],
        ["turnover_rate_pct", _rate(fte(leavers), fte(employees)), "leavers FTE / FTE in post"],
        ["cases_held", sum(case_counts), "children with an open SW allocation"],
        ["workers_holding_cases", len(holding), "agency included"],
        [
            "caseload_mean",
            (Decimal(sum(case_counts)) / holding_fte).quantize(Decimal("0.1"))
            if holding_fte
            else "",
            "cases / FTE of workers holding cases",
        ],
        ["caseload_median", statistics.median(case_counts) if case_counts else "", ""],
        ["caseload_max", max(case_counts, default=""), ""],
        ["workers_over_20_cases", sum(n > 20 for n in case_counts), ""],
        ["absence_days", "", "not held: the HR extract has no absence records"],
    ]
    return {
        "workers": _csv(WORKER_COLUMNS, sorted(worker_row(w) for w in employees + agency)),
        "leavers": _csv(
            LEAVER_COLUMNS,
            sorted(
                [
                    sw_id(w["worker_key"]),
                    w["team_key"],
                    w["job_title"],
                    w["fte"],
                    w["start_date"],
                    w["leaving_date"],
                    w["leaving_reason"],
                ]
                for w in leavers
            ),
        ),
        "posts": _csv(
            POST_COLUMNS,
            [
                [
                    p["post_key"],
                    p["team_key"],
                    p["job_title"],
                    p["is_case_holding"],
                    p["fte"],
                    p["filled_fte"],
                    p["agency_fte"],
                    p["vacant_fte"],
                    p["holder_count"],
                ]
                for p in posts
            ],
        ),
        "summary": _csv(SUMMARY_COLUMNS, summary),
    }


def write_csww(
    settings: Settings, year: int, out: str | Path, schema: str = "bi", **_: object
) -> dict:
    """Write the census files into ``out``; the build result (counts, files, timings)."""
    out = Path(out) / f"csww_{year}"
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with psycopg.connect(settings.conninfo()) as conn:
        tables = csww_tables(conn, year, schema)
    files = []
    counts = {}
    for name, data in tables.items():
        path = out / f"{name}.csv"
        path.write_bytes(data)
        files.append(str(path))
        counts[name] = data.count(b"\r\n") - 1
    return {
        "return": "csww",
        "year": year,
        "census_date": census_date(year).isoformat(),
        "files": files,
        "counts": {k: v for k, v in counts.items() if k != "summary"},
        "not_held": ["absence (sickness days): the HR extract has no absence records"],
        "seconds": round(time.monotonic() - started, 2),
        "ok": True,
        "errors": 0,
    }
