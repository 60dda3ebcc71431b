"""The SSDA903 return (children looked after): plain Python data -> the DfE's CSV tables.

One CSV per table, each with exactly the columns the DfE's specification (and the
``csc-validator-be-903`` package, which recognises a table by its set of columns) expects:

========================  =========================  ===========================================
table                     file                       columns
========================  =========================  ===========================================
header                    header.csv                 CHILD SEX DOB ETHNIC UPN MOTHER MC_DOB
episodes                  episodes.csv               CHILD DECOM RNE LS CIN PLACE PLACE_PROVIDER
                                                     DEC REC REASON_PLACE_CHANGE HOME_POST
                                                     PL_POST URN
uasc                      uasc.csv                   CHILD SEX DOB DUC
reviews                   reviews.csv                CHILD DOB REVIEW REVIEW_CODE
missing                   missing.csv                CHILD DOB MISSING MIS_START MIS_END
oc2                       oc2.csv                    CHILD DOB SDQ_SCORE SDQ_REASON CONVICTED
                                                     HEALTH_CHECK IMMUNISATIONS TEETH_CHECK
                                                     HEALTH_ASSESSMENT SUBSTANCE_MISUSE
                                                     INTERVENTION_RECEIVED INTERVENTION_OFFERED
oc3                       oc3.csv                    CHILD DOB IN_TOUCH ACTIV ACCOM
ad1                       ad1.csv                    CHILD DOB DATE_INT DATE_MATCH FOSTER_CARE
                                                     NB_ADOPTR SEX_ADOPTR LS_ADOPTR
placed_for_adoption       placed_for_adoption.csv    CHILD DOB DATE_PLACED DATE_PLACED_CEASED
                                                     REASON_PLACED_CEASED
prev_perm                 prev_perm.csv              CHILD DOB PREV_PERM LA_PERM DATE_PERM
sw_episodes               sw_episodes.csv            CHILD DOB SW_ID SW_DECOM SW_DEC SW_REASON
========================  =========================  ===========================================

Every table is written, a table with no rows as its header line alone (the validator then
knows the table was supplied and empty, rather than missing). Dates are ``dd/mm/YYYY``;
booleans ``1``/``0``; a missing value is an empty field. CSV is UTF-8 without a BOM, comma
separated, CRLF line ends (RFC 4180), quoting only where needed.

Deterministic: children sorted by CHILD, each table's rows sorted by child then date, so the
same return always gives byte-identical files. Which children belong in a year's return is the
caller's business: the writer writes what it is given (``DOB`` columns are filled from the
child's header record).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

# table -> (file name, columns), in the order the files are listed in docs and reports.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "header": ("header.csv", ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")),
    "episodes": (
        "episodes.csv",
        (
            "CHILD",
            "DECOM",
            "RNE",
            "LS",
            "CIN",
            "PLACE",
            "PLACE_PROVIDER",
            "DEC",
            "REC",
            "REASON_PLACE_CHANGE",
            "HOME_POST",
            "PL_POST",
            "URN",
        ),
    ),
    "uasc": ("uasc.csv", ("CHILD", "SEX", "DOB", "DUC")),
    "reviews": ("reviews.csv", ("CHILD", "DOB", "REVIEW", "REVIEW_CODE")),
    "missing": ("missing.csv", ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END")),
    "oc2": (
        "oc2.csv",
        (
            "CHILD",
            "DOB",
            "SDQ_SCORE",
            "SDQ_REASON",
            "CONVICTED",
            "HEALTH_CHECK",
            "IMMUNISATIONS",
            "TEETH_CHECK",
            "HEALTH_ASSESSMENT",
            "SUBSTANCE_MISUSE",
            "INTERVENTION_RECEIVED",
            "INTERVENTION_OFFERED",
        ),
    ),
    "oc3": ("oc3.csv", ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM")),
    "ad1": (
        "ad1.csv",
        (
            "CHILD",
            "DOB",
            "DATE_INT",
            "DATE_MATCH",
            "FOSTER_CARE",
            "NB_ADOPTR",
            "SEX_ADOPTR",
            "LS_ADOPTR",
        ),
    ),
    "placed_for_adoption": (
        "placed_for_adoption.csv",
        ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    ),
    "prev_perm": ("prev_perm.csv", ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM")),
    "sw_episodes": (
        "sw_episodes.csv",
        ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    ),
}

Value = str | int | bool | date | None

# SEX from 2024-25 (the lac2024_25 rules reject the old 1/2); 1 and 2 for earlier years.
SEX_CODES = ("M", "F", "U", "1", "2")


@dataclass(frozen=True)
class Episode:
    """A period of care with one placement and legal status (a new one at every change)."""

    decom: date
    rne: str
    ls: str
    cin: str
    place: str
    place_provider: str | None = None
    dec: date | None = None
    rec: str | None = None
    reason_place_change: str | None = None
    home_post: str | None = None
    pl_post: str | None = None
    urn: str | None = None


@dataclass(frozen=True)
class Review:
    """A looked-after review; ``review_code`` is the participation code PN0..PN7."""

    review: date
    review_code: str


@dataclass(frozen=True)
class MissingEpisode:
    """``missing`` is M (missing) or A (away from placement without authorisation)."""

    missing: str
    mis_start: date
    mis_end: date | None = None


@dataclass(frozen=True)
class UASC:
    """The child was an unaccompanied asylum-seeking child; ``duc`` the date UASC status ends."""

    duc: date


@dataclass(frozen=True)
class OC2:
    """Outcomes of children looked after continuously for 12 months at 31 March."""

    sdq_score: int | None = None
    sdq_reason: str | None = None
    convicted: bool | None = None
    health_check: bool | None = None
    immunisations: bool | None = None
    teeth_check: bool | None = None
    health_assessment: bool | None = None
    substance_misuse: bool | None = None
    intervention_received: bool | None = None
    intervention_offered: bool | None = None


@dataclass(frozen=True)
class OC3:
    """Care leavers around their 17th to 21st birthdays."""

    in_touch: str
    activ: str | None = None
    accom: str | None = None


@dataclass(frozen=True)
class AD1:
    """An adoption."""

    date_int: date | None = None
    date_match: date | None = None
    foster_care: bool | None = None
    nb_adoptr: str | None = None
    sex_adoptr: str | None = None
    ls_adoptr: str | None = None


@dataclass(frozen=True)
class PlacedForAdoption:
    """A decision that the child should be placed for adoption, and if it ceased."""

    date_placed: date
    date_placed_ceased: date | None = None
    reason_placed_ceased: str | None = None


@dataclass(frozen=True)
class PrevPerm:
    """Previous permanence; ``date_perm`` may be partly unknown in the spec (e.g. zz/zz/2015)."""

    prev_perm: str
    la_perm: str | None = None
    date_perm: date | str | None = None


@dataclass(frozen=True)
class SWEpisode:
    """A period with one allocated social worker (``sw_id`` the worker's identifier)."""

    sw_id: str
    sw_decom: date
    sw_dec: date | None = None
    sw_reason: str | None = None


@dataclass(frozen=True)
class LookedAfterChild:
    """One child in the return: the header record and the child's rows in the other tables.

    ``sex`` is M, F or U from 2024-25 (1 male / 2 female in earlier years); ``mother`` 1/0 for
    a girl who is a mother, with her child's date of birth in ``mc_dob``.
    """

    child: str
    sex: str
    dob: date
    ethnic: str
    upn: str | None = None
    mother: int | None = None
    mc_dob: date | None = None
    episodes: tuple[Episode, ...] = ()
    reviews: tuple[Review, ...] = ()
    missing: tuple[MissingEpisode, ...] = ()
    uasc: UASC | None = None
    oc2: OC2 | None = None
    oc3: OC3 | None = None
    ad1: AD1 | None = None
    placed_for_adoption: tuple[PlacedForAdoption, ...] = ()
    prev_perm: PrevPerm | None = None
    sw_episodes: tuple[SWEpisode, ...] = ()


@dataclass(frozen=True)
class SSDA903Return:
    """A whole return. ``collection_year`` is the year the period ends (2025 for 2024-25)."""

    collection_year: int
    children: tuple[LookedAfterChild, ...] = ()

    @property
    def period_start(self) -> date:
        return date(self.collection_year - 1, 4, 1)

    @property
    def period_end(self) -> date:
        return date(self.collection_year, 3, 31)


def format_value(value: Value) -> str:
    """A field as the 903 writes it: dd/mm/YYYY dates, 1/0 booleans, '' for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _values(record) -> list[Value]:
    return [getattr(record, f.name) for f in fields(record)]


def _sort_key(row: list[str]) -> tuple:
    """Child, then every field with dates compared as dates (dd/mm/YYYY does not sort)."""
    key = []
    for text in row:
        parts = text.split("/")
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
            key.append((0, f"{parts[2]}{parts[1]}{parts[0]}"))
        else:
            key.append((1, text))
    return tuple(key)


def ssda903_rows(ret: SSDA903Return) -> dict[str, list[list[str]]]:
    """The return as rows (header line excluded) per table name, sorted."""
    rows: dict[str, list[list[str]]] = {name: [] for name in TABLES}
    seen: set[str] = set()
    for c in sorted(ret.children, key=lambda c: c.child):
        if not c.child:
            raise ValueError("a child has no CHILD id")
        if c.child in seen:
            raise ValueError(f"child {c.child} appears twice")
        seen.add(c.child)
        if str(c.sex) not in SEX_CODES:
            raise ValueError(f"child {c.child}: SEX must be M, F or U, not {c.sex!r}")

        def add(table: str, *values: Value, _child: LookedAfterChild = c) -> None:
            rows[table].append([format_value(v) for v in (_child.child, *values)])

        add("header", c.sex, c.dob, c.ethnic, c.upn, c.mother, c.mc_dob)
        for e in c.episodes:
            add("episodes", *_values(e))
        if c.uasc is not None:
            add("uasc", c.sex, c.dob, c.uasc.duc)
        for r in c.reviews:
            add("reviews", c.dob, r.review, r.review_code)
        for m in c.missing:
            add("missing", c.dob, m.missing, m.mis_start, m.mis_end)
        if c.oc2 is not None:
            add("oc2", c.dob, *_values(c.oc2))
        if c.oc3 is not None:
            add("oc3", c.dob, *_values(c.oc3))
        if c.ad1 is not None:
            add("ad1", c.dob, *_values(c.ad1))
        for p in c.placed_for_adoption:
            add("placed_for_adoption", c.dob, *_values(p))
        if c.prev_perm is not None:
            add("prev_perm", c.dob, *_values(c.prev_perm))
        for s in c.sw_episodes:
            add("sw_episodes", c.dob, *_values(s))
    for name, table_rows in rows.items():
        width = len(TABLES[name][1])
        for row in table_rows:
            assert len(row) == width, (name, row)
        table_rows.sort(key=_sort_key)
    return rows


def ssda903_csv(ret: SSDA903Return) -> dict[str, bytes]:
    """File name -> CSV bytes for every table (deterministic)."""
    out: dict[str, bytes] = {}
    for name, table_rows in ssda903_rows(ret).items():
        filename, columns = TABLES[name]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows(table_rows)
        out[filename] = buffer.getvalue().encode("utf-8")
    return out


def write_ssda903(ret: SSDA903Return, out_dir: str | Path) -> dict[str, Path]:
    """Write every table into ``out_dir`` (created if needed); table name -> path.

    Only the return's own files are written; anything else in the folder is left alone (but the
    validator reads every ``*.csv`` in it, so give each return its own folder).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_file = ssda903_csv(ret)
    written: dict[str, Path] = {}
    for name, (filename, _) in TABLES.items():
        path = out_dir / filename
        path.write_bytes(by_file[filename])
        written[name] = path
    return written
