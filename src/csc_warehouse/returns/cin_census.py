"""The CIN census return: plain Python data -> the DfE's XML message for one collection year.

The data model mirrors the census modules (ChildIdentifiers, ChildCharacteristics/Disabilities,
CINdetails with Assessments, CINPlanDates, Section47, ChildProtectionPlans and their Reviews).
Element names and their order follow the DfE CIN census XML schema (the sequence the DfE's
COLLECT system and the ``csc-validator-be-cin`` reader expect)::

    Message
      Header
        CollectionDetails: Collection, Year, ReferenceDate
        Source: SourceLevel, LEA, SoftwareCode, Release, SerialNo, DateTime
      Children
        Child*
          ChildIdentifiers: LAchildID, UPN, FormerUPN, UPNunknown, PersonBirthDate,
                            ExpectedPersonBirthDate, Sex, PersonDeathDate
          ChildCharacteristics: Ethnicity, Disabilities (Disability+)
          CINdetails+: CINreferralDate, ReferralSource, PrimaryNeedCode, CINclosureDate,
                       ReasonForClosure, DateOfInitialCPC,
                       Assessments*: AssessmentActualStartDate, AssessmentInternalReviewDate,
                                     AssessmentAuthorisationDate,
                                     FactorsIdentifiedAtAssessment (AssessmentFactors+)
                       CINPlanDates*: CINPlanStartDate, CINPlanEndDate
                       Section47*: S47ActualStartDate, InitialCPCtarget, DateOfInitialCPC,
                                   ICPCnotRequired
                       ReferralNFA
                       ChildProtectionPlans*: CPPstartDate, CPPendDate, InitialCategoryOfAbuse,
                                              LatestCategoryOfAbuse, NumberOfPreviousCPP,
                                              Reviews (CPPreviewDate+)

From 2024-25 ``Sex`` (M, F, U) replaces ``GenderCurrent``; for earlier years the child's
``sex`` is written as ``GenderCurrent`` (M 1, F 2, U 0 not known), in the same place.
Dates are ISO ``YYYY-MM-DD``,
booleans ``true``/``false``.

The output is deterministic: children sorted by LAchildID, every repeated group sorted by its
dates, codes sorted, two-space indentation, LF line ends, UTF-8, and a header ``DateTime``
that comes from the input (``CINCensus.generated_at``; by default the reference date at
midnight) rather than the clock. Writing the same census twice gives byte-identical files.

Which children and episodes belong in a year's census (open at any point between 1 April and
31 March) is the caller's business: the writer writes what it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

SEX_CODES = ("M", "F", "U")
SEX_FROM_YEAR = 2025  # the first collection year with Sex (2024-25); GenderCurrent before
GENDER_CURRENT = {"M": "1", "F": "2", "U": "0"}
DISABILITY_CODES = (
    "NONE",
    "MOB",
    "HAND",
    "PC",
    "INC",
    "COMM",
    "LD",
    "HEAR",
    "VIS",
    "BEH",
    "CON",
    "AUT",
    "DDA",
)
CATEGORY_OF_ABUSE = ("NEG", "PHY", "SAB", "EMO", "MUL")


@dataclass(frozen=True)
class Assessment:
    """A (single) assessment within a CIN episode."""

    start_date: date
    authorisation_date: date | None = None
    internal_review_date: date | None = None
    factors: tuple[str, ...] = ()


@dataclass(frozen=True)
class CINPlan:
    """A child in need plan (CINPlanDates)."""

    start_date: date
    end_date: date | None = None


@dataclass(frozen=True)
class Section47:
    """A section 47 enquiry and, if held, its initial child protection conference."""

    start_date: date
    icpc_target: date | None = None
    icpc_date: date | None = None
    icpc_not_required: bool = False


@dataclass(frozen=True)
class CPPlan:
    """A child protection plan with its review dates."""

    start_date: date
    initial_category: str
    latest_category: str
    number_of_previous_cpp: int = 0
    end_date: date | None = None
    review_dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class Referral:
    """A CIN episode (the census' CINdetails): a referral and what followed from it."""

    referral_date: date
    referral_source: str
    primary_need_code: str | None = None
    closure_date: date | None = None
    reason_for_closure: str | None = None
    date_of_initial_cpc: date | None = None
    referral_nfa: bool = False
    assessments: tuple[Assessment, ...] = ()
    cin_plans: tuple[CINPlan, ...] = ()
    section47s: tuple[Section47, ...] = ()
    cp_plans: tuple[CPPlan, ...] = ()


@dataclass(frozen=True)
class Child:
    """One child in the census. ``disabilities`` holds DfE codes (MOB, AUT, ... or NONE)."""

    la_child_id: str
    sex: str
    ethnicity: str
    birth_date: date | None = None
    expected_birth_date: date | None = None
    upn: str | None = None
    former_upn: str | None = None
    upn_unknown: str | None = None
    death_date: date | None = None
    disabilities: tuple[str, ...] = ()
    referrals: tuple[Referral, ...] = ()


@dataclass(frozen=True)
class CINCensus:
    """A whole return. ``collection_year`` is the year the census period ends (2025 for 2024-25).

    ``la_code`` is the authority's three-digit (old LEA) number, e.g. ``"201"``.
    """

    collection_year: int
    la_code: str
    children: tuple[Child, ...] = field(default_factory=tuple)
    software_code: str = "csc-warehouse"
    release: str = "1"
    serial_no: str = "001"
    generated_at: datetime | None = None

    @property
    def reference_date(self) -> date:
        return date(self.collection_year, 3, 31)

    @property
    def period_start(self) -> date:
        return date(self.collection_year - 1, 4, 1)

    @property
    def ruleset(self) -> str:
        return ruleset_for_year(self.collection_year)


def ruleset_for_year(collection_year: int) -> str:
    """The validator's ruleset for a collection year: 2025 -> ``cin2024_25``."""
    return f"cin{collection_year - 1}_{collection_year % 100:02d}"


def _code_key(code: str) -> tuple:
    """Natural order for codes like 2A, 10A, 21: number first, then the letters."""
    match = re.match(r"(\d*)(.*)", code)
    number, rest = match.group(1), match.group(2)
    return (int(number) if number else 10**6, rest)


def _date_key(value: date | None) -> date:
    return value or date.max


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']
        self.depth = 0

    def open(self, tag: str) -> None:
        self.lines.append(f"{'  ' * self.depth}<{tag}>")
        self.depth += 1

    def close(self, tag: str) -> None:
        self.depth -= 1
        self.lines.append(f"{'  ' * self.depth}</{tag}>")

    def leaf(self, tag: str, value) -> None:
        """Write <tag>value</tag>; nothing at all when the value is None or empty."""
        text = _format(value)
        if text == "":
            return
        self.lines.append(f"{'  ' * self.depth}<{tag}>{escape(text)}</{tag}>")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _check(census: CINCensus) -> None:
    if not re.fullmatch(r"\d{3}", census.la_code):
        raise ValueError(f"la_code must be the three-digit LA number, not {census.la_code!r}")
    seen: set[str] = set()
    for child in census.children:
        if not child.la_child_id:
            raise ValueError("a child has no la_child_id")
        if child.la_child_id in seen:
            raise ValueError(f"child {child.la_child_id} appears twice")
        seen.add(child.la_child_id)
        if child.sex not in SEX_CODES:
            raise ValueError(f"child {child.la_child_id}: sex must be M, F or U, not {child.sex!r}")
        for code in child.disabilities:
            if code not in DISABILITY_CODES:
                raise ValueError(f"child {child.la_child_id}: unknown disability code {code!r}")


def cin_census_xml(census: CINCensus) -> bytes:
    """The census as UTF-8 XML bytes (deterministic)."""
    _check(census)
    w = _Writer()
    w.open("Message")
    w.open("Header")
    w.open("CollectionDetails")
    w.leaf("Collection", "CIN")
    w.leaf("Year", census.collection_year)
    w.leaf("ReferenceDate", census.reference_date)
    w.close("CollectionDetails")
    w.open("Source")
    w.leaf("SourceLevel", "L")
    w.leaf("LEA", census.la_code)
    w.leaf("SoftwareCode", census.software_code)
    w.leaf("Release", census.release)
    w.leaf("SerialNo", census.serial_no)
    w.leaf(
        "DateTime",
        census.generated_at or datetime.combine(census.reference_date, datetime.min.time()),
    )
    w.close("Source")
    w.close("Header")
    w.open("Children")
    for child in sorted(census.children, key=lambda c: c.la_child_id):
        _write_child(w, child, census.collection_year)
    w.close("Children")
    w.close("Message")
    return w.text().encode("utf-8")


def _write_child(w: _Writer, child: Child, collection_year: int) -> None:
    w.open("Child")
    w.open("ChildIdentifiers")
    w.leaf("LAchildID", child.la_child_id)
    w.leaf("UPN", child.upn)
    w.leaf("FormerUPN", child.former_upn)
    w.leaf("UPNunknown", child.upn_unknown)
    w.leaf("PersonBirthDate", child.birth_date)
    w.leaf("ExpectedPersonBirthDate", child.expected_birth_date)
    if collection_year >= SEX_FROM_YEAR:
        w.leaf("Sex", child.sex)
    else:
        w.leaf("GenderCurrent", GENDER_CURRENT[child.sex])
    w.leaf("PersonDeathDate", child.death_date)
    w.close("ChildIdentifiers")

    w.open("ChildCharacteristics")
    w.leaf("Ethnicity", child.ethnicity)
    disabilities = sorted(set(child.disabilities), key=DISABILITY_CODES.index)
    if disabilities:
        w.open("Disabilities")
        for code in disabilities:
            w.leaf("Disability", code)
        w.close("Disabilities")
    w.close("ChildCharacteristics")

    referrals = sorted(
        child.referrals,
        key=lambda r: (r.referral_date, _date_key(r.closure_date), repr(r)),
    )
    for referral in referrals:
        _write_referral(w, referral)
    w.close("Child")


def _write_referral(w: _Writer, r: Referral) -> None:
    w.open("CINdetails")
    w.leaf("CINreferralDate", r.referral_date)
    w.leaf("ReferralSource", r.referral_source)
    w.leaf("PrimaryNeedCode", r.primary_need_code)
    w.leaf("CINclosureDate", r.closure_date)
    w.leaf("ReasonForClosure", r.reason_for_closure)
    w.leaf("DateOfInitialCPC", r.date_of_initial_cpc)
    for a in sorted(
        r.assessments,
        key=lambda a: (a.start_date, _date_key(a.authorisation_date), repr(a)),
    ):
        w.open("Assessments")
        w.leaf("AssessmentActualStartDate", a.start_date)
        w.leaf("AssessmentInternalReviewDate", a.internal_review_date)
        w.leaf("AssessmentAuthorisationDate", a.authorisation_date)
        factors = sorted(set(a.factors), key=_code_key)
        if factors:
            w.open("FactorsIdentifiedAtAssessment")
            for code in factors:
                w.leaf("AssessmentFactors", code)
            w.close("FactorsIdentifiedAtAssessment")
        w.close("Assessments")
    for p in sorted(r.cin_plans, key=lambda p: (p.start_date, _date_key(p.end_date))):
        w.open("CINPlanDates")
        w.leaf("CINPlanStartDate", p.start_date)
        w.leaf("CINPlanEndDate", p.end_date)
        w.close("CINPlanDates")
    for s in sorted(r.section47s, key=lambda s: (s.start_date, repr(s))):
        w.open("Section47")
        w.leaf("S47ActualStartDate", s.start_date)
        w.leaf("InitialCPCtarget", s.icpc_target)
        w.leaf("DateOfInitialCPC", s.icpc_date)
        w.leaf("ICPCnotRequired", bool(s.icpc_not_required))
        w.close("Section47")
    w.leaf("ReferralNFA", bool(r.referral_nfa))
    for cp in sorted(r.cp_plans, key=lambda cp: (cp.start_date, _date_key(cp.end_date))):
        w.open("ChildProtectionPlans")
        w.leaf("CPPstartDate", cp.start_date)
        w.leaf("CPPendDate", cp.end_date)
        w.leaf("InitialCategoryOfAbuse", cp.initial_category)
        w.leaf("LatestCategoryOfAbuse", cp.latest_category)
        w.leaf("NumberOfPreviousCPP", int(cp.number_of_previous_cpp))
        reviews = sorted(set(cp.review_dates))
        if reviews:
            w.open("Reviews")
            for review in reviews:
                w.leaf("CPPreviewDate", review)
            w.close("Reviews")
        w.close("ChildProtectionPlans")
    w.close("CINdetails")


def write_cin_census(census: CINCensus, path: str | Path) -> Path:
    """Write the census XML to ``path`` (parent folders created); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cin_census_xml(census))
    return path


def default_filename(census: CINCensus) -> str:
    """A stable file name: ``cin_census_<LA>_<year>.xml``."""
    return f"cin_census_{census.la_code}_{census.collection_year}.xml"
