"""The scorecard report: a small fct_scorecard_monthly in its own database, the HTML written,
rendered with headless Chromium (screenshot under artifacts/), every chart drawn, nothing
fetched from the network, small counts suppressed on request, and the CLI's exit codes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest

from csc_warehouse.config import get_settings
from csc_warehouse.report.scorecard import (
    NoScorecardData,
    month_end_of,
    report_month_for_extract,
    write_latest,
    write_report,
)

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

DDL = """
create schema if not exists bi;  -- db start / ensure_roles creates an empty bi
create table bi.fct_scorecard_monthly (
    measure_id text, measure_name text, breakdown text, month_end date, period text,
    numerator numeric, denominator numeric, value numeric, unit text, target numeric,
    target_direction text, rag text, value_previous_month numeric, value_previous_year numeric,
    sort_order int
);
create table bi.fct_source_freshness (
    system text, last_extract_date date, last_loaded_at timestamptz, days_behind int
);
insert into bi.fct_source_freshness values
    ('council', '2025-08-31', '2025-09-01 06:10+01', 0),
    ('hr', '2025-08-29', '2025-09-01 06:12+01', 2);
"""

# measure_id, name, unit, target, direction, sort, breakdowns, value(i) for month i (0 = oldest)
MEASURES = [
    (
        "unallocated_cases",
        "Unallocated cases",
        "count",
        0,
        "max",
        10,
        ("all", "CP"),
        lambda i: (i * 7) % 9,
    ),
    (
        "sw_vacancy_rate",
        "Social worker vacancy rate",
        "pct",
        7,
        "max",
        30,
        ("all",),
        lambda i: 5 + (i % 5),
    ),
    (
        "assessments_in_timescale",
        "Assessments in timescale",
        "pct",
        90,
        "min",
        70,
        ("all",),
        lambda i: 80 + (i % 15),
    ),
    (
        "caseload_median",
        "Caseload: median",
        "number",
        None,
        "none",
        61,
        ("all",),
        lambda i: 14 + (i % 3) / 2,
    ),
]
LAST = date(2025, 8, 31)


def _months(n: int) -> list[date]:
    out = []
    year, month = LAST.year, LAST.month
    for _ in range(n):
        out.append(month_end_of(date(year, month, 1)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _rag(value, target, direction):
    if target is None:
        return "none"
    if direction == "max":
        return "green" if value <= target else "amber" if value <= target * 1.1 else "red"
    return "green" if value >= target else "amber" if value >= target * 0.9 else "red"


@pytest.fixture(scope="module")
def scorecard_db(make_database):
    settings = make_database("csc_test_report")
    months = _months(30)
    rows = []
    for measure_id, name, unit, target, direction, sort, breakdowns, fn in MEASURES:
        for breakdown in breakdowns:
            values = [fn(i) if breakdown == "all" else fn(i) % 2 for i in range(len(months))]
            for i, month in enumerate(months):
                for period in ("month", "ytd"):
                    value = values[i]
                    rows.append(
                        (
                            measure_id,
                            name,
                            breakdown,
                            month,
                            period,
                            value,
                            100,
                            value,
                            unit,
                            target,
                            direction,
                            _rag(value, target, direction),
                            values[i - 1] if i else None,
                            values[i - 12] if i >= 12 else None,
                            sort,
                        )
                    )
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute(DDL)
        with conn.cursor() as cur:
            cur.executemany(
                "insert into bi.fct_scorecard_monthly values"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
    return settings


def _chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_report_renders_every_chart_and_stays_offline(scorecard_db, tmp_path):
    out = write_report(scorecard_db, date(2025, 8, 15), tmp_path / "scorecard.html")
    page = out.read_text(encoding="utf-8")
    assert "August 2025" in page
    # self-contained: no URL, script, external stylesheet, font or image
    assert not re.search(r"https?://|<script|<link|@import|url\(|<img", page, re.I)
    # table: one row per measure and breakdown, with the RAG and the previous values
    assert page.count("<tr data-measure=") == 5
    assert 'data-measure="unallocated_cases"' in page and "≤ 7 %" in page and "≥ 90 %" in page
    # freshness per system
    assert "council" in page and "29 Aug 2025" in page

    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "scorecard_report_test.png"
    png.unlink(missing_ok=True)
    shot = _chromium([f"--screenshot={png}", "--window-size=1400,4000", out.as_uri()], tmp_path)
    assert png.exists() and png.stat().st_size > 10_000, shot.stderr[-2000:]
    dom = _chromium(["--dump-dom", out.as_uri()], tmp_path).stdout
    charted = len(MEASURES)  # every measure has a series (breakdown all)
    assert dom.count("<svg") == charted
    # one series per chart, plus the CP cases on the unallocated cases chart
    assert dom.count('<polyline class="series"') == charted
    assert dom.count('<polyline class="series-extra"') == 1
    # a target line on each chart that has a target (unallocated vs 0, vacancy vs 7 %, ...)
    assert dom.count('class="target"') == sum(1 for m in MEASURES if m[3] is not None)
    for points in re.findall(r'<polyline[^>]*points="([^"]*)"', dom):
        assert len(points.split()) == 24
    # the two headline trends against their targets: unallocated vs 0, vacancy vs 7 %
    for measure, target in (("unallocated_cases", "target 0"), ("sw_vacancy_rate", "target 7 %")):
        card = re.search(rf'<div class="card" data-measure="{measure}">(.*?)</div>', dom, re.S)
        assert card and 'class="target"' in card.group(1) and target in card.group(1)


def test_suppress_small_hides_counts_under_5(scorecard_db, tmp_path):
    plain = write_report(scorecard_db, LAST, tmp_path / "plain.html").read_text()
    hidden = write_report(
        scorecard_db, LAST, tmp_path / "small.html", suppress_small=True
    ).read_text()
    # unallocated CP in Aug 2025 is 1 (a count 1-4): shown plainly, suppressed on request
    row = re.compile(
        r'<tr data-measure="unallocated_cases"><td class="name sub">CP</td><td>([^<]*)<'
    )
    assert row.search(plain).group(1) == "1"
    assert row.search(hidden).group(1) == "&lt;5"
    # percentages are not counts: untouched
    assert re.search(r'data-measure="sw_vacancy_rate">.*?<td>(\d+) %', hidden)


def test_no_data_for_month_and_latest(scorecard_db, tmp_path):
    with pytest.raises(NoScorecardData):
        write_report(scorecard_db, date(2014, 1, 1), tmp_path / "none.html")
    assert report_month_for_extract(date(2025, 9, 10)) == date(2025, 8, 31)
    assert report_month_for_extract(date(2025, 8, 31)) == date(2025, 8, 31)
    settings = get_settings({**scorecard_db.env, "CSC_OUTPUT": str(tmp_path / "output")})
    path = write_latest(settings, date(2025, 9, 10))
    assert path == tmp_path / "output" / "scorecard" / "scorecard_2025-08.html"
    assert path.exists()


def test_cli_exit_codes(scorecard_db, tmp_path):
    env = {**os.environ, **scorecard_db.env}
    cmd = [sys.executable, "-m", "csc_warehouse", "report", "scorecard"]
    ok = subprocess.run(
        [*cmd, "--month", "2025-08", "--out", str(tmp_path / "a.html"), "--suppress-small"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "a.html").exists()
    missing = subprocess.run(
        [*cmd, "--month", "2013-01", "--out", str(tmp_path / "b.html")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1
    no_schema = subprocess.run(
        [*cmd, "--month", "2025-08", "--out", str(tmp_path / "c.html"), "--schema", "nope"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert no_schema.returncode == 1
    down = subprocess.run(
        [*cmd, "--month", "2025-08", "--out", str(tmp_path / "d.html")],
        env={**env, "CSC_PG_HOST": "127.0.0.1", "CSC_PG_PORT": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert down.returncode == 3
