"""fct_post_days, incrementally: HR changing the past is followed, and nothing else is redone.

HR delivers a full snapshot each weekday, and a snapshot can change the past: here a leaving
date entered nine months late (beyond any look-back window). A hand-made HR of two posts,
written as the loader writes it, is built night by night the way the nightly builds it
(CSC_DBT_SEED_FROM set, so the fact rebuilds the posts whose inputs changed since the last
publication in ops.publish_log):

* night 1 (2025-03-31): P1 held by E1 since 2019, P2 held by E2 since 2020;
* night 2 (2025-04-01): E2's leaving date, 2024-06-30, arrives. Every day of P2 from
  2024-07-01 is vacant (its FTE, 1.00, vacant); P1's rows are not rewritten (their ``ctid``
  stays) and gain the new day;
* a rerun of night 1 afterwards drops the day after its as-at date.

After each build the table equals a ``--full-refresh`` of the same data.
"""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from psycopg import sql

from csc_warehouse.publish import OPS_DDL
from csc_warehouse.tools import run_dbt

pytestmark = pytest.mark.timeout(600)

SCHEMA = "analytics"
NIGHTLY = {"CSC_DBT_SEED_FROM": f"{SCHEMA}:bi"}  # as the nightly: publications decide


def _post(number: str, start: str) -> dict:
    return {
        "post_number": number,
        "team": "CIN1",
        "job_title": "Social Worker",
        "social_worker_post": "Yes",
        "case_holding": "Yes",
        "fte": "1",
        "established_from": start,
    }


def _staff(number: str, post: str, start: str, leaving: str | None = None) -> dict:
    return {
        "employee_number": number,
        "name": f"Worker {number}",
        "job_title": "Social Worker",
        "post_number": post,
        "fte": "1",
        "start_date": start,
        "leaving_date": leaving,
        "agency": "No",
    }


def _deliver(settings, night: str, tables: dict[str, list[dict]]) -> None:
    """One HR snapshot, as the loader writes it: raw rows, the batch and its ledger rows."""
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        batch = conn.execute(
            "insert into ops.load_batches (system, extract_date, delivery, status, "
            "manifest_sha256, folder, is_current) "
            "values ('hr', %s, 1, 'loaded', 'x', %s, true) returning batch_id",
            (night, f"hr/{night}"),
        ).fetchone()[0]
        for table, rows in tables.items():
            for line, row in enumerate(rows, start=2):
                cols = [*row, "_batch_id", "_extract_date", "_source_file", "_line_number"]
                conn.execute(
                    sql.SQL("insert into {} ({}) values ({})").format(
                        sql.Identifier("raw_hr", table),
                        sql.SQL(", ").join(map(sql.Identifier, cols)),
                        sql.SQL(", ").join(sql.Placeholder() * len(cols)),
                    ),
                    [*row.values(), batch, date.fromisoformat(night), "workforce.xlsx", line],
                )
            conn.execute(
                "insert into ops.load_ledger (batch_id, system, extract_date, file_name, "
                "table_name, status, rows_raw) values (%s, 'hr', %s, 'workforce.xlsx', %s, "
                "'loaded', %s)",
                (batch, night, table, len(rows)),
            )


def _dbt(settings, tmp_path, *args: str, **env: str) -> None:
    res = run_dbt(
        [*args, "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        settings,
        capture=True,
        **env,
    )
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]


def _build(settings, tmp_path, as_at: str, *extra: str) -> None:
    _dbt(settings, tmp_path, "run", "--select", "+fct_post_days", "--vars",
         f"{{as_at_date: '{as_at}'}}", *extra, **NIGHTLY)  # fmt: skip


def _published(settings) -> None:
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute("insert into ops.publish_log (run_id, outcome) values ('test', 'published')")


def _rows(settings) -> dict[tuple[str, date], tuple]:
    with psycopg.connect(settings.conninfo()) as conn:
        return {
            (r[0], r[1]): r[2:]
            for r in conn.execute(
                f"select post_key, date_day, is_vacant, vacant_fte::text, holder_count, "
                f"r::text, ctid::text from {SCHEMA}.fct_post_days as r"
            )
        }


def _content(rows: dict) -> dict:
    return {k: v[3] for k, v in rows.items()}  # the whole row as text, not where it is


def test_post_days_follow_hr_changing_the_past(empty_warehouse, tmp_path):
    settings = empty_warehouse
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute(OPS_DDL)
    _dbt(settings, tmp_path, "seed")
    posts = [_post("P1", "2019-01-01"), _post("P2", "2020-01-01")]

    _deliver(settings, "2025-03-31", {
        "posts": posts,
        "staff": [_staff("E1", "P1", "2019-02-01"), _staff("E2", "P2", "2020-02-01")],
    })  # fmt: skip
    _build(settings, tmp_path, "2025-03-31")
    one = _rows(settings)
    assert one[("P2", date(2024, 9, 2))][:3] == (False, "0.00", 1)
    assert max(day for _, day in one) == date(2025, 3, 31)
    _published(settings)

    _deliver(settings, "2025-04-01", {
        "posts": posts,
        "staff": [_staff("E1", "P1", "2019-02-01"),
                  _staff("E2", "P2", "2020-02-01", leaving="2024-06-30")],
    })  # fmt: skip
    _build(settings, tmp_path, "2025-04-01")
    two = _rows(settings)
    assert two[("P2", date(2024, 6, 30))][:3] == (False, "0.00", 1)
    for day in (date(2024, 7, 1), date(2024, 9, 2), date(2025, 4, 1)):
        assert two[("P2", day)][:3] == (True, "1.00", 0), day
    assert two[("P1", date(2025, 4, 1))][:3] == (False, "0.00", 1)
    untouched = [k for k in one if k[0] == "P1"]
    assert untouched and all(two[k][4] == one[k][4] for k in untouched)  # not rewritten

    _build(settings, tmp_path, "2025-04-01", "--full-refresh")
    assert _content(_rows(settings)) == _content(two)

    # a rerun of the earlier night, incrementally, then from scratch
    _published(settings)
    _build(settings, tmp_path, "2025-03-31")
    rerun = _rows(settings)
    assert max(day for _, day in rerun) == date(2025, 3, 31)
    _build(settings, tmp_path, "2025-03-31", "--full-refresh")
    assert _content(_rows(settings)) == _content(rerun)
