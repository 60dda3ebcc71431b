"""The monthly scorecard report: one self-contained HTML file.

Reads ``fct_scorecard_monthly`` and ``fct_source_freshness`` from a schema (``bi`` by
default) and writes a page with inline CSS and inline SVG line charts drawn here in Python:
no JavaScript, no web fonts, nothing fetched from the network, so the file can be mailed or
opened on a locked-down laptop.

The page: a table of measures for the month (value, target, RAG colour, previous month,
previous year, numerator / denominator, year to date), the data freshness per source
system, and a trend chart per measure (breakdown ``all``) over the last 24 months with its
target line.

``suppress_small``: counts from 1 to 4 (numerators, denominators and count values) are shown
as ``<5`` in the table, and count measures' charts show no points (only the target), for a
copy shared outside the service. Zero is shown: it discloses nobody.
"""

from __future__ import annotations

import calendar
import html
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings

RAG_COLOURS = {
    "green": ("#1d7044", "#e3f3e8"),
    "amber": ("#8a5a00", "#fdf0cf"),
    "red": ("#a3171c", "#fbe1e1"),
    "none": ("#505a5f", "#f3f2f1"),
}
CHART_MONTHS = 24
BREAKDOWN_ORDER = {"all": 0, "CP": 1, "CLA": 2, "CIN": 3, "disabled": 4}


class NoScorecardData(Exception):
    """The schema has no scorecard rows for the month asked for."""


@dataclass(frozen=True)
class Row:
    measure_id: str
    measure_name: str
    breakdown: str
    month_end: date
    period: str
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    unit: str
    target: Decimal | None
    direction: str
    rag: str
    value_previous_month: Decimal | None
    value_previous_year: Decimal | None
    sort_order: int | None


def month_end_of(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _months_back(month_end: date, n: int) -> date:
    index = month_end.year * 12 + month_end.month - 1 - n
    return month_end_of(date(index // 12, index % 12 + 1, 1))


def report_month_for_extract(extract_date: date) -> date:
    """The month a report of an extract is for: its own if it is a month end, else the one before."""
    if extract_date == month_end_of(extract_date):
        return extract_date
    return _months_back(month_end_of(extract_date), 1)


# ----------------------------------------------------------------------------- reading


def _read(settings: Settings, schema: str, month_end: date):
    first = _months_back(month_end, CHART_MONTHS - 1)
    with psycopg.connect(settings.conninfo(), connect_timeout=10) as conn:
        cur = conn.execute(
            sql.SQL(
                "select measure_id, measure_name, breakdown, month_end, period, numerator,"
                " denominator, value, unit, target, target_direction, rag, value_previous_month,"
                " value_previous_year, sort_order from {}.fct_scorecard_monthly"
                " where month_end between %s and %s"
                " order by sort_order nulls last, measure_id, breakdown, month_end"
            ).format(sql.Identifier(schema)),
            (first, month_end),
        )
        rows = [Row(*r) for r in cur.fetchall()]
        freshness: list[tuple] | None
        exists = conn.execute(
            "select to_regclass(%s) is not null",
            (f'"{schema}".fct_source_freshness',),
        ).fetchone()
        if exists and exists[0]:
            freshness = conn.execute(
                sql.SQL(
                    "select system, last_extract_date, last_loaded_at, days_behind"
                    " from {}.fct_source_freshness order by system"
                ).format(sql.Identifier(schema))
            ).fetchall()
        else:
            freshness = None
    return rows, freshness


# ----------------------------------------------------------------------------- formatting


def _is_small(n) -> bool:
    return n is not None and 0 < n < 5


def _fmt_number(value, unit: str = "number", *, suppress: bool = False, count: bool = False) -> str:
    if value is None:
        return "–"
    if suppress and count and _is_small(value):
        return "&lt;5"
    value = Decimal(value)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"
    if unit == "pct":
        return f"{text} %"
    return text


def _fmt_value(row: Row, value, suppress: bool) -> str:
    return _fmt_number(value, row.unit, suppress=suppress, count=row.unit == "count")


def _target_text(row: Row) -> str:
    if row.target is None or row.direction not in ("max", "min"):
        return "–"
    sign = "≤" if row.direction == "max" else "≥"
    return f"{sign} {_fmt_number(row.target, row.unit)}"


def _fraction(row: Row, suppress: bool) -> str:
    if row.numerator is None and row.denominator is None:
        return "–"
    is_fte = row.measure_id in {"sw_vacancy_rate", "agency_rate", "turnover_rate", "caseload_mean"}
    num = _fmt_number(row.numerator, suppress=suppress, count=not is_fte)
    if row.denominator is None:
        return num
    den = _fmt_number(row.denominator, suppress=suppress, count=not is_fte)
    return f"{num} / {den}"


# ----------------------------------------------------------------------------- charts


def _svg_chart(
    title: str,
    points: list[tuple[date, float | None]],
    target,
    unit: str,
    extra: tuple[str, list[tuple[date, float | None]]] | None = None,
) -> str:
    """A line chart (one polyline) of the values, with a dashed target line; ``extra`` adds a
    second, labelled series (the CP cases on the unallocated cases chart)."""
    width, height = 420, 170
    left, right, top, bottom = 46, 12, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, v in points if v is not None]
    if extra is not None:
        values += [v for _, v in extra[1] if v is not None]
    candidates = values + ([float(target)] if target is not None else [])
    lo = min(candidates + [0.0])
    hi = max(candidates + [1.0])
    if unit == "pct":
        hi = max(hi, 10.0)
    hi = hi + (hi - lo) * 0.08
    span = hi - lo or 1.0
    n = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / n

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / span)

    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="{html.escape(title)}">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff"'
        ' stroke="#b1b4b6"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        v = lo + span * frac
        parts.append(
            f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" class="axis">'
            f"{_fmt_number(round(v, 1))}</text>"
        )
    for i, (month, _) in enumerate(points):
        if i % 6 == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 10}" class="axis" text-anchor='
                f'"{"end" if i == len(points) - 1 else "middle"}">'
                f"{month:%b %y}</text>"
            )
    if target is not None:
        ty = y(float(target))
        parts.append(
            f'<line class="target" x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}"'
            ' stroke="#d4351c" stroke-width="1.5" stroke-dasharray="5 4"/>'
        )
        parts.append(
            f'<text x="{left + plot_w - 2}" y="{ty - 4:.1f}" text-anchor="end" class="axis"'
            f' fill="#d4351c">target {_fmt_number(target, unit)}</text>'
        )
    coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points) if v is not None)
    parts.append(
        f'<polyline class="series" points="{coords}" fill="none" stroke="#1d70b8"'
        ' stroke-width="2.2"/>'
    )
    for i, (_, v) in enumerate(points):
        if v is not None:
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.2" fill="#1d70b8"/>')
    if extra is not None:
        label, extra_points = extra
        extra_coords = " ".join(
            f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(extra_points) if v is not None
        )
        parts.append(
            f'<polyline class="series-extra" points="{extra_coords}" fill="none"'
            ' stroke="#912b88" stroke-width="1.6"/>'
        )
        parts.append(
            f'<text x="{left + 4}" y="{top + 11}" class="axis" fill="#912b88">'
            f"{html.escape(label)}</text>"
            f'<text x="{left + 4}" y="{top + 23}" class="axis" fill="#1d70b8">all</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------- page

CSS = """
body { font-family: Arial, Helvetica, sans-serif; margin: 24px; color: #0b0c0c; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 28px 0 8px; }
p.meta { color: #505a5f; margin: 0 0 16px; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 5px 9px; text-align: right; }
th { background: #f3f2f1; } td.name, th.name { text-align: left; }
td.sub { color: #505a5f; padding-left: 22px; }
td.rag { font-weight: bold; text-align: center; text-transform: uppercase; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 14px; }
.card { border: 1px solid #b1b4b6; padding: 8px; width: 420px; }
.card h3 { font-size: 14px; margin: 0 0 4px; min-height: 34px; }
.axis { font-size: 10px; fill: #505a5f; }
"""


def _render(
    rows: list[Row], freshness, month_end: date, schema: str, suppress: bool
) -> tuple[str, int]:
    month_rows = [r for r in rows if r.month_end == month_end and r.period == "month"]
    ytd = {
        (r.measure_id, r.breakdown): r
        for r in rows
        if r.month_end == month_end and r.period == "ytd"
    }
    series: dict[str, dict[date, float | None]] = defaultdict(dict)
    cp_series: dict[date, float | None] = {}
    meta: dict[str, Row] = {}
    for r in rows:
        if r.period == "month" and r.breakdown == "all":
            series[r.measure_id][r.month_end] = None if r.value is None else float(r.value)
            meta[r.measure_id] = r
        if r.period == "month" and r.measure_id == "unallocated_cases" and r.breakdown == "CP":
            cp_series[r.month_end] = None if r.value is None else float(r.value)

    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Children's services scorecard {month_end:%B %Y}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Children's services scorecard: {month_end:%B %Y}</h1>",
        f'<p class="meta">As at {month_end:%d %B %Y}; year to date from 1 April. Source: '
        f"{html.escape(schema)}.fct_scorecard_monthly. Generated {datetime.now():%d %B %Y %H:%M}."
        + (" Counts of 1 to 4 are shown as &lt;5." if suppress else "")
        + "</p>",
        '<p class="meta">RAG: green on target; amber within 10 % of it (for a maximum, up to'
        " the target + 10 %; for a minimum, down to the target - 10 %); red beyond. A target of"
        " 0 has no amber band, except unallocated cases: red if any CP case is unallocated,"
        " amber if only other cases are. Highest caseload: no amber (none over 25).</p>",
        "<h2>Measures</h2>",
        "<table><thead><tr>"
        '<th class="name">Measure</th><th>Value</th><th>Target</th><th>RAG</th>'
        "<th>Previous month</th><th>Previous year</th><th>Numerator / denominator</th>"
        "<th>Year to date</th></tr></thead><tbody>",
    ]
    ordered = sorted(
        month_rows,
        key=lambda r: (
            r.sort_order if r.sort_order is not None else 10**6,
            r.measure_id,
            BREAKDOWN_ORDER.get(r.breakdown, len(BREAKDOWN_ORDER)),
            r.breakdown,
        ),
    )
    for r in ordered:
        fg, bg = RAG_COLOURS.get(r.rag, RAG_COLOURS["none"])
        label = (
            f'<td class="name">{html.escape(r.measure_name)}</td>'
            if r.breakdown == "all"
            else f'<td class="name sub">{html.escape(r.breakdown)}</td>'
        )
        y = ytd.get((r.measure_id, r.breakdown))
        out.append(
            f'<tr data-measure="{html.escape(r.measure_id)}">{label}'
            f"<td>{_fmt_value(r, r.value, suppress)}</td>"
            f"<td>{_target_text(r)}</td>"
            f'<td class="rag" style="color:{fg};background:{bg}">{html.escape(r.rag)}</td>'
            f"<td>{_fmt_value(r, r.value_previous_month, suppress)}</td>"
            f"<td>{_fmt_value(r, r.value_previous_year, suppress)}</td>"
            f"<td>{_fraction(r, suppress)}</td>"
            f"<td>{_fmt_value(r, y.value, suppress) if y else '–'}</td></tr>"
        )
    out.append("</tbody></table>")

    out.append("<h2>Data freshness</h2>")
    if freshness is None:
        out.append("<p>No freshness information in this schema.</p>")
    else:
        out.append(
            '<table><thead><tr><th class="name">System</th><th>Last extract</th>'
            "<th>Loaded at</th><th>Days behind</th></tr></thead><tbody>"
        )
        for system, last_extract, loaded_at, days_behind in freshness:
            loaded = f"{loaded_at:%d %b %Y %H:%M}" if loaded_at else "–"
            extract = f"{last_extract:%d %b %Y}" if last_extract else "–"
            out.append(
                f'<tr><td class="name">{html.escape(str(system))}</td><td>{extract}</td>'
                f"<td>{loaded}</td><td>{'–' if days_behind is None else days_behind}</td></tr>"
            )
        out.append("</tbody></table>")

    out.append(f'<h2>Trends: the last {CHART_MONTHS} months</h2><div class="charts">')
    months = [_months_back(month_end, i) for i in range(CHART_MONTHS - 1, -1, -1)]
    charted = 0
    for measure_id, r in sorted(
        meta.items(),
        key=lambda kv: (kv[1].sort_order if kv[1].sort_order is not None else 10**6, kv[0]),
    ):
        values = series[measure_id]
        if all(values.get(m) is None for m in months):
            continue
        hide = suppress and r.unit == "count"
        points = [(m, None if hide else values.get(m)) for m in months]
        target = r.target if r.direction in ("max", "min") else None
        extra = None
        if measure_id == "unallocated_cases" and cp_series:
            extra = ("CP cases", [(m, None if hide else cp_series.get(m)) for m in months])
        out.append(
            f'<div class="card" data-measure="{html.escape(measure_id)}">'
            f"<h3>{html.escape(r.measure_name)}</h3>"
            f"{_svg_chart(r.measure_name, points, target, r.unit, extra)}</div>"
        )
        charted += 1
    out.append("</div></body></html>")
    return "\n".join(out), charted


def write_report(
    settings: Settings,
    month: date,
    out: Path,
    *,
    schema: str = "bi",
    suppress_small: bool = False,
) -> Path:
    """Write the scorecard for the month containing ``month`` to ``out``; returns ``out``.

    Raises NoScorecardData when the schema has no rows for that month, and psycopg's
    OperationalError when the database cannot be reached.
    """
    month_end = month_end_of(month)
    rows, freshness = _read(settings, schema, month_end)
    if not any(r.month_end == month_end and r.period == "month" for r in rows):
        raise NoScorecardData(
            f"no scorecard rows in {schema}.fct_scorecard_monthly for {month_end:%Y-%m}"
        )
    page, _ = _render(rows, freshness, month_end, schema, suppress_small)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


def write_latest(settings: Settings, extract_date: date, *, schema: str = "bi") -> Path:
    """The nightly report: the month of the extract date if it is a month end, else the one before."""
    month_end = report_month_for_extract(extract_date)
    out = settings.output / "scorecard" / f"scorecard_{month_end:%Y-%m}.html"
    return write_report(settings, month_end, out, schema=schema)
