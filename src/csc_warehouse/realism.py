"""Realism cross-check: does the published mart look like the authority the generator draws?

The generator is built to produce, at scale 1, a mid-sized English authority (docs/generator.md):
about 4,000 referrals a year, ~3,000 open cases, 400-500 children on CP plans, 450-550 looked
after, re-referrals near 20 %. The mart is built to count those things. Checking one against
the other catches defects in either: a mart that counts every care episode as a new period of
care, or a generator whose children never leave care, both fall outside the ranges.

Volumes scale with the scale factor and are widened by three Poisson standard deviations, so
the same ranges serve a tiny test warehouse (loosely) and scale 1 (tightly). A rate is checked
only when its denominator is large enough to be meaningful (``min_denominator``: 100 for a
rate that varies by chance, 20 for a structural ratio that should be about 1 at any size).

``csc-warehouse report realism --scale S`` prints the table; the benchmark records it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings


@dataclass(frozen=True)
class Expect:
    name: str
    low: float
    high: float
    kind: str  # "count" (scales with the scale factor) or "rate" (percent, or a ratio)
    why: str
    min_denominator: int = 100


EXPECTED = [
    Expect("referrals in the 12 months to the month end", 3400, 4800, "count", "~4,000 a year"),
    Expect("open cases at the month end", 2300, 3600, "count", "a CIN population ~3,000"),
    Expect("children on CP plans at the month end", 380, 520, "count", "400-500"),
    Expect("children looked after at the month end", 420, 580, "count", "450-550"),
    Expect("re-referral rate in the 12 months (%)", 12, 26, "rate", "around 20 %"),
    Expect("periods of care per episode starting care (S)", 0.9, 1.1, "rate", "one each", 20),
    Expect("CP plans per child on a plan at the month end", 0.99, 1.01, "rate", "one each", 20),
]


@dataclass(frozen=True)
class Check:
    name: str
    value: float | None
    low: float
    high: float
    denominator: int | None
    status: str  # ok | out of range | skipped
    why: str

    def line(self) -> str:
        value = "-" if self.value is None else f"{self.value:,.2f}".rstrip("0").rstrip(".")
        return f"{self.status:12} {self.name}: {value} (expected {self.low:g}-{self.high:g})"


def _bounds(expect: Expect, scale: float) -> tuple[float, float]:
    if expect.kind != "count":
        return expect.low, expect.high
    low, high = expect.low * scale, expect.high * scale
    return max(0.0, low - 3 * math.sqrt(low)), high + 3 * math.sqrt(high)


def _measure(conn: psycopg.Connection, schema: str, as_at: date) -> dict[str, tuple]:
    """name -> (value, denominator or None), read from the published mart."""
    s = sql.Identifier(schema)
    one = lambda q, *p: conn.execute(sql.SQL(q).format(s=s), p).fetchone()  # noqa: E731
    out: dict[str, tuple] = {}
    (n,) = one(
        "select count(*) from {s}.fct_referrals where referral_date > %s and referral_date <= %s",
        _minus_year(as_at),
        as_at,
    )
    out["referrals in the 12 months to the month end"] = (n, None)
    open_cases, cp, cla = one(
        "select count(*) filter (where is_open_case), count(*) filter (where is_cp), "
        "count(*) filter (where is_cla) from {s}.fct_child_month_end where month_end_date = %s",
        as_at,
    )
    out["open cases at the month end"] = (open_cases, None)
    out["children on CP plans at the month end"] = (cp, None)
    out["children looked after at the month end"] = (cla, None)
    re_refs, refs = one(
        "select count(*) filter (where is_re_referral), count(*) from {s}.fct_referrals "
        "where referral_date > %s and referral_date <= %s",
        _minus_year(as_at),
        as_at,
    )
    out["re-referral rate in the 12 months (%)"] = (
        100.0 * re_refs / refs if refs else None,
        refs,
    )
    periods, starts = one(
        "select (select count(*) from {s}.fct_care_periods), "
        "(select count(*) from {s}.fct_cla_episodes where rne_code = 'S')"
    )
    out["periods of care per episode starting care (S)"] = (
        periods / starts if starts else None,
        starts,
    )
    plans, children = one(
        "select count(*), count(distinct p.child_key) from {s}.fct_cp_plans as p "
        "where p.start_date <= %s and (p.end_date is null or p.end_date > %s)",
        as_at,
        as_at,
    )
    out["CP plans per child on a plan at the month end"] = (
        plans / children if children else None,
        children,
    )
    return out


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def latest_month_end(conn: psycopg.Connection, schema: str) -> date:
    query = sql.SQL("select max(month_end_date) from {}.fct_child_month_end").format(
        sql.Identifier(schema)
    )
    (day,) = conn.execute(query).fetchone()
    if day is None:
        raise LookupError(f"{schema}.fct_child_month_end is empty")
    return day


def cross_check(
    settings: Settings, scale: float, *, schema: str = "bi", as_at: date | None = None
) -> list[Check]:
    """The checks at the month end ``as_at`` (default: the mart's latest complete month end)."""
    with psycopg.connect(settings.conninfo()) as conn:
        as_at = as_at or latest_month_end(conn, schema)
        measured = _measure(conn, schema, as_at)
    checks = []
    for expect in EXPECTED:
        low, high = _bounds(expect, scale)
        value, denominator = measured[expect.name]
        too_few = expect.kind == "rate" and (denominator or 0) < expect.min_denominator
        if value is None or too_few:
            status = "skipped"
        elif low <= value <= high:
            status = "ok"
        else:
            status = "out of range"
        checks.append(
            Check(
                expect.name, value, round(low, 2), round(high, 2), denominator, status, expect.why
            )
        )
    return checks
