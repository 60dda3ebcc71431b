"""Ofsted ILACS Annex A: lists 1-11 of children for the 12 months before a date (xlsx).

One sheet per list, one row per child (or event), children named by the LA's child id (case
level: Annex A goes to the inspectors, not to BI) with the pseudonymous key beside it. Lists the
warehouse's sources cannot fill (contacts, early help, care leavers, adopters) are written with
their headers and a note saying why. The workbook is deterministic: fixed document properties
and fixed timestamps inside the zip, so a rebuild is byte-identical.
"""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

FIXED = datetime(2000, 1, 1)

CHILD_COLS = ["Child ID", "Child key", "Gender", "Ethnicity", "Age"]

# (list number, title, extra columns, query or None with the note)
LISTS: list[tuple[int, str, list[str], str | None, str]] = [
    (1, "Contacts", ["Contact date", "Source"], None, "contacts are not held by the warehouse"),
    (2, "Early help", ["Start date", "End date"], None, "early help is not held by the warehouse"),
    (
        3,
        "Referrals",
        ["Referral date", "Source", "Re-referral within 12 months", "NFA", "Primary need"],
        """select r.child_key, r.referral_date as d1, r.referral_source_code as c1,
                  case when r.is_re_referral then 'Yes' else 'No' end as c2,
                  case when r.is_nfa then 'Yes' else 'No' end as c3, r.primary_need_code as c4
           from {s}.fct_referrals r
           where r.referral_date between %(p_start)s and %(as_at)s
           order by 1, 2""",
        "",
    ),
    (
        4,
        "Assessments",
        ["Start date", "Authorised date", "Working days to authorise", "Factors"],
        """select a.child_key, a.start_date as d1, a.authorised_date as c1,
                  a.working_days_to_authorise as c2, a.factor_codes as c3
           from {s}.fct_assessments a
           where a.start_date <= %(as_at)s
             and (a.start_date >= %(p_start)s or a.authorised_date is null
                  or a.authorised_date >= %(p_start)s)
           order by 1, 2, 3""",
        "",
    ),
    (
        5,
        "Section 47 enquiries and ICPCs",
        ["S47 start date", "ICPC date", "Working days to ICPC"],
        """select s.child_key, s.start_date as d1, s.icpc_date as c1, s.working_days_to_icpc as c2
           from {s}.fct_section47s s
           where s.start_date between %(p_start)s and %(as_at)s
           order by 1, 2, 3""",
        "",
    ),
    (
        6,
        "Children in need",
        ["Referral date", "Closure date", "Primary need"],
        """select r.child_key, r.referral_date as d1,
                  case when r.closure_date <= %(as_at)s then r.closure_date end as c1,
                  r.primary_need_code as c2
           from {s}.fct_referrals r
           where r.referral_date <= %(as_at)s
             and (r.closure_date is null or r.closure_date >= %(p_start)s)
           order by 1, 2""",
        "",
    ),
    (
        7,
        "Child protection plans",
        ["Plan start date", "Plan end date", "Category", "Plan number", "Last review"],
        """select p.child_key, p.start_date as d1,
                  case when p.end_date <= %(as_at)s then p.end_date end as c1,
                  p.latest_category_code as c2, p.plan_sequence as c3,
                  (select max(v.review_date) from {s}.fct_cp_reviews v
                    where v.cp_plan_key = p.cp_plan_key and v.review_date <= %(as_at)s) as c4
           from {s}.fct_cp_plans p
           where p.start_date <= %(as_at)s and (p.end_date is null or p.end_date >= %(p_start)s)
           order by 1, 2""",
        "",
    ),
    (
        8,
        "Children looked after",
        ["Period start date", "Period end date", "Legal status at start", "Placements"],
        """select c.child_key, c.start_date as d1,
                  case when c.end_date <= %(as_at)s then c.end_date end as c1,
                  c.first_legal_status_code as c2, c.placement_count as c3
           from {s}.fct_care_periods c
           where c.start_date <= %(as_at)s and (c.end_date is null or c.end_date >= %(p_start)s)
           order by 1, 2""",
        "",
    ),
    (
        9,
        "Care leavers",
        ["Date ceased care", "In touch", "Accommodation", "Activity"],
        None,
        "care leavers' contact, accommodation and activity are not held by the warehouse",
    ),
    (
        10,
        "Adoption",
        ["Period start date", "Date adopted", "Reason ceased"],
        """select c.child_key, c.start_date as d1, c.end_date as c1, c.reason_ceased_code as c2
           from {s}.fct_care_periods c
           where c.reason_ceased_code in ('E11', 'E12')
             and c.end_date between %(p_start)s and %(as_at)s
           order by 1, 2""",
        "",
    ),
    (11, "Adopters", ["Approval date", "Status"], None, "adopters are not held by the warehouse"),
]


def _q(conn, query: str, params: dict, **schemas: str) -> list[dict]:
    q = sql.SQL(query).format(**{k: sql.Identifier(v) for k, v in schemas.items()})
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(q, params)
        return cur.fetchall()


def _age(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def period_start(as_at: date) -> date:
    """The first day of the 12 months that end on ``as_at``."""
    try:
        year_before = as_at.replace(year=as_at.year - 1)
    except ValueError:  # 29 February
        year_before = date(as_at.year - 1, 2, 28)
    return year_before + timedelta(days=1)


def annex_a_lists(
    conn: psycopg.Connection, as_at: date, schema: str = "bi", case_schema: str = "case_level"
) -> dict[int, list[list]]:
    """List number -> rows (child columns + the list's own); unfilled lists are empty."""
    p_start = period_start(as_at)
    params = {"p_start": p_start, "as_at": as_at}
    children = {
        r["child_key"]: r
        for r in _q(
            conn,
            """select d.child_key, d.gender_label, d.ethnicity_code, c.child_id, c.date_of_birth
               from {s}.dim_child d left join {c}.case_children c using (child_key)""",
            {},
            s=schema,
            c=case_schema,
        )
    }
    out: dict[int, list[list]] = {}
    for number, _title, cols, query, _note in LISTS:
        rows: list[list] = []
        if query:
            for r in _q(conn, query, params, s=schema):
                c = children.get(r["child_key"], {})
                first = r["d1"]
                extra = [r.get("d1")] + [r.get(f"c{i}") for i in range(1, len(cols))]
                rows.append(
                    [
                        c.get("child_id"),
                        r["child_key"],
                        c.get("gender_label"),
                        c.get("ethnicity_code"),
                        _age(c.get("date_of_birth"), first or as_at),
                        *extra,
                    ]
                )
        out[number] = rows
    return out


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite the xlsx zip with fixed timestamps and a fixed entry order."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, src.read(name))
    return buf.getvalue()


def write_annex_a(
    settings,
    as_at: date,
    path: str | Path,
    *,
    schema: str = "bi",
    case_schema: str = "case_level",
) -> dict:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t0 = time.monotonic()
    with psycopg.connect(settings.conninfo()) as conn:
        lists = annex_a_lists(conn, as_at, schema, case_schema)
    wb = Workbook()
    wb.remove(wb.active)
    for number, title, cols, query, note in LISTS:
        ws = wb.create_sheet(f"List {number}")
        ws.append([f"Annex A list {number}: {title}"])
        ws["A1"].font = Font(bold=True)
        ws.append(
            [f"12 months to {as_at.isoformat()}" + (f". Not filled: {note}." if not query else "")]
        )
        ws.append(CHILD_COLS + cols)
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for row in lists[number]:
            ws.append(row)
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    wb.properties.creator = "csc-warehouse"
    wb.properties.lastModifiedBy = "csc-warehouse"
    buf = io.BytesIO()
    wb.save(buf)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_deterministic_zip(buf.getvalue()))
    counts = {f"list_{n}": len(lists[n]) for n, *_ in LISTS}
    return {
        "return": "annex-a",
        "as_at": as_at.isoformat(),
        "files": [str(path)],
        "counts": counts,
        "unfilled_lists": [n for n, _t, _c, q, _n in LISTS if not q],
        "seconds": round(time.monotonic() - t0, 2),
        "ok": True,
    }
