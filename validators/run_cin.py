"""Validate one CIN census XML file with the DfE rules; print a JSON report on stdout.

Runs INSIDE .venv-cin (csc-validator-be-cin, pandas 1.5), never in the project's .venv:

    .venv-cin/bin/python validators/run_cin.py FILE.xml [--ruleset cin2024_25] [--select 8500,8510]

The JSON (keys sorted, lists sorted, so the same file always gives the same report apart from
``elapsed_s``):

    {"tool": "csc-validator-be-cin", "version": "0.1.13", "ruleset": "cin2024_25",
     "file": "...", "reference_date": "2025-03-31", "children": 3,
     "rules_run": 109, "rules_with_issues": [...],
     "errors": [{"child_id", "rule_code", "severity" (error|warning), "rule_type" (Error|Query),
                 "description", "table", "row_id", "columns": [...], "values": [...]}],
     "multichild": [{"rule_code", "severity", "rule_type", "description"}],
     "fails": [{"rule_code", "description", "message"}],   # rules that crashed inside the package
     "skipped": [],                                        # the CIN rules need no lookups
     "notes": [...], "elapsed_s": 1.2}

``--ruleset`` defaults to the one for the file's Header/CollectionDetails/Year (2025 ->
cin2024_25). Exit code 0 when the validator ran (whatever it found), 2 when the file could not be
read or the ruleset does not exist (the JSON then has "fatal").
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import re
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from importlib import metadata

FAIL_LINE = re.compile(r"^Error with rule (?P<code>\S+): (?P<message>.*)$")


def ruleset_for_year(year: int) -> str:
    """Collection year (the year the census period ends, 2025 for 2024-25) -> ruleset name."""
    return f"cin{year - 1}_{year % 100:02d}"


def split_reviews(root: ET.Element) -> int:
    """Give every CPPreviewDate its own <Reviews> element; return how many were split off.

    The specification allows one <Reviews> per plan holding 1..n <CPPreviewDate>, but the
    package's reader (ingress.create_Reviews) takes only the first date of each <Reviews>
    element. Splitting them (in memory only) lets every review date reach the rules.
    """
    moved = 0
    for plan in root.iter("ChildProtectionPlans"):
        for reviews in list(plan.findall("Reviews")):
            dates = reviews.findall("CPPreviewDate")
            if len(dates) <= 1:
                continue
            position = list(plan).index(reviews)
            for extra in dates[1:]:
                reviews.remove(extra)
                wrapper = ET.Element("Reviews")
                wrapper.append(extra)
                position += 1
                plan.insert(position, wrapper)
                moved += 1
    return moved


def convert_in_chunks(root: ET.Element, cin_validator, size: int = 250) -> dict:
    """``cin_validator.convert_data(root)``, but reading the children ``size`` at a time.

    The package's reader appends each child to its tables with ``pd.concat``, which takes time
    quadratic in the number of children (about 45 s for 5,000). Every ID it generates
    (CINdetailsID, AssessmentID, CPPID) restarts for each child, so reading the children in
    chunks and concatenating the chunks' tables (fresh 0..n-1 index, like the package's own
    ``ignore_index=True``) gives the same tables in linear time.
    """
    import pandas as pd

    children = root.find("Children").findall("Child")
    if len(children) <= size:
        return cin_validator.convert_data(root)
    parts: list[dict] = []
    for start in range(0, len(children), size):
        message = ET.Element(root.tag)
        message.append(root.find("Header"))
        block = ET.SubElement(message, "Children")
        block.extend(children[start : start + size])
        parts.append(cin_validator.convert_data(message))
    tables = {"Header": parts[0]["Header"]}
    for name in parts[0]:
        if name != "Header":
            tables[name] = pd.concat([p[name] for p in parts], ignore_index=True)
    return tables


def _text(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "" if text in {"nan", "NaT", "<NA>", "None"} else text


def _row_id(value) -> int | str:
    text = _text(value)
    try:
        return int(float(text))
    except ValueError:
        return text


def fatal(message: str, **extra) -> int:
    print(json.dumps({"fatal": message, **extra}, sort_keys=True, indent=1))
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="the CIN census XML file")
    parser.add_argument("--ruleset", help="e.g. cin2024_25 (default: from the header's Year)")
    parser.add_argument("--select", help="comma-separated rule codes to run (default: all)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    warnings.filterwarnings("ignore")
    try:
        root = ET.parse(args.file).getroot()
    except (OSError, ET.ParseError) as exc:
        return fatal(f"cannot read {args.file}: {exc}", file=args.file)
    if root.find("Header") is None or root.find("Children") is None:
        return fatal("not a CIN census message (no Header or Children)", file=args.file)

    year_text = (root.findtext("Header/CollectionDetails/Year") or "").strip()
    ruleset = args.ruleset
    if not ruleset:
        if not year_text.isdigit():
            return fatal("no --ruleset given and no Header/CollectionDetails/Year in the file")
        ruleset = ruleset_for_year(int(year_text))
    try:
        registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    except ModuleNotFoundError:
        return fatal(f"unknown ruleset {ruleset}", ruleset=ruleset)

    from cin_validator import cin_validator

    notes = []
    split = split_reviews(root)
    if split:
        notes.append(
            f"{split} CPPreviewDate(s) given their own <Reviews> element before validation "
            "(the package reads only the first date of each <Reviews>)"
        )

    selected = [c.strip() for c in args.select.split(",")] if args.select else None
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        data = cin_validator.process_data(convert_in_chunks(root, cin_validator))
        children = int(len(data["ChildIdentifiers"]))
        validator = cin_validator.CinValidator(data, registry, selected_rules=selected)

    def describe(code: str) -> dict:
        rule = registry.get(str(code))
        rule_type = rule.rule_type.value if rule is not None else "Error"
        return {
            "rule_code": str(code),
            "rule_type": rule_type,
            "severity": "warning" if rule_type == "Query" else "error",
            "description": rule.message if rule is not None else "",
        }

    fails: dict[str, dict] = {}
    stray_output = []
    for line in captured.getvalue().splitlines():
        match = FAIL_LINE.match(line.strip())
        if match:
            code = match["code"]
            fails[code] = {
                "rule_code": code,
                "description": describe(code)["description"],
                "message": match["message"],
            }
        elif line.strip():
            stray_output.append(line.strip())
    if stray_output:
        notes.append("package printed: " + " | ".join(stray_output[:20]))

    # Child-level issues: one entry per (child, rule, table, row) with the columns involved.
    grouped: dict[tuple, dict] = {}
    report = validator.user_report
    if report is not None and not report.empty:
        for rec in report.to_dict("records"):
            table = _text(rec.get("tables_affected"))
            if not table or table == "Header":
                continue  # return-level: listed under multichild
            code = _text(rec.get("rule_code"))
            key = (_text(rec.get("LAchildID")), code, table, _row_id(rec.get("ROW_ID")))
            entry = grouped.setdefault(
                key,
                {
                    **describe(code),
                    "child_id": key[0],
                    "table": table,
                    "row_id": key[3],
                    "columns": [],
                    "values": [],
                },
            )
            column = _text(rec.get("columns_affected"))
            if column and column not in entry["columns"]:
                entry["columns"].append(column)
                entry["values"].append(_text(rec.get("value_flagged")))
    errors = [grouped[k] for k in sorted(grouped, key=lambda k: (k[0], k[1], k[2], str(k[3])))]

    multichild = {}
    mc = validator.multichild_issues
    if mc is not None and not mc.empty:
        for code in mc["rule_code"].dropna().unique():
            multichild[str(code)] = describe(code)

    rules_run = len([c for c in registry if not selected or str(c) in selected])
    result = {
        "tool": "csc-validator-be-cin",
        "version": metadata.version("csc-validator-be-cin"),
        "ruleset": ruleset,
        "file": args.file,
        "reference_date": (root.findtext("Header/CollectionDetails/ReferenceDate") or "").strip(),
        "children": children,
        "rules_run": rules_run,
        "rules_with_issues": sorted({e["rule_code"] for e in errors} | set(multichild)),
        "errors": errors,
        "multichild": [multichild[c] for c in sorted(multichild)],
        "fails": [fails[c] for c in sorted(fails)],
        "skipped": [],
        "notes": notes,
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(result, sort_keys=True, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
