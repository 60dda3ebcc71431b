"""The mart -> the return writers' dataclasses, for one collection year (1 April - 31 March).

The queries read the BI schema (``bi`` once published, ``analytics`` after an ad-hoc ``dbt
build``) for the events, and the case-level schema (``case_level``) for what BI must not hold
and the DfE needs: the child's identifier, full date of birth, UPN, home postcode and date of
death (``case_children``). Every function takes an open psycopg connection and the two schema
names.

Identifiers: a return carries the warehouse's stable child identifier
(``case_children.child_id``, e.g. ``C00220B990412A22``) as LAchildID / CHILD; the functions
also give back ``id -> child_key`` so the validation report names the child by the
pseudonymous key analysts look up in BI, never by the LA id or a name.

``as_at`` (default: the period end) cuts the data for a return built part-way through a year:
nothing dated after it is used, so the "so far" return of the monthly DAG is stable.

The choices the mapping makes where the mart does not hold what the DfE asks (listed in
docs/returns.md, "Building the returns from the mart"):

* CIN: an episode (a stitched ``fct_referrals`` row: a technical closure and its reopening are
  one referral) is in the census when open at any point in the year; a closure after the period
  end is left out (open on the census date); ``TECH`` (a closure in the old system that was
  never reopened) is not a DfE reason and is written as still open in the year it happened.
  RC8/RC9 ("closed after assessment") on an episode with a S47, CP or CIN plan is written RC7
  (rule 2990) and ``ReferralNFA`` only when nothing followed the referral.
  ``InitialCPCtarget`` = S47 start + 15 working days (``dim_date``); the ICPC date is written on
  the S47 only (rule 2884); ``NumberOfPreviousCPP`` = the plan's sequence - 1; assessment
  factors only on authorised assessments; a child with no disability recorded gets ``NONE``;
  a child without a UPN gets ``UPNunknown`` UN1 (under 6 at the census date) or UN2.
* 903: episodes come from ``fct_cla_episodes`` and are chained per child by the 903's rule (a
  new episode at every change of placement or legal status, one period of care): an episode
  followed the same or the next day by one whose RNE is not ``S``, or ended by a technical
  closure (``TECH``) and continued in the other system (same ``care_period_key``), ends on the
  next one's start with REC ``X1``; across a transfer, an episode that changes nothing is
  merged into the previous one (the transfer starts neither an episode nor a period of care).
  ``REASON_PLACE_CHANGE`` is not held: ``OTHER`` is written on an episode ending with a
  placement change (rule 225 asks for one). ``URN`` ``XXXXXXX`` (no Ofsted URN held),
  ``PL_POST`` and ``HOME_POST`` the episode's full postcodes (``case_cla_episode_postcodes``:
  BI holds the district only), the child's latest home postcode when the episode has none.
  Social worker episodes from SW allocations (``fct_allocations``, a technical transfer
  continues an allocation), with ``SW_REASON`` FCONTA (first), LEFTRL (the previous
  worker left), TSPROC (a change of team) or OTHERS.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from csc_warehouse.returns import cin_census as cin
from csc_warehouse.returns import ssda903 as lac

SEX = {"1": "M", "2": "F", "M": "M", "F": "F"}
DFE_CLOSURE_REASONS = {f"RC{i}" for i in range(1, 9)}
PLACEMENT_CHANGE_UNKNOWN = "OTHER"
NO_URN = "XXXXXXX"
TECH = "TECH"
SW_ID_LENGTH = 20
SW_ID_PREFIX = "SW"  # rule SW02STG1: an SW_ID begins with SW (or XX)


@dataclass
class Extract:
    """A return's data with the id map (LA child id -> pseudonymous child key) and notes for
    the analyst (choices the mapping made that touch this return's rows)."""

    data: object
    child_keys: dict[str, str] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)


def rows(conn: psycopg.Connection, query: str, params: dict, **schemas: str) -> list[dict]:
    """Run ``query`` with ``{name}`` placeholders replaced by quoted schema identifiers."""
    q = sql.SQL(query).format(**{k: sql.Identifier(v) for k, v in schemas.items()})
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(q, params)
        return cur.fetchall()


def codes(text: str | None) -> tuple[str, ...]:
    """'2A;3A, 21' -> ('21', '2A', '3A') (sorted, unique; ';' or ',' separated)."""
    if not text:
        return ()
    parts = {chunk.strip() for chunk in text.replace(";", ",").split(",")}
    return tuple(sorted(p for p in parts if p))


def age_on(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def sw_id(worker_key: str | None) -> str | None:
    """The worker identifier the 903 and the CSWW share: ``SW`` and the first 18 characters
    of the pseudonymous worker key (the 903's SW_ID holds at most 20 and begins with SW)."""
    if not worker_key:
        return None
    return (SW_ID_PREFIX + worker_key)[:SW_ID_LENGTH]


def _upn_unknown(birth: date | None, on: date) -> str:
    """The CIN ``UPNunknown`` reason for a child with no UPN: UN1 (under 6, not yet at school)
    or UN2 (never attended a state school) - the mart cannot tell more."""
    age = age_on(birth, on)
    return "UN1" if age is None or age < 6 else "UN2"


def _upn_903(birth: date | None, p_start: date) -> str:
    """The 903 UPN for a child without one: UN1 (under school age) unless the child was 4 on
    31 August of the year before the collection year started (rule 209), else UN5 (sources
    collating UPNs do not hold it)."""
    reference = date(p_start.year - 1, 8, 31)
    if birth is None or age_on(birth, reference) < 4:
        return "UN1"
    return "UN5"


def _in(start: date | None, end: date | None, p_start: date, p_end: date) -> bool:
    """[start, end] (end None = open) overlaps [p_start, p_end]."""
    return start is not None and start <= p_end and (end is None or end >= p_start)


def _cut(d: date | None, p_end: date) -> date | None:
    """A date after the period end is not yet known on the census date."""
    return d if d is not None and d <= p_end else None


def period(year: int, as_at: date | None = None) -> tuple[date, date]:
    """The collection year's first day and its last day known (31 March, or ``as_at``)."""
    p_start, p_end = date(year - 1, 4, 1), date(year, 3, 31)
    if as_at is not None and as_at < p_end:
        if as_at < p_start:
            raise ValueError(f"as-at {as_at} is before the collection year {year} starts")
        p_end = as_at
    return p_start, p_end


# --------------------------------------------------------------------------------------------
# children (case level + BI)


def children(conn, keys: set[str], schema: str, case_schema: str) -> dict[str, dict]:
    """child_key -> the child's BI attributes and case-level identifiers."""
    if not keys:
        return {}
    found = rows(
        conn,
        """
        select d.child_key, d.gender_code, d.ethnicity_code, d.disability_codes,
               d.has_disability, d.birth_month,
               c.child_id, c.date_of_birth, c.upn, c.postcode, c.date_of_death
        from {s}.dim_child d
        left join {c}.case_children c on c.child_key = d.child_key
        where d.child_key = any(%(keys)s)
        """,
        {"keys": sorted(keys)},
        s=schema,
        c=case_schema,
    )
    return {r["child_key"]: r for r in found}


def la_id(child: dict) -> str:
    """The identifier a return carries for the child (the warehouse's child_id)."""
    return child.get("child_id") or child["child_key"][:16]


def sex(child: dict) -> str:
    return SEX.get(str(child.get("gender_code")), "U")


def sex_903(child: dict, year: int) -> str:
    """903 SEX: M, F or U from 2024-25; 1 male, 2 female before (no code for not known:
    written U, which the year's rule 101 reports for the analyst to resolve)."""
    code = sex(child)
    return code if year >= 2025 else {"M": "1", "F": "2"}.get(code, "U")


# --------------------------------------------------------------------------------------------
# CIN census


def cin_census(
    conn: psycopg.Connection,
    year: int,
    la_code: str,
    schema: str = "bi",
    case_schema: str = "case_level",
    as_at: date | None = None,
) -> Extract:
    """Children in need in the collection year ending 31 March ``year`` (up to ``as_at``)."""
    p_start, p_end = period(year, as_at)
    params = {"p_start": p_start, "p_end": p_end}
    refs = rows(
        conn,
        """
        select * from {s}.fct_referrals
        where referral_date <= %(p_end)s
          and (closure_date is null or closure_date >= %(p_start)s)
        order by child_key, referral_date, referral_key
        """,
        params,
        s=schema,
    )
    kp = {"refs": [r["referral_key"] for r in refs], **params}
    assessments = rows(
        conn,
        """
        select * from {s}.fct_assessments
        where referral_key = any(%(refs)s) and start_date <= %(p_end)s
          and (authorised_date is null or authorised_date >= %(p_start)s)
        """,
        kp,
        s=schema,
    )
    s47s = rows(
        conn,
        """
        select s.*, t.date_day as icpc_target
        from {s}.fct_section47s s
        left join {s}.dim_date d on d.date_day = s.start_date
        left join lateral (
            select w.date_day from {s}.dim_date w
            where w.is_working_day and w.date_day > s.start_date
            order by w.date_day offset 14 limit 1
        ) t on true
        where s.referral_key = any(%(refs)s) and s.start_date <= %(p_end)s
          and (s.start_date >= %(p_start)s or s.icpc_date is null
               or s.icpc_date >= %(p_start)s)
        """,
        kp,
        s=schema,
    )
    cin_plans = rows(
        conn,
        """
        select * from {s}.fct_cin_plans
        where referral_key = any(%(refs)s) and start_date <= %(p_end)s
          and (end_date is null or end_date >= %(p_start)s)
        """,
        kp,
        s=schema,
    )
    cp_plans = rows(
        conn,
        """
        select * from {s}.fct_cp_plans
        where referral_key = any(%(refs)s) and start_date <= %(p_end)s
          and (end_date is null or end_date >= %(p_start)s)
        """,
        kp,
        s=schema,
    )
    reviews = rows(
        conn,
        """
        select cp_plan_key, review_date from {s}.fct_cp_reviews
        where cp_plan_key = any(%(plans)s)
          and review_date between %(p_start)s and %(p_end)s
        """,
        {"plans": [p["cp_plan_key"] for p in cp_plans], **params},
        s=schema,
    )
    kids = children(conn, {r["child_key"] for r in refs}, schema, case_schema)
    notes: Counter = Counter()

    by_ref: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for a in assessments:
        authorised = _cut(a["authorised_date"], p_end)
        by_ref[a["referral_key"]]["assessments"].append(
            cin.Assessment(
                a["start_date"],
                authorisation_date=authorised,
                factors=codes(a["factor_codes"]) if authorised else (),
            )
        )
    for s in s47s:
        icpc = _cut(s["icpc_date"], p_end)
        by_ref[s["referral_key"]]["s47"].append(
            cin.Section47(
                s["start_date"],
                icpc_target=s["icpc_target"] or s["start_date"] + timedelta(days=21),
                icpc_date=icpc,
                icpc_not_required=s["is_icpc_required"] is False and icpc is None,
            )
        )
    for p in cin_plans:
        by_ref[p["referral_key"]]["cin_plans"].append(
            cin.CINPlan(p["start_date"], _cut(p["end_date"], p_end))
        )
    reviews_by_plan: dict[str, list[date]] = defaultdict(list)
    for r in reviews:
        reviews_by_plan[r["cp_plan_key"]].append(r["review_date"])
    for p in cp_plans:
        by_ref[p["referral_key"]]["cp"].append(
            cin.CPPlan(
                p["start_date"],
                initial_category=p["initial_category_code"],
                latest_category=p["latest_category_code"] or p["initial_category_code"],
                number_of_previous_cpp=max(int(p["plan_sequence"] or 1) - 1, 0),
                end_date=_cut(p["end_date"], p_end),
                review_dates=tuple(sorted(reviews_by_plan.get(p["cp_plan_key"], ()))),
            )
        )

    refs_by_child: dict[str, list[cin.Referral]] = defaultdict(list)
    for r in refs:
        closure = _cut(r["closure_date"], p_end)
        reason = r["closure_reason_code"] if closure else None
        if closure and reason not in DFE_CLOSURE_REASONS:
            notes[f"closure {reason or 'without reason'} written as open"] += 1
            closure, reason = None, None
        parts = by_ref.get(r["referral_key"], {})
        if reason in ("RC8", "RC9") and (
            parts.get("s47") or parts.get("cp") or parts.get("cin_plans")
        ):
            # "closed after assessment" but services followed (S47, CP or CIN plan): the DfE
            # code for that closure is RC7 (rule 2990)
            notes[f"{reason} with a S47, CP or CIN plan written as RC7"] += 1
            reason = "RC7"
        activity = any(parts.get(k) for k in ("assessments", "s47", "cp", "cin_plans"))
        refs_by_child[r["child_key"]].append(
            cin.Referral(
                r["referral_date"],
                r["referral_source_code"],
                primary_need_code=r["primary_need_code"],
                closure_date=closure,
                reason_for_closure=reason,
                referral_nfa=bool(r["is_nfa"]) and not activity,
                assessments=tuple(parts.get("assessments", ())),
                cin_plans=tuple(parts.get("cin_plans", ())),
                section47s=tuple(parts.get("s47", ())),
                cp_plans=tuple(parts.get("cp", ())),
            )
        )

    out: list[cin.Child] = []
    keys: dict[str, str] = {}
    for child_key in sorted(refs_by_child):
        c = kids.get(child_key)
        if c is None:
            notes["child missing from dim_child (left out)"] += 1
            continue
        lid = la_id(c)
        keys[lid] = child_key
        birth = c["date_of_birth"]
        upn = c["upn"] or None
        out.append(
            cin.Child(
                lid,
                sex=sex(c),
                ethnicity=c["ethnicity_code"] or "NOBT",
                birth_date=birth,
                upn=upn,
                upn_unknown=None if upn else _upn_unknown(birth, p_end),
                death_date=_cut(c["date_of_death"], p_end),
                disabilities=tuple(d for d in codes(c["disability_codes"]) if d != "NONE")
                or ("NONE",),
                referrals=tuple(refs_by_child[child_key]),
            )
        )
    census = cin.CINCensus(collection_year=year, la_code=la_code, children=tuple(out))
    return Extract(census, keys, dict(sorted(notes.items())))


# --------------------------------------------------------------------------------------------
# SSDA903

_RNE_CHANGE = {  # (legal status changed, placement changed) -> RNE, the child did not move
    (True, False): "L",
    (False, True): "B",
    (True, True): "U",
}


def chain_episodes(episodes: list[dict], notes: Counter | None = None) -> list[dict]:
    """One child's episodes (sorted by start) as 903 episodes: see the module docstring."""
    notes = notes if notes is not None else Counter()
    out: list[dict] = []
    for e in episodes:
        e = dict(e)
        prev = out[-1] if out else None
        if prev is not None and prev["end_date"] is not None:
            technical = (
                prev["reason_ceased_code"] == TECH or prev.get("is_technical_closure")
            ) and prev["care_period_key"] == e["care_period_key"]
            follows = e["rne_code"] != "S" and e["start_date"] <= prev["end_date"] + timedelta(
                days=1
            )
            if technical:
                changed = (
                    prev["legal_status_code"] != e["legal_status_code"],
                    prev["placement_type_code"] != e["placement_type_code"]
                    or prev["placement_provider_code"] != e["placement_provider_code"],
                )
                notes["technical closures joined up (transfer between systems)"] += 1
                if not any(changed) and prev["cin_code"] == e["cin_code"]:
                    prev["end_date"] = e["end_date"]
                    prev["reason_ceased_code"] = e["reason_ceased_code"]
                    prev["is_technical_closure"] = e.get("is_technical_closure")
                    continue
                prev["end_date"] = e["start_date"]
                prev["reason_ceased_code"] = "X1"
                if e["rne_code"] == "S":
                    e["rne_code"] = _RNE_CHANGE.get(changed, "B")
            elif follows:
                if prev["reason_ceased_code"] != "X1":
                    notes[
                        f"episode followed by another (RNE {e['rne_code']}): REC "
                        f"{prev['reason_ceased_code']} written as X1"
                    ] += 1
                prev["end_date"] = e["start_date"]
                prev["reason_ceased_code"] = "X1"
        out.append(e)
    return out


def sw_episodes(allocations: list[dict]) -> list[lac.SWEpisode]:
    """One child's SW allocations (every one, whole history) -> social worker episodes.

    One worker's consecutive allocations (within 7 days) are one episode; an episode ends when
    the next starts (no overlaps, rule SW10); the reason is FCONTA for the first or after a gap
    of more than 7 days, else LEFTRL when the previous worker left within 7 days of the change,
    TSPROC when the team changed, else OTHERS.
    """
    merged: list[dict] = []
    for a in sorted(
        allocations, key=lambda a: (a["start_date"], a["end_date"] or date.max, a["worker_key"])
    ):
        a = dict(a)
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev["worker_key"] == a["worker_key"]
            and (
                prev["end_date"] is None or a["start_date"] <= prev["end_date"] + timedelta(days=7)
            )
        ):
            if prev["end_date"] is not None and (
                a["end_date"] is None or a["end_date"] > prev["end_date"]
            ):
                prev["end_date"] = a["end_date"]
            continue
        if prev is not None and (prev["end_date"] is None or prev["end_date"] > a["start_date"]):
            if prev["start_date"] == a["start_date"]:
                merged.pop()  # two allocations from the same day: the later worker stands
                prev = merged[-1] if merged else None
            else:
                prev["end_date"] = a["start_date"]
        merged.append(a)
    # an episode that lasted under a day (two allocations on consecutive days, a one-day
    # allocation) is not a social worker episode (rule SW09STG2): the next one takes over from
    # its start when it follows the next day, so the child is not shown without a social
    # worker that day (a child coming into care that day would read as nobody at the start of
    # care, SW12STG2; found at scale 1)
    kept: list[dict] = []
    for i, a in enumerate(merged):
        if a["end_date"] is None or a["end_date"] > a["start_date"]:
            kept.append(a)
            continue
        nxt = merged[i + 1] if i + 1 < len(merged) else None
        if nxt is not None and nxt["start_date"] <= a["end_date"] + timedelta(days=1):
            nxt["start_date"] = a["start_date"]
    merged = kept
    out = []
    for i, a in enumerate(merged):
        prev = merged[i - 1] if i else None
        if (
            prev is None
            or prev["end_date"] is None
            or (a["start_date"] > prev["end_date"] + timedelta(days=7))
        ):
            reason = "FCONTA"
        elif prev.get("leaving_date") and abs((prev["leaving_date"] - prev["end_date"]).days) <= 7:
            reason = "LEFTRL"
        elif prev.get("team_key") != a.get("team_key"):
            reason = "TSPROC"
        else:
            reason = "OTHERS"
        out.append(lac.SWEpisode(sw_id(a["worker_key"]), a["start_date"], a["end_date"], reason))
    return out


def sw_episodes_in_return(
    episodes: list[lac.SWEpisode],
    p_start: date,
    p_end: date,
    care_end: date | None = None,
    notes: Counter | None = None,
) -> tuple[lac.SWEpisode, ...]:
    """The social worker episodes a child's 903 record holds for the year.

    A child looked after on 31 March (``care_end`` None): every episode open at any time in the
    year, those before care included (rule SW12STG2's message). A child who ceased to be looked
    after in the year (``care_end`` the end of their last episode in the year): the episodes up
    to the end of care; the one still running then is written without an end (it did not end
    while the child was looked after), and those that began after are not the 903's. Otherwise
    a case closed months after care ended, in the last five days of March, reads as a social
    worker leaving a child with no successor (SW11bSTG2).
    """
    out = []
    for s in episodes:
        if not _in(s.sw_decom, s.sw_dec, p_start, p_end):
            continue
        if care_end is not None:
            if s.sw_decom > care_end:
                if notes is not None:
                    notes["SW episode after the child left care (left out)"] += 1
                continue
            if s.sw_dec is None or s.sw_dec >= care_end:
                if s.sw_dec is not None and notes is not None:
                    notes["SW episode running when care ended (written open)"] += 1
                s = replace(s, sw_dec=None)
        out.append(s)
    return tuple(out)


def ssda903(
    conn: psycopg.Connection,
    year: int,
    schema: str = "bi",
    case_schema: str = "case_level",
    as_at: date | None = None,
) -> Extract:
    """Children looked after at any time in the collection year ending 31 March ``year``."""
    p_start, p_end = period(year, as_at)
    params = {"p_start": p_start, "p_end": p_end}
    episodes = rows(
        conn,
        """
        select e.*, p.placement_postcode, p.home_postcode as episode_home_postcode
        from {s}.fct_cla_episodes e
        left join {c}.case_cla_episode_postcodes p on p.episode_key = e.episode_key
        where e.child_key in (
            select child_key from {s}.fct_cla_episodes
            where start_date <= %(p_end)s and (end_date is null or end_date >= %(p_start)s)
        ) and e.start_date <= %(p_end)s + 1
        -- and the day after the year: an episode continued on 1 April did not cease on 31
        -- March (903 rule 388: an X1 needs its continuation), it is open in this year's return
        order by e.child_key, e.start_date, coalesce(e.end_date, date '9999-12-31'),
                 e.episode_key
        """,
        params,
        s=schema,
        c=case_schema,
    )
    child_keys = sorted({e["child_key"] for e in episodes})
    missing = rows(
        conn,
        """
        select * from {s}.fct_missing
        where child_key = any(%(keys)s) and start_date between %(p_start)s and %(p_end)s
        """,
        {"keys": child_keys, **params},
        s=schema,
    )
    allocations = rows(
        conn,
        """
        select a.allocation_key, a.child_key, a.worker_key,
               min(a.allocation_start_date) as start_date,
               max(a.allocation_end_date) as end_date,
               (array_agg(a.team_key order by a.segment_sequence desc))[1] as team_key,
               min(w.leaving_date) as leaving_date
        from {s}.fct_allocations a
        left join {s}.dim_worker w on w.worker_key = a.worker_key
        where a.role_code = 'SW' and a.child_key = any(%(keys)s)
          and a.allocation_start_date <= %(p_end)s
        group by a.allocation_key, a.child_key, a.worker_key
        """,
        {"keys": child_keys, **params},
        s=schema,
    )
    kids = children(conn, set(child_keys), schema, case_schema)
    notes: Counter = Counter()

    eps_by_child: dict[str, list[dict]] = defaultdict(list)
    for e in episodes:
        eps_by_child[e["child_key"]].append(e)
    miss_by_child: dict[str, list[dict]] = defaultdict(list)
    for m in missing:
        miss_by_child[m["child_key"]].append(m)
    alloc_by_child: dict[str, list[dict]] = defaultdict(list)
    for a in allocations:
        if a["end_date"] is not None and a["end_date"] > p_end:
            a["end_date"] = None
        alloc_by_child[a["child_key"]].append(a)

    out: list[lac.LookedAfterChild] = []
    keys: dict[str, str] = {}
    for child_key in child_keys:
        c = kids.get(child_key)
        if c is None or c["date_of_birth"] is None:
            notes["child without date of birth (left out)"] += 1
            continue
        chained = chain_episodes(eps_by_child[child_key], notes)
        for e in chained:
            if e["end_date"] is not None and e["end_date"] > p_end:
                e["end_date"], e["reason_ceased_code"] = None, None
            elif e["reason_ceased_code"] == TECH and e["end_date"] is not None:
                # a technical closure that nothing continued: as far as the warehouse knows
                # the child was still looked after (only in the year it happened)
                notes["technical closure never reopened: written as open"] += 1
                e["reason_ceased_code"] = None
                e["open_from_tech"] = e["end_date"]
        eps = [
            e
            for e in chained
            if _in(e["start_date"], e.get("open_from_tech") or e["end_date"], p_start, p_end)
        ]
        if not eps:
            continue
        lid = la_id(c)
        keys[lid] = child_key
        rows_: list[lac.Episode] = []
        for i, e in enumerate(eps):
            dec = None if e.get("open_from_tech") else e["end_date"]
            rec = e["reason_ceased_code"] if dec else None
            nxt = eps[i + 1] if i + 1 < len(eps) else None
            change = None
            if rec == "X1" and nxt is not None and nxt["rne_code"] in ("P", "T", "B", "U"):
                change = PLACEMENT_CHANGE_UNKNOWN
            rows_.append(
                lac.Episode(
                    e["start_date"],
                    e["rne_code"],
                    e["legal_status_code"],
                    e["cin_code"],
                    e["placement_type_code"],
                    place_provider=e["placement_provider_code"],
                    dec=dec,
                    rec=rec,
                    reason_place_change=change,
                    home_post=e["episode_home_postcode"] or c["postcode"],
                    pl_post=e["placement_postcode"],
                    urn=NO_URN,
                )
            )
        # periods of care: a new one at every RNE S
        starts = [e["start_date"] for e in chained if e["rne_code"] == "S"]
        started_in_year = any(p_start <= s <= p_end for s in starts)
        last = eps[-1]
        open_at_end = last["end_date"] is None or last.get("open_from_tech")
        current_start = max((s for s in starts if s <= last["start_date"]), default=None)
        oc2 = None
        if (
            open_at_end
            and current_start is not None
            and current_start <= p_start
            and p_end == date(year, 3, 31)
        ):
            oc2 = lac.OC2()  # the outcomes are not held: the analyst completes them
        out.append(
            lac.LookedAfterChild(
                lid,
                sex_903(c, year),
                c["date_of_birth"],
                c["ethnicity_code"] or "NOBT",
                upn=c["upn"] or _upn_903(c["date_of_birth"], p_start),
                episodes=tuple(rows_),
                missing=tuple(
                    lac.MissingEpisode(
                        m["missing_or_away"], m["start_date"], _cut(m["end_date"], p_end)
                    )
                    for m in miss_by_child.get(child_key, ())
                ),
                oc2=oc2,
                prev_perm=lac.PrevPerm("Z1") if started_in_year else None,
                sw_episodes=sw_episodes_in_return(
                    sw_episodes(alloc_by_child.get(child_key, [])),
                    p_start,
                    p_end,
                    care_end=None if open_at_end else last["end_date"],
                    notes=notes,
                ),
            )
        )
    ret = lac.SSDA903Return(collection_year=year, children=tuple(out))
    return Extract(ret, keys, dict(sorted(notes.items())))
