"""The validation report an analyst reads before submitting a return.

For one or more :class:`~csc_warehouse.returns.validators.ValidationResult` it writes, into a
folder:

* ``<name>_issues.csv`` - every error and warning: return, severity, child, rule code and
  description, table, row, columns (and values, for the CIN census); also the flags the
  runner re-checked and found false (severity ``false_positive``, ``note`` says why);
* ``<name>_rules_not_run.csv`` - rules skipped (with why: an Ofsted URN lookup or last year's
  return not supplied, ...) and rules that crashed inside the validator package; these are
  listed apart because they say nothing about the return;
* ``<name>.md`` and ``<name>.html`` - a short summary: verdict per return, counts, the errors
  and warnings by rule, the rules not run, and how long validation took.

The CSVs are deterministic (sorted, no timestamps); the summaries add timings.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from csc_warehouse.returns.validators import ValidationResult

ISSUE_COLUMNS = (
    "return",
    "severity",
    "child_id",
    "rule_code",
    "description",
    "table",
    "row_id",
    "columns",
    "values",
    "note",
)
NOT_RUN_COLUMNS = ("return", "status", "rule_code", "description", "reason")


@dataclass(frozen=True)
class ReportFiles:
    issues_csv: Path
    not_run_csv: Path
    markdown: Path
    html: Path


def _results(results: ValidationResult | Iterable[ValidationResult]) -> list[ValidationResult]:
    if isinstance(results, ValidationResult):
        return [results]
    return list(results)


def issue_rows(results: Sequence[ValidationResult]) -> list[list[str]]:
    rows = []
    for r in results:
        for i in r.issues:
            rows.append(
                [
                    r.label,
                    i.severity,
                    i.child_id or "",
                    i.rule_code,
                    i.description,
                    i.table or "",
                    "" if i.row_id is None else str(i.row_id),
                    " ".join(i.columns),
                    " | ".join(i.values),
                    i.note,
                ]
            )
    severity_order = {"error": 0, "warning": 1, "false_positive": 2}
    rows.sort(key=lambda x: (x[0], severity_order.get(x[1], 2), x[2], x[3], x[5], x[6].zfill(9)))
    return rows


def not_run_rows(results: Sequence[ValidationResult]) -> list[list[str]]:
    rows = []
    for r in results:
        rows += [[r.label, "crashed", n.rule_code, n.description, n.reason] for n in r.fails]
        rows += [[r.label, "skipped", n.rule_code, n.description, n.reason] for n in r.skipped]
    rows.sort()
    return rows


def _csv(columns: Sequence[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _verdict(r: ValidationResult) -> str:
    if r.errors:
        return f"NOT READY: {len(r.errors)} error(s)"
    if r.warnings:
        return f"passes, with {len(r.warnings)} warning(s) to check"
    return "passes"


def _by_rule(r: ValidationResult, severity: str) -> list[tuple[str, str, int, list[str]]]:
    """(rule, description, count, children) for one severity, most frequent first."""
    counts: Counter = Counter()
    descriptions: dict[str, str] = {}
    children: dict[str, set[str]] = {}
    for i in r.issues:
        if i.severity != severity:
            continue
        counts[i.rule_code] += 1
        descriptions[i.rule_code] = i.description
        if i.child_id:
            children.setdefault(i.rule_code, set()).add(i.child_id)
    return [
        (code, descriptions[code], n, sorted(children.get(code, ())))
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _false_by_rule(r: ValidationResult) -> list[tuple[str, int, str]]:
    """(rule, flags, why) for the flags re-checked and found false, by rule."""
    counts = Counter(i.rule_code for i in r.false_positives)
    why = {i.rule_code: i.note for i in reversed(r.false_positives)}  # the first one's note
    return [(code, n, why[code]) for code, n in sorted(counts.items())]


def summary_markdown(results: ValidationResult | Iterable[ValidationResult]) -> str:
    results = _results(results)
    out = ["# Statutory returns: validation report", ""]
    out += ["| return | ruleset | verdict | errors | warnings | skipped | crashed | seconds |"]
    out += ["| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        out.append(
            f"| {r.label} | {r.ruleset} | {_verdict(r)} | {len(r.errors)} | {len(r.warnings)} "
            f"| {len(r.skipped)} | {len(r.fails)} | {r.wall_seconds:.1f} |"
        )
    for r in results:
        out += ["", f"## {r.label} ({r.tool} {r.version}, {r.ruleset})", ""]
        out.append(f"Validated `{r.target}`: {r.rules_run} rules run.")
        for severity, title in (("error", "Errors"), ("warning", "Warnings (queries)")):
            rules = _by_rule(r, severity)
            out += ["", f"### {title}", ""]
            if not rules:
                out.append("None.")
                continue
            out += ["| rule | description | issues | children |", "| --- | --- | ---: | --- |"]
            for code, desc, n, kids in rules:
                shown = ", ".join(kids[:10]) + (f" (+{len(kids) - 10})" if len(kids) > 10 else "")
                out.append(f"| {code} | {_md(desc)} | {n} | {shown or '(whole return)'} |")
        if r.false_positives:
            out += [
                "",
                "### Flags re-checked and found false (not counted)",
                "",
                "The validator package's code for these rules contradicts the rule's own "
                "message; each flag was checked against the message (`note` in the issues CSV).",
                "",
                "| rule | flags | why |",
                "| --- | ---: | --- |",
            ]
            for code, n, why in _false_by_rule(r):
                out.append(f"| {code} | {n} | {_md(why)} |")
        out += ["", "### Rules not run", ""]
        if not r.fails and not r.skipped:
            out.append("None.")
        if r.fails:
            out += [
                "Crashed inside the validator package (a fault in the package, not in the "
                "return; check these by hand):",
                "",
            ]
            out += [f"- {n.rule_code}: {_md(n.description)} - `{_md(n.reason)}`" for n in r.fails]
            out.append("")
        if r.skipped:
            reasons = Counter(n.reason for n in r.skipped)
            out.append("Skipped:")
            out.append("")
            for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
                codes = sorted(s.rule_code for s in r.skipped if s.reason == reason)
                out.append(f"- {n} rule(s), {reason}: {', '.join(codes)}")
        if r.notes:
            out += ["", "Notes:", ""] + [f"- {_md(note)}" for note in r.notes]
    out += [
        "",
        "Details: the `_issues.csv` file beside this one lists every error and warning with the "
        "child, table, row and columns; `_rules_not_run.csv` the rules skipped or crashed.",
        "",
    ]
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_html(results: ValidationResult | Iterable[ValidationResult]) -> str:
    results = _results(results)
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Statutory returns: validation report</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #bbb;"
        "padding:.25rem .5rem;text-align:left;vertical-align:top}.bad{color:#b00020}"
        ".good{color:#1b5e20}</style></head><body>",
        "<h1>Statutory returns: validation report</h1>",
        "<table><tr><th>return</th><th>ruleset</th><th>verdict</th><th>errors</th>"
        "<th>warnings</th><th>skipped</th><th>crashed</th><th>seconds</th></tr>",
    ]
    for r in results:
        cls = "bad" if r.errors else "good"
        parts.append(
            f"<tr><td>{e(r.label)}</td><td>{e(r.ruleset)}</td>"
            f'<td class="{cls}">{e(_verdict(r))}</td><td>{len(r.errors)}</td>'
            f"<td>{len(r.warnings)}</td><td>{len(r.skipped)}</td><td>{len(r.fails)}</td>"
            f"<td>{r.wall_seconds:.1f}</td></tr>"
        )
    parts.append("</table>")
    for r in results:
        parts.append(f"<h2>{e(r.label)} ({e(r.tool)} {e(r.version)}, {e(r.ruleset)})</h2>")
        parts.append(f"<p>Validated <code>{e(r.target)}</code>: {r.rules_run} rules run.</p>")
        for severity, title in (("error", "Errors"), ("warning", "Warnings (queries)")):
            parts.append(f"<h3>{title}</h3>")
            issues = [i for i in r.issues if i.severity == severity]
            if not issues:
                parts.append("<p>None.</p>")
                continue
            parts.append(
                "<table><tr><th>child</th><th>rule</th><th>description</th><th>table</th>"
                "<th>row</th><th>columns</th></tr>"
            )
            for i in sorted(issues, key=lambda i: (i.child_id or "", i.rule_code, i.row_id or 0)):
                parts.append(
                    f"<tr><td>{e(i.child_id or '(whole return)')}</td><td>{e(i.rule_code)}</td>"
                    f"<td>{e(i.description)}</td><td>{e(i.table or '')}</td>"
                    f"<td>{'' if i.row_id is None else i.row_id}</td>"
                    f"<td>{e(' '.join(i.columns))}</td></tr>"
                )
            parts.append("</table>")
        if r.false_positives:
            parts.append("<h3>Flags re-checked and found false (not counted)</h3><ul>")
            for code, n, why in _false_by_rule(r):
                parts.append(f"<li>{e(code)}: {n} flag(s), {e(why)}</li>")
            parts.append("</ul>")
        parts.append("<h3>Rules not run</h3>")
        if not r.fails and not r.skipped:
            parts.append("<p>None.</p>")
        if r.fails:
            parts.append(
                "<p>Crashed inside the validator package (not an error in the return):</p>"
            )
            parts.append("<ul>")
            parts += [
                f"<li>{e(n.rule_code)}: {e(n.description)} <code>{e(n.reason)}</code></li>"
                for n in r.fails
            ]
            parts.append("</ul>")
        if r.skipped:
            parts.append("<p>Skipped:</p><ul>")
            reasons = Counter(n.reason for n in r.skipped)
            for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
                codes = sorted(s.rule_code for s in r.skipped if s.reason == reason)
                parts.append(f"<li>{n} rule(s), {e(reason)}: {e(', '.join(codes))}</li>")
            parts.append("</ul>")
        if r.notes:
            parts.append("<p>Notes:</p><ul>")
            parts += [f"<li>{e(note)}</li>" for note in r.notes]
            parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_validation_report(
    results: ValidationResult | Iterable[ValidationResult],
    out_dir: str | Path,
    name: str = "validation_report",
) -> ReportFiles:
    """Write the CSVs and the Markdown and HTML summaries; return their paths."""
    results = _results(results)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(
        issues_csv=out_dir / f"{name}_issues.csv",
        not_run_csv=out_dir / f"{name}_rules_not_run.csv",
        markdown=out_dir / f"{name}.md",
        html=out_dir / f"{name}.html",
    )
    files.issues_csv.write_bytes(_csv(ISSUE_COLUMNS, issue_rows(results)))
    files.not_run_csv.write_bytes(_csv(NOT_RUN_COLUMNS, not_run_rows(results)))
    files.markdown.write_text(summary_markdown(results), encoding="utf-8")
    files.html.write_text(summary_html(results), encoding="utf-8")
    return files
