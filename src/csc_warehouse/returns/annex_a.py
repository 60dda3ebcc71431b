"""Ofsted ILACS Annex A: the workbook of lists 1-11 for the 12 months before a date (xlsx).

One sheet per list (``List 1`` .. ``List 11``): a title row, a row saying the period and what
the warehouse could not fill, the column headings, then one row per child or event. Column
headings follow the ILACS Annex A template as best known (the headings the D2I / Social
Finance Annex A tools read, e.g. "Child Unique ID", "Date of referral", "Continuous
Assessment Date of Authorisation", "Date Started to be Looked After"). Every child row starts
with the common columns (Child Unique ID = the warehouse's child id, Gender, Ethnicity, Date of
Birth, Age of Child (Years) on the date, Does the Child have a Disability) and ends with the
pseudonymous ``Warehouse Child Key`` so an analyst can find the child in BI.

Annex A goes to inspectors with children's identifiers and dates of birth: it is case-level
output (``case_level.case_children``), never BI.

What the mart cannot fill is written as headings and a note (and listed in the result): in
list 1 the source of a contact that did not become a referral (the council records none); in
lists 8-10 the UASC flag, statutory reviews, care leavers' contact/activity/
accommodation and adoption decisions/matching are not held by the sources; list 11 holds the
special guardianship orders (children leaving care through an SGO), adopters are not held.

Deterministic: fixed document properties (the as-at date), fixed timestamps and order inside
the zip, so a rebuild is byte-identical.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg

from csc_warehouse.returns.from_mart import age_on, chain_episodes, rows, sw_id

COMMON = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Does the Child have a Disability",
]
ALLOCATED = ["Allocated Team", "Allocated Worker"]
KEY = ["Warehouse Child Key"]
PLACED_FOR_ADOPTION = ("A3", "A4", "A5", "A6")
SGO = {"E45": "Yes", "E46": "No"}  # SGO to former foster carers / to other carers
ADOPTED = ("E11", "E12")
# periods of care that do not make a care leaver: died, adopted, SGO / child arrangements order
NOT_CARE_LEAVER = ("E2", "E11", "E12", "E41", "E45", "E46", "E47", "E48")
CHANGES = ("P", "T", "B", "U")  # reasons for a new episode that change the placement


@dataclass(frozen=True)
class AnnexList:
    number: int
    title: str
    definition: str
    columns: list[str]
    not_held: str = ""  # why the list (or some of its columns) cannot be filled
    filled: bool = True


LISTS = [
    AnnexList(
        1,
        "Contacts",
        "All contacts received in the 12 months before the date (the council's front door; "
        "the trust's system recorded no contacts, 2016-04-01 to 2022-03-31).",
        COMMON[:5] + ["Date of Contact", "Contact Source"] + KEY,
        "the council records a source only for a contact that became a referral (the "
        "referral's source)",
    ),
    AnnexList(
        2,
        "Early Help",
        "Early help episodes (their assessments) started, completed or open in the 12 months "
        "before the date.",
        COMMON
        + ["Assessment start date", "Assessment completion date", "Organisation"]
        + ["Early Help Outcome"]
        + KEY,
    ),
    AnnexList(
        3,
        "Referrals",
        "All referrals received in the 12 months before the date (one row per referral; a "
        "technical closure and its reopening are one referral).",
        COMMON
        + [
            "Date of referral",
            "Referral Source",
            "Referral NFA?",
            "Number of Referrals in Last 12 Months",
        ]
        + ALLOCATED
        + KEY,
    ),
    AnnexList(
        4,
        "Assessments",
        "Single (continuous) assessments started, completed or open in the 12 months.",
        COMMON
        + [
            "Continuous Assessment Start Date",
            "Continuous Assessment Date of Authorisation",
            "Was the child assessed as requiring LA children's social care support?",
        ]
        + ALLOCATED
        + KEY,
    ),
    AnnexList(
        5,
        "Section 47 enquiries and ICPCs",
        "Section 47 enquiries started in the 12 months, with their initial conferences.",
        COMMON
        + [
            "Strategy discussion initiating Section 47 Enquiry Start Date",
            "Was an Initial Child Protection Conference deemed unnecessary?",
            "Date of Initial Child Protection Conference",
            "Did the Initial Child Protection Conference Result in a Child Protection Plan",
            "Number of Section 47 Enquiries in the last 12 months",
            "Number of ICPCs in the last 12 months",
        ]
        + ALLOCATED
        + KEY,
    ),
    AnnexList(
        6,
        "Children in need",
        "Children with a CIN episode open at any point in the 12 months (CP and looked-after "
        "children included), one row per episode.",
        COMMON
        + [
            "Primary Need Code",
            "CIN Start Date",
            "CIN Closure Date",
            "Reason for Closure",
            "Case Status",
            "Date Child Was Last Seen",
        ]
        + ALLOCATED
        + KEY,
    ),
    AnnexList(
        7,
        "Child protection",
        "Child protection plans open at any point in the 12 months.",
        COMMON
        + [
            "Child Protection Plan Start Date",
            "Initial Category of Abuse",
            "Latest Category of Abuse",
            "Date of the Last Statutory Visit",
            "Was the Child Seen Alone?",
            "Date of latest review conference",
            "Child Protection Plan End Date",
            "Number of Previous Child Protection Plans",
        ]
        + ALLOCATED
        + KEY,
    ),
    AnnexList(
        8,
        "Children in care",
        "Children looked after at any point in the 12 months, one row per child (their latest "
        "period of care; a transfer between systems does not start a new one).",
        COMMON
        + [
            "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
            "Date Started to be Looked After",
            "Child's Category of Need",
            "Is this a second or subsequent period of being a Looked After Child within the "
            "last 12 months (Y/N)",
            "Child's Legal Status",
            "Date of Latest Statutory Review",
            "Date of Last Social Work Visit",
            "Was the Child Seen Alone?",
            "Placement Type",
            "Placement Start Date",
            "Placement Provider",
            "Placement Postcode District",
            "Number of Placements in the Last 12 months",
            "Number of Missing Episodes in the Last 12 months",
            "Date Ceased to be Looked After",
            "Reason Ceased to be Looked After",
        ]
        + ALLOCATED
        + KEY,
        "UASC and statutory review dates are not held by the sources",
    ),
    AnnexList(
        9,
        "Care leavers",
        "Young people aged 16 to 25 on the date whose last period of care (13 weeks or more) "
        "ended when they were 16 or older, not by adoption, an SGO or a child arrangements "
        "order (eligibility derived from the periods of care).",
        COMMON
        + [
            "Eligibility Category",
            "Date Ceased to be Looked After",
            "Reason Ceased to be Looked After",
            "Allocated Personal Adviser",
            "In Touch",
            "Activity",
            "Accommodation",
        ]
        + KEY,
        "contact (in touch), activity and accommodation are not held by the sources",
    ),
    AnnexList(
        10,
        "Adoption",
        "Children with a placement order, placed for adoption or adopted in the 12 months.",
        COMMON
        + [
            "Date Started to be Looked After",
            "Date of Decision that Child Should be Placed for Adoption",
            "Date of Placement Order",
            "Date of Matching Child and Prospective Adopters",
            "Date Placed for Adoption",
            "Date of Adoption Order",
            "Date Ceased to be Looked After",
            "Reason Ceased to be Looked After",
        ]
        + ALLOCATED
        + KEY,
        "adoption (ADM) decisions and matching dates are not held by the sources",
    ),
    AnnexList(
        11,
        "Special guardianship orders and adopters",
        "Children who left care through a special guardianship order in the 12 months.",
        COMMON
        + [
            "Date Started to be Looked After",
            "Date Ceased to be Looked After",
            "Reason Ceased to be Looked After",
            "Special Guardianship Order to Former Foster Carers?",
        ]
        + ALLOCATED
        + KEY,
        "prospective adopters (enquiries, assessments, approvals) are not held by the sources",
    ),
]


def period_start(as_at: date) -> date:
    """The first day of the 12 months that end on ``as_at``."""
    try:
        year_before = as_at.replace(year=as_at.year - 1)
    except ValueError:  # 29 February
        year_before = date(as_at.year - 1, 2, 28)
    return year_before + timedelta(days=1)


def _team_name(team_key: str | None) -> str | None:
    return {"EH": "Local authority early help"}.get(team_key or "", team_key)


def _yn(value) -> str | None:
    return None if value is None else ("Yes" if value else "No")


def _overlaps(start, end, p_start, p_end) -> bool:
    return start is not None and start <= p_end and (end is None or end >= p_start)


# The CIN episodes the 12 months can reach: those that overlap them, and those an assessment
# of the 12 months belongs to (its outcome reads the episode's closure).
_RELEVANT = """(
    select referral_key from {s}.fct_referrals
    where referral_date <= %(as_at)s
        and (closure_date is null or closure_date >= %(p_start)s
            or referral_date >= %(p_start)s)
    union
    select referral_key from {s}.fct_assessments
    where start_date <= %(as_at)s
        and (authorised_date is null or authorised_date >= %(p_start)s)
)"""


class _Mart:
    """Everything the lists need, read once."""

    def __init__(self, conn, as_at: date, schema: str, case_schema: str) -> None:
        p = {"as_at": as_at, "p_start": period_start(as_at)}

        def q(query: str) -> list[dict]:
            return rows(conn, query.replace("{relevant}", _RELEVANT), p, s=schema, c=case_schema)

        # Only what the 12 months can reach is read (at scale 10 the whole history held
        # gigabytes in Python). A CIN episode is "relevant" when it overlaps the 12 months, or
        # an assessment in them belongs to it; the records of a relevant episode are read
        # whatever their dates (they decide an assessment's outcome or an episode's status),
        # and any record whose own dates reach the 12 months is read too.
        self.referrals = q(
            "select * from {s}.fct_referrals where referral_date <= %(as_at)s "
            "and referral_key in {relevant} "
            "order by child_key, referral_date, referral_key"
        )
        self.assessments = q(  # open on a date in the 12 months (lists 4 and 6)
            "select * from {s}.fct_assessments where start_date <= %(as_at)s "
            "and (authorised_date is null or authorised_date >= %(p_start)s) "
            "order by child_key, start_date, assessment_key"
        )
        self.s47s = q(
            "select * from {s}.fct_section47s where start_date <= %(as_at)s "
            "and (start_date >= %(p_start)s or icpc_date >= %(p_start)s "
            "or referral_key in {relevant}) "
            "order by child_key, start_date, s47_key"
        )
        self.cin_plans = q(
            "select * from {s}.fct_cin_plans where start_date <= %(as_at)s "
            "and (end_date is null or end_date >= %(p_start)s "
            "or referral_key in {relevant})"
        )
        self.cp_plans = q(
            "select * from {s}.fct_cp_plans where start_date <= %(as_at)s "
            "and (end_date is null or end_date >= %(p_start)s "
            "or referral_key in {relevant} "
            # list 5: a plan started on the day of (or after) an ICPC of the 12 months
            "or child_key in (select child_key from {s}.fct_section47s "
            "where icpc_date between %(p_start)s and %(as_at)s "
            "or start_date between %(p_start)s and %(as_at)s)) "
            "order by child_key, start_date, cp_plan_key"
        )
        self.reviews = q(
            "select cp_plan_key, max(review_date) as last_review from {s}.fct_cp_reviews "
            "where review_date <= %(as_at)s and cp_plan_key in ("
            "select cp_plan_key from {s}.fct_cp_plans "
            "where end_date is null or end_date >= %(p_start)s) group by cp_plan_key"
        )
        # Every list asks about a date in the 12 months (an item's end, or the date itself),
        # so the whole history of visits and allocations is not needed (at scale 10 it held
        # gigabytes in Python): the visits of the 12 months, plus each child's last visit of
        # each type before them (the answer when none in the 12 months qualifies); the
        # allocations still open on the 12 months' first day or later. Ties on a date are
        # broken by key, so the answer does not depend on the order rows come back in.
        self.visits = q(
            """select child_key, visit_date, visit_type_code, is_seen_alone
               from (
                   select child_key, visit_key, visit_date, visit_type_code, is_seen_alone
                   from {s}.fct_visits
                   where visit_date between %(p_start)s and %(as_at)s
                   union all
                   select * from (
                       select distinct on (child_key, visit_type_code)
                           child_key, visit_key, visit_date, visit_type_code, is_seen_alone
                       from {s}.fct_visits
                       where visit_date < %(p_start)s
                       order by child_key, visit_type_code, visit_date desc, visit_key desc
                   ) as last_before
               ) as visits
               order by child_key, visit_date, visit_key"""
        )
        self.allocations = q(
            "select child_key, worker_key, team_key, role_code, start_date, end_date "
            "from {s}.fct_allocations where start_date <= %(as_at)s "
            "and (end_date is null or end_date >= %(p_start)s) "
            "order by child_key, start_date, worker_key"
        )
        self.episodes = q(
            # and the day after: an episode continued then had not ceased on the date
            "select * from {s}.fct_cla_episodes where start_date <= %(as_at)s + 1 "
            "order by child_key, start_date, coalesce(end_date, date '9999-12-31'), episode_key"
        )
        self.missing = q(  # counted in the 12 months only
            "select child_key, start_date from {s}.fct_missing "
            "where start_date between %(p_start)s and %(as_at)s"
        )
        # lists 1 and 2 need only the 12 months (the lists themselves keep the same tests)
        self.contacts = q(
            "select * from {s}.fct_contacts "
            "where contact_date between %(p_start)s and %(as_at)s "
            "order by contact_date, child_key, contact_key"
        )
        self.early_help = q(
            "select * from {s}.fct_early_help where start_date <= %(as_at)s "
            "and (end_date is null or end_date >= %(p_start)s) "
            "order by start_date, child_key, early_help_key"
        )
        keys = sorted(
            {
                r["child_key"]
                for name in (
                    "referrals",
                    "assessments",
                    "s47s",
                    "cin_plans",
                    "cp_plans",
                    "visits",
                    "allocations",
                    "episodes",
                    "missing",
                    "contacts",
                    "early_help",
                )
                for r in getattr(self, name)
            }
        )
        p["keys"] = keys
        self.children = {
            r["child_key"]: r
            for r in q(
                """select d.child_key, d.gender_label, d.ethnicity_code, d.has_disability,
                          c.child_id, c.date_of_birth
                   from {s}.dim_child d left join {c}.case_children c
                     on c.child_key = d.child_key
                   where d.child_key = any(%(keys)s)"""
            )
        }
        self.by_child: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for name in ("referrals", "assessments", "s47s", "cp_plans", "visits", "missing"):
            for r in getattr(self, name):
                self.by_child[r["child_key"]][name].append(r)
        for a in self.allocations:
            self.by_child[a["child_key"]]["alloc_" + a["role_code"]].append(a)
        for e in self.episodes:
            self.by_child[e["child_key"]]["episodes"].append(e)
        self.last_review = {r["cp_plan_key"]: r["last_review"] for r in self.reviews}
        self.by_referral: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for name in ("assessments", "s47s", "cin_plans", "cp_plans"):
            for r in getattr(self, name):
                self.by_referral[r["referral_key"]][name].append(r)

    def allocated(self, child_key: str, on: date, role: str = "SW") -> tuple[str | None, ...]:
        """(team, worker id) of the child's allocation of ``role`` open on ``on``."""
        found = None
        for a in self.by_child[child_key].get("alloc_" + role, ()):
            if a["start_date"] <= on and (a["end_date"] is None or a["end_date"] >= on):
                found = a
        return (found["team_key"], sw_id(found["worker_key"])) if found else (None, None)

    def last_visit(self, child_key: str, on: date, types=("STAT", "CPV"), since=None):
        found = None
        for v in self.by_child[child_key].get("visits", ()):
            if v["visit_date"] <= on and v["visit_type_code"] in types:
                if since is None or v["visit_date"] >= since:
                    found = v
        return found


def annex_a_lists(
    conn: psycopg.Connection, as_at: date, schema: str = "bi", case_schema: str = "case_level"
) -> dict[int, list[list]]:
    """List number -> rows (the list's columns, in order); unfilled lists are empty."""
    p_start = period_start(as_at)
    m = _Mart(conn, as_at, schema, case_schema)

    def common(child_key: str, disability: bool = True) -> list:
        c = m.children.get(child_key, {})
        birth = c.get("date_of_birth")
        out = [
            c.get("child_id") or child_key[:16],
            c.get("gender_label"),
            c.get("ethnicity_code"),
            birth,
            -1 if birth and birth > as_at else age_on(birth, as_at),
        ]
        return out + [_yn(c.get("has_disability"))] if disability else out

    lists: dict[int, list[list]] = {n.number: [] for n in LISTS}

    # 1 contacts
    for c in m.contacts:
        if p_start <= c["contact_date"] <= as_at:
            k = c["child_key"]
            lists[1].append(
                common(k, disability=False)
                + [c["contact_date"], c["referral_source_code"] if c["is_referral"] else None, k]
            )

    # 2 early help
    for e in m.early_help:
        ended = e["end_date"] if e["end_date"] and e["end_date"] <= as_at else None
        if _overlaps(e["start_date"], ended, p_start, as_at):
            k = e["child_key"]
            lists[2].append(
                common(k)
                + [e["start_date"], ended, _team_name(e["team_key"])]
                + [e["outcome_code"] if ended else None, k]
            )

    # 3 referrals
    for r in m.referrals:
        if not p_start <= r["referral_date"] <= as_at:
            continue
        k = r["child_key"]
        in_12 = sum(p_start <= x["referral_date"] <= as_at for x in m.by_child[k]["referrals"])
        team, worker = m.allocated(k, min(as_at, r["closure_date"] or as_at))
        lists[3].append(
            common(k)
            + [r["referral_date"], r["referral_source_code"], _yn(r["is_nfa"]), in_12]
            + [r["team_key"] or team, worker, k]
        )

    # 4 assessments
    for a in m.assessments:
        if not _overlaps(a["start_date"], a["authorised_date"], p_start, as_at):
            continue
        k = a["child_key"]
        parts = m.by_referral.get(a["referral_key"], {})
        ref = next(
            (r for r in m.by_child[k]["referrals"] if r["referral_key"] == a["referral_key"]), None
        )
        services = any(
            x["start_date"] >= a["start_date"]
            for name in ("s47s", "cin_plans", "cp_plans")
            for x in parts.get(name, ())
        )
        if services:
            support = "Yes"
        elif (
            ref
            and ref["closure_reason_code"] in ("RC8", "RC9")
            and ref["closure_date"]
            and (ref["closure_date"] <= as_at)
        ):
            support = "No"
        else:
            support = None
        team, worker = m.allocated(k, min(as_at, a["authorised_date"] or as_at))
        lists[4].append(
            common(k)
            + [
                a["start_date"],
                a["authorised_date"]
                if a["authorised_date"] and a["authorised_date"] <= as_at
                else None,
                support,
            ]
            + [a["team_key"] or team, worker, k]
        )

    # 5 section 47 enquiries
    for s in m.s47s:
        if not p_start <= s["start_date"] <= as_at:
            continue
        k = s["child_key"]
        icpc = s["icpc_date"] if s["icpc_date"] and s["icpc_date"] <= as_at else None
        plan = None
        if icpc:
            plan = any(
                icpc <= p["start_date"] <= icpc + timedelta(days=1)
                for p in m.by_child[k]["cp_plans"]
            )
        mine = m.by_child[k]["s47s"]
        n_s47 = sum(p_start <= x["start_date"] <= as_at for x in mine)
        n_icpc = sum(bool(x["icpc_date"] and p_start <= x["icpc_date"] <= as_at) for x in mine)
        not_needed = None if s["is_icpc_required"] is None else not s["is_icpc_required"]
        team, worker = m.allocated(k, min(as_at, icpc or as_at))
        lists[5].append(
            common(k)
            + [s["start_date"], _yn(not_needed), icpc, _yn(plan), n_s47, n_icpc]
            + [team, worker, k]
        )

    # 8-11 need the 903 view of care: episodes chained per child. An episode starting the day
    # after the date only tells the chain that the one before it had not ended; it is dropped
    chained: dict[str, list[dict]] = {}
    for k, eps in ((k, v["episodes"]) for k, v in m.by_child.items() if v.get("episodes")):
        kept = [
            {**e, "end_date": e["end_date"] if e["end_date"] and e["end_date"] <= as_at else None}
            for e in chain_episodes(eps)
            if e["start_date"] <= as_at
        ]
        if kept:
            chained[k] = kept

    def looked_after_on(k: str, on: date) -> bool:
        return any(_overlaps(e["start_date"], e["end_date"], on, on) for e in chained.get(k, ()))

    # 6 children in need
    for r in m.referrals:
        closure = r["closure_date"] if r["closure_date"] and r["closure_date"] <= as_at else None
        if not _overlaps(r["referral_date"], closure, p_start, as_at):
            continue
        k = r["child_key"]
        parts = m.by_referral.get(r["referral_key"], {})
        on = closure or as_at

        def open_on(items, start="start_date", end="end_date", on=on) -> bool:
            return any(_overlaps(x[start], x[end], on, on) for x in items)

        if closure:
            status = "Closed episode"
        elif looked_after_on(k, on):
            status = "Looked after child"
        elif open_on(parts.get("cp_plans", ())):
            status = "Child Protection plan"
        elif open_on(parts.get("cin_plans", ())):
            status = "Child in need plan"
        elif open_on(parts.get("assessments", ()), end="authorised_date"):
            status = "Open Assessment"
        else:
            status = "Open referral"
        seen = m.last_visit(k, on, types=("STAT", "CPV", "OTHER"), since=r["referral_date"])
        team, worker = m.allocated(k, on)
        reason = r["closure_reason_code"] if closure else None
        lists[6].append(
            common(k)
            + [r["primary_need_code"], r["referral_date"], closure, reason, status]
            + [seen["visit_date"] if seen else None, r["team_key"] or team, worker, k]
        )

    # 7 child protection
    for p in m.cp_plans:
        end = p["end_date"] if p["end_date"] and p["end_date"] <= as_at else None
        if not _overlaps(p["start_date"], end, p_start, as_at):
            continue
        k = p["child_key"]
        on = end or as_at
        visit = m.last_visit(k, on, since=p["start_date"])
        team, worker = m.allocated(k, on)
        lists[7].append(
            common(k)
            + [
                p["start_date"],
                p["initial_category_code"],
                p["latest_category_code"] or p["initial_category_code"],
                visit["visit_date"] if visit else None,
                _yn(visit["is_seen_alone"]) if visit else None,
                m.last_review.get(p["cp_plan_key"]),
                end,
                max(int(p["plan_sequence"] or 1) - 1, 0),
            ]
            + [team, worker, k]
        )

    for k in sorted(chained, key=lambda k: m.children.get(k, {}).get("child_id") or k):
        eps = chained[k]
        starts = [i for i, e in enumerate(eps) if e["rne_code"] == "S" or i == 0]
        periods = [
            eps[i : (starts[n + 1] if n + 1 < len(starts) else len(eps))]
            for n, i in enumerate(starts)
        ]
        in_window = [
            p for p in periods if _overlaps(p[0]["start_date"], p[-1]["end_date"], p_start, as_at)
        ]
        born = m.children.get(k, {}).get("date_of_birth")
        if in_window:
            period = in_window[-1]
            first, last = period[0], period[-1]
            ceased = last["end_date"]
            rec = last["reason_ceased_code"] if ceased else None
            placements = [e for e in period if e is first or e["rne_code"] in CHANGES]
            current = max(
                (e for e in placements if e["start_date"] <= (ceased or as_at)),
                key=lambda e: e["start_date"],
            )
            n_placements = 0
            for p in in_window:
                moves = [x for n, x in enumerate(p) if n == 0 or x["rne_code"] in CHANGES]
                for n, e in enumerate(moves):
                    end = moves[n + 1]["start_date"] if n + 1 < len(moves) else p[-1]["end_date"]
                    n_placements += _overlaps(e["start_date"], end, p_start, as_at)
            visit = m.last_visit(k, ceased or as_at, types=("STAT",), since=first["start_date"])
            team, worker = m.allocated(k, ceased or as_at)
            lists[8].append(
                common(k)
                + [
                    None,
                    first["start_date"],
                    last["cin_code"],
                    "Y" if len(in_window) > 1 else "N",
                    last["legal_status_code"],
                    None,
                    visit["visit_date"] if visit else None,
                    _yn(visit["is_seen_alone"]) if visit else None,
                    current["placement_type_code"],
                    current["start_date"],
                    current["placement_provider_code"],
                    current.get("placement_postcode_district"),
                    n_placements,
                    sum(p_start <= x["start_date"] <= as_at for x in m.by_child[k]["missing"]),
                    ceased,
                    rec,
                ]
                + [team, worker, k]
            )
            order = next((e for e in period if e["legal_status_code"] == "E1"), None)
            placed = next(
                (e for e in period if e["placement_type_code"] in PLACED_FOR_ADOPTION), None
            )
            adopted = ceased if rec in ADOPTED else None
            if any(
                e is not None and _overlaps(e["start_date"], e["end_date"], p_start, as_at)
                for e in (order, placed)
            ) or (adopted and adopted >= p_start):
                lists[10].append(
                    common(k)
                    + [
                        first["start_date"],
                        None,
                        order["start_date"] if order else None,
                        None,
                        placed["start_date"] if placed else None,
                        adopted,
                        ceased,
                        rec,
                    ]
                    + [team, worker, k]
                )
            if rec in SGO and ceased and ceased >= p_start:
                lists[11].append(
                    common(k) + [first["start_date"], ceased, rec, SGO[rec]] + [team, worker, k]
                )
        # 9 care leavers: the last period ended at 16+, lasted 13 weeks, aged 16-25 now
        last_period = periods[-1]
        ended = last_period[-1]["end_date"]
        age_now = age_on(born, as_at)
        if (
            ended is not None
            and last_period[-1]["reason_ceased_code"] not in NOT_CARE_LEAVER
            and born is not None
            and age_on(born, ended) >= 16
            and (ended - last_period[0]["start_date"]).days >= 91
            and age_now is not None
            and 16 <= age_now <= 25
        ):
            _, adviser = m.allocated(k, as_at, role="PA")
            lists[9].append(
                common(k)
                + [
                    "Relevant" if age_now < 18 else "Former relevant",
                    ended,
                    last_period[-1]["reason_ceased_code"],
                    adviser,
                    None,
                    None,
                    None,
                    k,
                ]
            )
    return lists


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _deterministic(data: bytes, stamp: datetime) -> bytes:
    """The xlsx with a fixed modification time in its properties (openpyxl writes the clock
    there on save), fixed zip timestamps and a fixed entry order."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            content = src.read(name)
            if name == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + iso + rb"\g<2>", content)
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, content)
    return buf.getvalue()


def annex_a_workbook(lists: dict[int, list[list]], as_at: date) -> bytes:
    """The workbook, written row by row (openpyxl's write-only mode): memory stays flat and the
    time linear in the rows. Looking up ``ws.max_row`` per appended row, as a normal
    worksheet invites, scans every cell each time: 65 s at scale 1, hours at scale 10."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    p_start = period_start(as_at)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    for spec in LISTS:
        ws = wb.create_sheet(f"List {spec.number}")
        for i, heading in enumerate(spec.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(max(12, len(heading) + 2), 40)

        def cell(value, ws=ws, font=None):
            c = WriteOnlyCell(ws, value=value)
            if font is not None:
                c.font = font
            if isinstance(value, date | datetime):
                c.number_format = "dd/mm/yyyy"
            return c

        ws.append([cell(f"List {spec.number}: {spec.title}", font=bold)])
        line = f"{spec.definition} Period {p_start:%d/%m/%Y} to {as_at:%d/%m/%Y}."
        if not spec.filled:
            line += f" Not filled: {spec.not_held}."
        elif spec.not_held:
            line += f" Left blank: {spec.not_held}."
        ws.append([line])
        ws.append([cell(heading, font=bold) for heading in spec.columns])
        for row in lists[spec.number]:
            ws.append([cell(v) if isinstance(v, date | datetime) else v for v in row])
    stamp = datetime.combine(as_at, datetime.min.time())
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "csc-warehouse"
    wb.properties.lastModifiedBy = "csc-warehouse"
    wb.properties.title = f"Annex A as at {as_at.isoformat()}"
    buf = io.BytesIO()
    wb.save(buf)
    return _deterministic(buf.getvalue(), stamp)


def write_annex_a(
    settings,
    as_at: date,
    path: str | Path,
    *,
    schema: str = "bi",
    case_schema: str = "case_level",
) -> dict:
    """Write the workbook to ``path``; the build result (counts per list, unfilled lists)."""
    t0 = time.monotonic()
    with psycopg.connect(settings.conninfo()) as conn:
        lists = annex_a_lists(conn, as_at, schema, case_schema)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(annex_a_workbook(lists, as_at))
    counts = {f"list_{n}": len(r) for n, r in lists.items()}
    return {
        "return": "annex-a",
        "as_at": as_at.isoformat(),
        "period": [period_start(as_at).isoformat(), as_at.isoformat()],
        "files": [str(path)],
        "counts": counts,
        "children": len({row[-1] for r in lists.values() for row in r}),
        "unfilled_lists": {n.number: n.not_held for n in LISTS if not n.filled},
        "blank_columns": {n.number: n.not_held for n in LISTS if n.filled and n.not_held},
        "seconds": round(time.monotonic() - t0, 2),
        "ok": True,
        "errors": 0,
    }


__all__ = ["LISTS", "annex_a_lists", "annex_a_workbook", "period_start", "write_annex_a"]
