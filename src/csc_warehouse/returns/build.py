"""Build a statutory return from the mart: query, write, validate, report.

    build_return("cin-census", settings, year=2025, out="output/returns/2025")
    build_return("ssda903", settings, year=2025, out=...)
    build_return("annex-a", settings, as_at=date(2025, 9, 30), out="annex_a.xlsx")
    build_return("csww", settings, year=2025, out=...)
    build_current(name, settings)       # what the monthly returns DAG calls

Each returns a dict (JSON-friendly): name, files written, counts, validator errors and
warnings, the rules in the known-gap list that fired (``known_gaps``), timings, ``ok``.

``ok`` is false when the validator found an error that is not a *known source gap*: rules that
fire because the source systems do not hold a field the DfE asks for (e.g. 903 MOTHER, OC2
outcomes, Ofsted URNs, full placement postcodes). Those are listed apart in the result and in
docs/returns.md; the analyst completes them before submitting. Everything else fails the build.

The LA codes come from ``CSC_LA_CODE`` (three-digit, default 931) and ``CSC_LA_ONS`` (the ONS
code the 903 validator wants, default E10000025).
"""

from __future__ import annotations

import dataclasses
import os
import time
from datetime import date
from pathlib import Path

import psycopg

from csc_warehouse.config import Settings

RETURNS = ("cin-census", "ssda903", "annex-a", "csww")

# Validator rules that fire only because the source systems do not hold the field the rule
# checks (not a fault in the mapping or, usually, in the data). See docs/returns.md.
KNOWN_SOURCE_GAPS: dict[str, dict[str, str]] = {
    "903": {
        "169": "placement postcode not held (district only): the LA of placement is derived from it",
        "179": "placement postcode not held: PL_LOCATION derived from it",
        "392a": "placement postcode not held: no distance",
        "392b": "placement postcode not held",
        "392c": "home postcodes in generated data are not real postcodes (ZX..)",
        "1015": "placement postcode not held: own-LA provision cannot be checked",
        "393": "MOTHER (is the girl a mother) not held by the source systems",
        "607": "MOTHER not held by the source systems",
        "191": "OC2 outcomes (health checks, immunisations, teeth) not held",
        "543": "OC2 CONVICTED not held",
        "186": "OC2 SDQ score not held",
        "390": "adoption decisions (placed for adoption table) not held",
        "551": "adoption decisions (placed for adoption table) not held",
        "557": "adoption decisions (placed for adoption table) not held",
        "460": "staying put arrangements (OC3) not held",
    },
    "cin": {},
}


def la_codes() -> tuple[str, str]:
    return os.environ.get("CSC_LA_CODE", "931"), os.environ.get("CSC_LA_ONS", "E10000025")


def current_year(today: date | None = None) -> int:
    """The last complete collection year: the one ending on the latest 31 March passed."""
    today = today or date.today()
    return today.year if today >= date(today.year, 4, 1) else today.year - 1


def _rekey(result, child_keys: dict[str, str]):
    """The validation result with child ids replaced by pseudonymous child keys."""
    issues = tuple(
        dataclasses.replace(i, child_id=child_keys.get(i.child_id, i.child_id)) if i.child_id else i
        for i in result.issues
    )
    return dataclasses.replace(result, issues=issues)


def _summary(result, kind: str) -> dict:
    gaps = KNOWN_SOURCE_GAPS.get(kind, {})
    by_rule: dict[str, int] = {}
    for i in result.errors:
        by_rule[i.rule_code] = by_rule.get(i.rule_code, 0) + 1
    unexpected = {r: n for r, n in by_rule.items() if r not in gaps}
    known = {r: n for r, n in by_rule.items() if r in gaps}
    warn: dict[str, int] = {}
    for i in result.warnings:
        warn[i.rule_code] = warn.get(i.rule_code, 0) + 1
    return {
        "errors": len(result.errors),
        "errors_by_rule": dict(sorted(by_rule.items())),
        "unexpected_errors": dict(sorted(unexpected.items())),
        "known_gaps": dict(sorted(known.items())),
        "warnings": len(result.warnings),
        "warnings_by_rule": dict(sorted(warn.items())),
        "crashed_rules": sorted(f.rule_code for f in result.fails),
        "skipped_rules": len(result.skipped),
        "validation_seconds": round(result.wall_seconds, 2),
        "ok": not unexpected,
    }


def write_cin(settings: Settings, year: int, out: Path, schema: str, case_schema: str) -> dict:
    from csc_warehouse.returns import from_mart
    from csc_warehouse.returns.cin_census import default_filename, write_cin_census
    from csc_warehouse.returns.report import write_validation_report
    from csc_warehouse.returns.validators import validate_cin

    la, _ = la_codes()
    t0 = time.monotonic()
    with psycopg.connect(settings.conninfo()) as conn:
        extract = from_mart.cin_census(conn, year, la, schema, case_schema)
    census = extract.data
    t1 = time.monotonic()
    path = write_cin_census(census, out / default_filename(census))
    result = validate_cin(path)
    result = _rekey(result, extract.child_keys)
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
        "files": [str(path), str(report.issues_csv), str(report.markdown)],
        "counts": counts,
        "query_seconds": round(t1 - t0, 2),
        "seconds": round(t2 - t0, 2),
        **_summary(result, "cin"),
    }


def write_903(settings: Settings, year: int, out: Path, schema: str, case_schema: str) -> dict:
    from csc_warehouse.returns import from_mart
    from csc_warehouse.returns.report import write_validation_report
    from csc_warehouse.returns.ssda903 import write_ssda903
    from csc_warehouse.returns.validators import validate_903

    _, ons = la_codes()
    t0 = time.monotonic()
    with psycopg.connect(settings.conninfo()) as conn:
        extract = from_mart.ssda903(conn, year, schema, case_schema)
    ret = extract.data
    t1 = time.monotonic()
    folder = out / f"ssda903_{year}"
    written = write_ssda903(ret, folder)
    result = validate_903(folder, year=year, la_code=ons)
    result = _rekey(result, extract.child_keys)
    report = write_validation_report([result], out, name=f"ssda903_{year}_validation")
    t2 = time.monotonic()
    counts = {
        "children": len(ret.children),
        "episodes": sum(len(c.episodes) for c in ret.children),
        "looked_after_at_31_march": sum(
            any(e.dec is None for e in c.episodes) for c in ret.children
        ),
        "started_in_year": sum(c.prev_perm is not None for c in ret.children),
        "missing": sum(len(c.missing) for c in ret.children),
        "sw_episodes": sum(len(c.sw_episodes) for c in ret.children),
        "oc2": sum(c.oc2 is not None for c in ret.children),
    }
    return {
        "return": "ssda903",
        "year": year,
        "files": sorted(str(p) for p in written.values()) + [str(report.issues_csv)],
        "counts": counts,
        "query_seconds": round(t1 - t0, 2),
        "seconds": round(t2 - t0, 2),
        **_summary(result, "903"),
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
    """Build one return (see the module docstring); ``out`` defaults under CSC_OUTPUT."""
    if name not in RETURNS:
        raise ValueError(f"unknown return {name!r}: one of {', '.join(RETURNS)}")
    if name == "annex-a":
        from csc_warehouse.returns.annex_a import write_annex_a

        as_at = as_at or date.today()
        path = Path(out) if out else settings.output / "returns" / f"annex_a_{as_at}.xlsx"
        return write_annex_a(settings, as_at, path, schema=schema, case_schema=case_schema)
    year = year or current_year()
    folder = Path(out) if out else settings.output / "returns" / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    if name == "cin-census":
        return write_cin(settings, year, folder, schema, case_schema)
    if name == "ssda903":
        return write_903(settings, year, folder, schema, case_schema)
    from csc_warehouse.returns.csww import write_csww

    return write_csww(settings, year, folder, schema=schema)


def build_current(name: str, settings: Settings) -> dict:
    """The return as the monthly DAG builds it: the last complete collection year (CIN, 903),
    today's Annex A, the CSWW for the latest 30 September passed."""
    today = date.today()
    if name == "annex-a":
        return build_return(name, settings, as_at=today)
    if name == "csww":
        year = today.year if today >= date(today.year, 9, 30) else today.year - 1
        return build_return(name, settings, year=year)
    return build_return(name, settings, year=current_year(today))
