"""Validate one SSDA903 return (a folder of CSV tables) with the DfE rules; print JSON on stdout.

Runs INSIDE .venv-903 (csc-validator-be-903, pandas 1.5), never in the project's .venv:

    .venv-903/bin/python validators/run_903.py DIR --year 2025 --la E06000001 \
        [--prev-dir DIR_LAST_YEAR] [--select 101,102]

Every ``*.csv`` in DIR is read; the package recognises a table by its exact set of columns.
``--year`` is the collection year (2025 for 2024-25, ruleset lac2024_25); ``--la`` the LA's
nine-character ONS code (placements are compared with it, via the package's own postcode
lookup, to tell in-area from out-of-area placements). ``--prev-dir`` holds last year's return
for the rules that compare the two years.

The JSON (keys and lists sorted, so the same return gives the same report apart from
``elapsed_s``):

    {"tool": "csc-validator-be-903", "version": "0.1.17", "ruleset": "lac2024_25",
     "year": "2025", "la": "E06000001", "tables": {"Header": 2, ...}, "rules_run": 305,
     "issues": [{"child_id", "rule_code", "severity": "error", "description", "table",
                 "row_id", "columns": [...]}],
     "fails": [{"rule_code", "description", "message"}],   # rules that crashed inside the package
     "skipped": [{"rule_code", "description", "reason"}],  # rules that could not run
     "notes": [...], "elapsed_s": 3.4}

Exit code 0 when the validator ran (whatever it found), 2 when the files could not be read (the
JSON then has "fatal").
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import json
import logging
import sys
import time
import warnings
from importlib import metadata
from pathlib import Path

LOOKUP_REASON = (
    "needs the Ofsted children's homes and social care providers lists (URN lookup), "
    "which are not supplied"
)
LAST_YEAR_REASON = "needs last year's return (--prev-dir), which was not supplied"


class _FailureLog(logging.Handler):
    """Collects the package's 'Rule code X failed to run!' records with their exceptions."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if not text.startswith("Rule code ") or record.exc_info is None:
            return
        code = text[len("Rule code ") :].split(" ", 1)[0]
        exc = record.exc_info[1]
        self.messages[code] = f"{type(exc).__name__}: {exc}"[:500]


class Fatal(Exception):
    """The return could not be read: reported as {"fatal": ...} with exit code 2."""


def fatal(message: str, **extra) -> int:
    print(json.dumps({"fatal": message, **extra}, sort_keys=True, indent=1))
    return 2


def skip_reason(rule, tables_present: set[str]) -> str:
    try:
        source = inspect.getsource(rule.func)
    except (OSError, TypeError):
        source = ""
    if "provider_info" in source:
        return LOOKUP_REASON
    uses_last_year = "_last" in source or "from_previous" in source
    if uses_last_year and not any(t.endswith("_last") for t in tables_present):
        return LAST_YEAR_REASON
    if 'file_format == "csv"' in source:
        return "applies to XML uploads only (this return is CSV)"
    wanted = [t for t in (rule.tables or []) if isinstance(t, str)]
    missing = [t for t in wanted if t not in tables_present]
    if missing:
        return "table(s) not in the return: " + ", ".join(sorted(missing))
    return "the rule found nothing it could check (it returned no result)"


def _dates(series):
    import pandas as pd

    return pd.to_datetime(series, format="%d/%m/%Y", errors="coerce")


def _false_positives(dfs: dict, issues: list[dict], year: str) -> dict[tuple, str]:
    """Flags of the two social worker episode rules whose code contradicts their own message,
    re-checked against the message: {(rule, table, row): why the row is fine}.

    * SW11bSTG2 "Social worker episode has ended before 31 March and no subsequent social
      worker episode has been provided": the package compares each episode with its neighbour
      in a list sorted by start, across children, so with three or more episodes it flags one
      whose successor is there. A flag is false when the child has an episode starting on or
      after the flagged one's end.
    * SW12STG2 "If a child is looked after on 31 March then all social worker episodes for the
      full previous year should be reported, even those whilst they were not looked after":
      the package flags every pair of a care start or end and a social worker episode that
      began before it, i.e. exactly the episodes the message asks for. A flag is false when a
      reported social worker episode covers the day care started (RNE S), ended, or - for an
      episode still open - the end of the year.

    Every other flag stands; these two stand too when the re-check finds the gap the rule is
    about (a child looked after with no social worker episode at that date)."""
    sw = dfs.get("SWEpisodes")
    episodes = dfs.get("Episodes")
    if sw is None or episodes is None:
        return {}
    sw = sw.assign(_start=_dates(sw["SW_DECOM"]), _end=_dates(sw["SW_DEC"]))
    by_child = {child: rows for child, rows in sw.groupby("CHILD")}
    year_end = _dates([f"31/03/{year}"])[0]
    out: dict[tuple, str] = {}
    for issue in issues:
        code, row = issue["rule_code"], issue["row_id"]
        if code == "SW11bSTG2" and issue["table"] == "SWEpisodes" and row in sw.index:
            flagged = sw.loc[row]
            mine = by_child.get(flagged["CHILD"])
            if mine is None or flagged["_end"] != flagged["_end"]:
                continue
            later = mine[(mine.index != row) & (mine["_start"] >= flagged["_end"])]
            if len(later):
                out[(code, "SWEpisodes", row)] = (
                    "a subsequent social worker episode is reported (from "
                    f"{later['_start'].min():%d/%m/%Y}); the package's rule pairs episodes "
                    "across a sorted list and misses it when a child has three or more"
                )
        elif code == "SW12STG2" and issue["table"] == "Episodes" and row in episodes.index:
            e = episodes.loc[row]
            mine = by_child.get(e["CHILD"])
            if mine is None:
                continue
            start, end = _dates([e["DECOM"], e["DEC"]])
            day = start if e["RNE"] == "S" else (end if end == end else year_end)
            covering = mine[
                (mine["_start"] <= day) & ((mine["_end"] != mine["_end"]) | (mine["_end"] >= day))
            ]
            if len(covering):
                out[(code, "Episodes", row)] = (
                    f"a reported social worker episode covers {day:%d/%m/%Y}; the package's rule "
                    "flags the episodes that began before care, which its message asks for"
                )
    return out


def _deep_copy_datastore(data_store):
    """The package's copy_datastore, with copies of the data, not views of it."""
    return {k: v.copy(deep=True) if k != "metadata" else v for k, v in data_store.items()}


def _validate(args, files: list[str], prev: list[str], failures: _FailureLog):
    """Run the package (inside the caller's stdout/stderr capture)."""
    from lac_validator import lac_validator
    from lac_validator.report import Report
    from lac_validator.rules.ruleset_utils import get_year_ruleset
    from lac_validator.types import UploadError
    from lac_validator.utils import process_uploaded_files

    # The package calls logging.basicConfig(level=INFO) on import: keep its chatter off
    # stdout/stderr and keep only the records of rules that crash.
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.ERROR)
    root.addHandler(failures)

    # The package hands each rule a "clean copy" of the tables (copy_datastore), but the copy
    # is shallow: a rule that writes into a column writes into every later rule's data. Rule
    # 365 fills the DEC of every open episode with the collection end in place, so the rules
    # after it see every child still looked after as having ceased on 31 March (575 and 577
    # then flag any missing period open at the year end). Each rule gets a deep copy here.
    lac_validator.copy_datastore = _deep_copy_datastore

    year = args.year
    try:
        registry = get_year_ruleset(year)
    except ModuleNotFoundError as exc:
        raise Fatal(f"no ruleset for collection year {year}") from exc
    selected = [c.strip() for c in args.select.split(",")] if args.select else None
    uploads = {"This year": files}
    if prev:
        uploads["Prev year"] = prev
    try:
        validator = lac_validator.LacValidator(
            metadata={"collectionYear": year, "localAuthority": args.la},
            files=process_uploaded_files(uploads),
            registry=registry,
            selected_rules=selected,
        )
    except UploadError as exc:
        raise Fatal(str(exc)) from exc
    report = Report(validator.ds_results, registry)
    issue_df = None
    if any(str(c).startswith("ERR_") for c in report.report.columns):
        issue_df = lac_validator.create_issue_df(report.report, report.error_report)

    return validator, registry, issue_df


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="folder holding the return's CSV tables")
    parser.add_argument("--year", required=True, help="collection year, e.g. 2025 for 2024-25")
    parser.add_argument("--la", required=True, help="the LA's ONS code, e.g. E06000001")
    parser.add_argument("--prev-dir", help="folder with last year's return (optional)")
    parser.add_argument("--select", help="comma-separated rule codes to run (default: all)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    warnings.filterwarnings("ignore")
    folder = Path(args.dir)
    files = sorted(str(p) for p in folder.glob("*.csv"))
    if not files:
        return fatal(f"no CSV files in {folder}")
    prev = sorted(str(p) for p in Path(args.prev_dir).glob("*.csv")) if args.prev_dir else []
    if not args.year.isdigit() or len(args.year) != 4:
        return fatal(f"--year must be a four-digit year, not {args.year!r}")

    captured = io.StringIO()
    failures = _FailureLog()
    try:
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            validator, registry, issue_df = _validate(args, files, prev, failures)
    except Fatal as exc:
        return fatal(str(exc), files=files)

    def description(code: str) -> str:
        rule = registry.get(str(code))
        return (rule.message or "") if rule is not None else ""

    grouped: dict[tuple, dict] = {}
    if issue_df is not None and not issue_df.empty:
        for rec in issue_df.to_dict("records"):
            child = rec["child_id"]
            child = "" if child != child or child is None else str(child)  # NaN -> ""
            key = (child, str(rec["rule_code"]), str(rec["tables_affected"]), int(rec["row_id"]))
            entry = grouped.setdefault(
                key,
                {
                    "child_id": key[0],
                    "rule_code": key[1],
                    "severity": "error",
                    "description": description(key[1]),
                    "table": key[2],
                    "row_id": key[3],
                    "columns": [],
                },
            )
            column = rec.get("columns_affected")
            if isinstance(column, str) and column not in entry["columns"]:
                entry["columns"].append(column)
    issues = [grouped[k] for k in sorted(grouped)]
    false_positives = _false_positives(validator.dfs, issues, args.year)
    for issue in issues:
        reason = false_positives.get((issue["rule_code"], issue["table"], issue["row_id"]))
        if reason:
            issue["severity"] = "false_positive"
            issue["false_positive"] = reason

    tables_present = set(validator.dfs)
    skipped = [
        {
            "rule_code": str(code),
            "description": description(code),
            "reason": skip_reason(registry[str(code)], tables_present),
        }
        for code in sorted(set(map(str, validator.skips)))
    ]
    fails = [
        {
            "rule_code": str(code),
            "description": description(code),
            "message": failures.messages.get(str(code), "the rule raised an exception"),
        }
        for code in sorted(set(map(str, validator.fails)))
    ]
    notes = [
        "each rule ran on its own copy of the tables (the package's copy is shallow: rule 365 "
        "would otherwise end every open episode on 31 March for the rules after it)"
    ]
    if "provider_info" not in validator.metadata:
        notes.append("Ofsted URN lookups not supplied: rules that need them are skipped")
    result = {
        "tool": "csc-validator-be-903",
        "version": metadata.version("csc-validator-be-903"),
        "ruleset": f"lac{int(args.year) - 1}_{args.year[2:4]}",
        "year": args.year,
        "la": args.la,
        "dir": str(folder),
        "tables": {name: int(len(df)) for name, df in sorted(validator.dfs.items())},
        "rules_run": len(validator.dones) + len(validator.skips) + len(validator.fails),
        "rules_with_issues": sorted({i["rule_code"] for i in issues}),
        "issues": issues,
        "fails": fails,
        "skipped": skipped,
        "notes": notes,
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(result, sort_keys=True, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
