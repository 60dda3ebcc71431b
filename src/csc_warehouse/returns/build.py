"""Build a statutory return from the mart: query, write, validate, report.

    build_return("cin-census", settings, year=2025, out="output/returns/cin-census/2025")
    build_return("ssda903", settings, year=2025, out=...)
    build_return("annex-a", settings, as_at=date(2025, 9, 30), out="annex_a.xlsx")
    build_return("csww", settings, year=2025, out=...)
    build_current(name, settings)       # what the monthly returns DAG calls

Each returns a dict (JSON-friendly): the return, its period, the files written, counts, the
mapping's notes (choices it made on rows of this return), for CIN and 903 the validator's
errors and warnings by rule, the known source gaps that fired (``known_gaps``), the rules that
crashed inside the package, timings, and ``ok``.

``ok`` is false when the validator found an error that is not a *known source gap*: a rule
that fires because no source system holds the field the DfE asks for (903 MOTHER, the OC2
outcomes, the placed-for-adoption decisions), nor, on generated data, one that fires on the
generator's never-issued ZX postcodes (``SYNTHETIC_DATA``). Those are listed apart
(``known_gaps``, ``synthetic_data``, the report, docs/returns.md): the analyst completes the
gaps before submitting. ``clean`` is true when there is no error at all.

The LA codes come from the settings: ``CSC_LA_CODE`` (three-digit, default 931; in a region,
the authority's) and ``CSC_LA_ONS`` (the ONS code the 903 validator wants, default
E10000025; in a region, ``CSC_LA_ONS_<code>``).
"""

from __future__ import annotations

import dataclasses
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings

RETURNS = ("cin-census", "ssda903", "annex-a", "csww")

# Validator errors that fire only because no source system holds the field the rule checks.
KNOWN_SOURCE_GAPS: dict[str, dict[str, str]] = {
    "903": {
        "393": "MOTHER (is the child a mother) not held",
        "607": "MOTHER not held",
        "165": "MOTHER not held (the rules to 2023-24 ask it of every girl looked after)",
        "186": "OC2 SDQ score not held",
        "191": "OC2 outcomes (health checks, immunisations, teeth) not held",
        "197B": "OC2 SDQ score or reason not held",
        "543": "OC2 CONVICTED not held",
        "545": "OC2 health promotion (under 5s) not held",
        "390": "adoption decisions (placed for adoption table) not held",
        "551": "adoption decisions (placed for adoption table) not held",
        "557": "adoption decisions (placed for adoption table) not held",
    },
    "cin": {},
}

# Validator errors that only the generated data raises, and only when it is generated: the
# generator's postcodes are in the area ZX, which is never issued (no real address in
# synthetic data), so the postcode lookup fails them. A real postcode that fails stays an error.
SYNTHETIC_POSTCODE_AREA = "ZX"
SYNTHETIC_DATA: dict[str, dict[str, str]] = {
    "903": {
        "392c": "postcodes in the never-issued area ZX (generated data): not in the ONS list",
        "169": "the placement's LA comes from the ONS lookup of PL_POST, which ZX postcodes fail",
        "179": "PL_LOCATION comes from the ONS lookup of PL_POST, which ZX postcodes fail",
        "392a": "the placement distance comes from the ONS lookup, which ZX postcodes fail",
        "1015": "own provision in the LA is checked on the ONS lookup, which ZX postcodes fail",
    },
}


def la_codes(settings: Settings) -> tuple[str, str]:
    """The authority's three-digit DfE number and its ONS code (for the 903 validator)."""
    return settings.la_code, settings.env.get("CSC_LA_ONS") or "E10000025"


def collection_year(on: date) -> int:
    """The collection year (1 April - 31 March) containing ``on``: 2025 for 2024-25."""
    return on.year + 1 if on.month >= 4 else on.year


def last_month_end(on: date) -> date:
    """``on`` when it is a month end, else the end of the month before."""
    return on if (on + timedelta(days=1)).day == 1 else on.replace(day=1) - timedelta(days=1)


def last_30_september(on: date) -> int:
    """The year of the latest 30 September on or before ``on`` (the CSWW census date)."""
    return on.year if on >= date(on.year, 9, 30) else on.year - 1


def published_as_at(settings: Settings, schema: str = "bi") -> date | None:
    """The as-at date of the mart: the extract date of the latest publish (``ops.publish_log``)
    for ``bi``, else the newest extract the mart's ``fct_source_freshness`` knows; None when
    neither says."""
    with psycopg.connect(settings.conninfo()) as conn:
        if schema == "bi" and conn.execute("select to_regclass('ops.publish_log')").fetchone()[0]:
            row = conn.execute(
                "select max(extract_date) from ops.publish_log where outcome = 'published'"
            ).fetchone()
            if row and row[0]:
                return row[0]
        table = f"{schema}.fct_source_freshness"
        if conn.execute("select to_regclass(%s)", (table,)).fetchone()[0]:
            row = conn.execute(
                sql.SQL("select max(last_extract_date) from {}.fct_source_freshness").format(
                    sql.Identifier(schema)
                )
            ).fetchone()
            if row and row[0]:
                return row[0]
    return None


def _rekey(result, child_keys: dict[str, str]):
    """The validation result with child ids replaced by pseudonymous child keys."""
    issues = tuple(
        dataclasses.replace(i, child_id=child_keys.get(i.child_id, i.child_id)) if i.child_id else i
        for i in result.issues
    )
    return dataclasses.replace(result, issues=issues)


def _summary(result, kind: str, synthetic: bool = False) -> dict:
    gaps = KNOWN_SOURCE_GAPS.get(kind, {})
    generated = SYNTHETIC_DATA.get(kind, {}) if synthetic else {}
    by_rule: dict[str, int] = {}
    for i in result.errors:
        by_rule[i.rule_code] = by_rule.get(i.rule_code, 0) + 1
    unexpected = {r: n for r, n in by_rule.items() if r not in gaps and r not in generated}
    known = {r: n for r, n in by_rule.items() if r in gaps}
    false_positives: dict[str, int] = {}
    for i in result.false_positives:
        false_positives[i.rule_code] = false_positives.get(i.rule_code, 0) + 1
    warn: dict[str, int] = {}
    for i in result.warnings:
        warn[i.rule_code] = warn.get(i.rule_code, 0) + 1
    return {
        "errors": len(result.errors),
        "errors_by_rule": dict(sorted(by_rule.items())),
        "unexpected_errors": dict(sorted(unexpected.items())),
        "known_gaps": dict(sorted(known.items())),
        "synthetic_data": {r: n for r, n in sorted(by_rule.items()) if r in generated},
        "false_positives": dict(sorted(false_positives.items())),
        "warnings": len(result.warnings),
        "warnings_by_rule": dict(sorted(warn.items())),
        "crashed_rules": sorted(f.rule_code for f in result.fails),
        "skipped_rules": len(result.skipped),
        "validation_seconds": round(result.wall_seconds, 2),
        "ok": not unexpected,
        "clean": not by_rule,
    }


def _synthetic_postcodes(ret) -> bool:
    """Every postcode in the 903 (home and placement) is in the generator's never-issued area."""
    posts = [p for c in ret.children for e in c.episodes for p in (e.home_post, e.pl_post) if p]
    return bool(posts) and all(p.startswith(SYNTHETIC_POSTCODE_AREA) for p in posts)


def write_cin(
    settings: Settings,
    year: int,
    out: Path,
    schema: str,
    case_schema: str,
    as_at: date | None = None,
) -> dict:
    from csc_warehouse.returns import from_mart
    from csc_warehouse.returns.cin_census import default_filename, write_cin_census
    from csc_warehouse.returns.report import write_validation_report
    from csc_warehouse.returns.validators import validate_cin

    la, _ = la_codes(settings)
    t0 = time.monotonic()
    with psycopg.connect(settings.conninfo()) as conn:
        extract = from_mart.cin_census(conn, year, la, schema, case_schema, as_at=as_at)
    census = extract.data
    t1 = time.monotonic()
    path = write_cin_census(census, out / default_filename(census))
    result = _rekey(validate_cin(path), extract.child_keys)
    report = write_validation_report([result], out, name=f"cin_census_{year}_validation")
    t2 = time.monotonic()
    refs = [r for c in census.children for r in c.referrals]
    p_start = census.period_start
    counts = {
        "children": len(census.children),
        "referrals": len(refs),
        "referrals_in_year": sum(r.referral_date >= p_start for r in refs),
        "assessments": sum(len(r.assessments) for r in refs),
        "section47s": sum(len(r.section47s) for r in refs),
        "cp_plans": sum(len(r.cp_plans) for r in refs),
        "cp_plans_started_in_year": sum(
            cp.start_date >= p_start for r in refs for cp in r.cp_plans
        ),
        "cin_plans": sum(len(r.cin_plans) for r in refs),
    }
    return {
        "return": "cin-census",
        "year": year,
        "period": [str(p) for p in from_mart.period(year, as_at)],
        "files": [str(path), str(report.issues_csv), str(report.markdown)],
        "counts": counts,
        "notes": extract.notes,
        "query_seconds": round(t1 - t0, 2),
        "seconds": round(t2 - t0, 2),
        **_summary(result, "cin"),
    }


def write_903(
    settings: Settings,
    year: int,
    out: Path,
    schema: str,
    case_schema: str,
    as_at: date | None = None,
) -> dict:
    from csc_warehouse.returns import from_mart
    from csc_warehouse.returns.report import write_validation_report
    from csc_warehouse.returns.ssda903 import write_ssda903
    from csc_warehouse.returns.validators import validate_903

    _, ons = la_codes(settings)
    t0 = time.monotonic()
    with psycopg.connect(settings.conninfo()) as conn:
        extract = from_mart.ssda903(conn, year, schema, case_schema, as_at=as_at)
    ret = extract.data
    t1 = time.monotonic()
    folder = out / f"ssda903_{year}"
    written = write_ssda903(ret, folder)
    result = _rekey(validate_903(folder, year=year, la_code=ons), extract.child_keys)
    report = write_validation_report([result], out, name=f"ssda903_{year}_validation")
    t2 = time.monotonic()
    counts = {
        "children": len(ret.children),
        "episodes": sum(len(c.episodes) for c in ret.children),
        "looked_after_at_31_march": sum(
            any(e.dec is None for e in c.episodes) for c in ret.children
        ),
        "started_in_year": sum(c.prev_perm is not None for c in ret.children),
        "ceased_in_year": sum(
            bool(c.episodes) and c.episodes[-1].dec is not None and c.episodes[-1].rec != "X1"
            for c in ret.children
        ),
        "missing": sum(len(c.missing) for c in ret.children),
        "sw_episodes": sum(len(c.sw_episodes) for c in ret.children),
        "oc2": sum(c.oc2 is not None for c in ret.children),
    }
    return {
        "return": "ssda903",
        "year": year,
        "period": [str(p) for p in from_mart.period(year, as_at)],
        "files": sorted(str(p) for p in written.values())
        + [str(report.issues_csv), str(report.markdown)],
        "counts": counts,
        "notes": extract.notes,
        "query_seconds": round(t1 - t0, 2),
        "seconds": round(t2 - t0, 2),
        **_summary(result, "903", synthetic=_synthetic_postcodes(ret)),
    }


def build_return(
    name: str,
    settings: Settings,
    *,
    year: int | None = None,
    as_at: date | None = None,
    out: str | Path | None = None,
    schema: str = "bi",
    case_schema: str = "case_level",
) -> dict:
    """Build one return.

    CIN census and 903: the collection year ``year`` (default: the one containing ``as_at``),
    cut at ``as_at`` when that falls inside it (a year "so far"); the files go into ``out``
    (default ``<output>/returns/<name>/<year>``). Annex A: the 12 months to ``as_at``
    (default: the mart's as-at date), ``out`` the .xlsx file. CSWW: as at 30 September
    ``year``, files in ``out/csww_<year>``.
    """
    if name not in RETURNS:
        raise ValueError(f"unknown return {name!r}: one of {', '.join(RETURNS)}")
    if name == "annex-a":
        from csc_warehouse.returns.annex_a import write_annex_a

        as_at = as_at or published_as_at(settings, schema) or date.today()
        path = (
            Path(out)
            if out
            else settings.output / "returns" / name / f"annex_a_{as_at.isoformat()}.xlsx"
        )
        return write_annex_a(settings, as_at, path, schema=schema, case_schema=case_schema)
    if name == "csww":
        from csc_warehouse.returns.csww import write_csww

        if year is None:
            year = last_30_september(as_at or published_as_at(settings, schema) or date.today())
        folder = Path(out) if out else settings.output / "returns" / name
        return write_csww(settings, year, folder, schema=schema)
    if year is None:
        as_at = as_at or published_as_at(settings, schema) or date.today()
        year = collection_year(as_at)
    if as_at is not None and as_at >= date(year, 3, 31):
        as_at = None  # the whole year
    folder = Path(out) if out else settings.output / "returns" / name / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    if name == "cin-census":
        return write_cin(settings, year, folder, schema, case_schema, as_at)
    return write_903(settings, year, folder, schema, case_schema, as_at)


def build_current(
    name: str, settings: Settings, schema: str = "bi", case_schema: str = "case_level"
) -> dict:
    """The return as the monthly returns DAG builds it, from the published mart.

    The as-at date is the latest published extract date (:func:`published_as_at`; today when
    nothing was published). CIN census and 903: the collection year containing it, so far;
    Annex A: the 12 months to the last month end; CSWW: the latest 30 September. Written
    under ``<output>/returns/<name>/``, validated; the result says what was built.
    """
    as_at = published_as_at(settings, schema) or date.today()
    if name == "annex-a":
        result = build_return(
            name, settings, as_at=last_month_end(as_at), schema=schema, case_schema=case_schema
        )
    elif name == "csww":
        result = build_return(
            name, settings, year=last_30_september(as_at), schema=schema, case_schema=case_schema
        )
    else:
        result = build_return(
            name,
            settings,
            year=collection_year(as_at),
            as_at=as_at,
            schema=schema,
            case_schema=case_schema,
        )
    return {**result, "mart_as_at": as_at.isoformat()}
