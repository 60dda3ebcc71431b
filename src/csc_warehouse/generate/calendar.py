"""Dates for the generator: England & Wales bank holidays, working days, the system history
(transfers) and which extract nights exist (the archive rule of sources.md).

Days are handled as ``date.toordinal()`` integers inside the simulation.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

# England and Wales bank holidays, hard-coded (gov.uk), 2001-2027 (the simulation warms up
# from 2001 so that the council's first full folder of 2015-04-01 already holds a history).
_BANK_HOLIDAYS = """
2001-01-01 2001-04-13 2001-04-16 2001-05-07 2001-05-28 2001-08-27 2001-12-25 2001-12-26
2002-01-01 2002-03-29 2002-04-01 2002-05-06 2002-06-03 2002-06-04 2002-08-26 2002-12-25 2002-12-26
2003-01-01 2003-04-18 2003-04-21 2003-05-05 2003-05-26 2003-08-25 2003-12-25 2003-12-26
2004-01-01 2004-04-09 2004-04-12 2004-05-03 2004-05-31 2004-08-30 2004-12-27 2004-12-28
2005-01-03 2005-03-25 2005-03-28 2005-05-02 2005-05-30 2005-08-29 2005-12-26 2005-12-27
2006-01-02 2006-04-14 2006-04-17 2006-05-01 2006-05-29 2006-08-28 2006-12-25 2006-12-26
2007-01-01 2007-04-06 2007-04-09 2007-05-07 2007-05-28 2007-08-27 2007-12-25 2007-12-26
2008-01-01 2008-03-21 2008-03-24 2008-05-05 2008-05-26 2008-08-25 2008-12-25 2008-12-26
2009-01-01 2009-04-10 2009-04-13 2009-05-04 2009-05-25 2009-08-31 2009-12-25 2009-12-28
2010-01-01 2010-04-02 2010-04-05 2010-05-03 2010-05-31 2010-08-30 2010-12-27 2010-12-28
2011-01-03 2011-04-22 2011-04-25 2011-04-29 2011-05-02 2011-05-30 2011-08-29 2011-12-26 2011-12-27
2012-01-02 2012-04-06 2012-04-09 2012-05-07 2012-06-04 2012-06-05 2012-08-27 2012-12-25 2012-12-26
2013-01-01 2013-03-29 2013-04-01 2013-05-06 2013-05-27 2013-08-26 2013-12-25 2013-12-26
2014-01-01 2014-04-18 2014-04-21 2014-05-05 2014-05-26 2014-08-25 2014-12-25 2014-12-26
2015-01-01 2015-04-03 2015-04-06 2015-05-04 2015-05-25 2015-08-31 2015-12-25 2015-12-28
2016-01-01 2016-03-25 2016-03-28 2016-05-02 2016-05-30 2016-08-29 2016-12-26 2016-12-27
2017-01-02 2017-04-14 2017-04-17 2017-05-01 2017-05-29 2017-08-28 2017-12-25 2017-12-26
2018-01-01 2018-03-30 2018-04-02 2018-05-07 2018-05-28 2018-08-27 2018-12-25 2018-12-26
2019-01-01 2019-04-19 2019-04-22 2019-05-06 2019-05-27 2019-08-26 2019-12-25 2019-12-26
2020-01-01 2020-04-10 2020-04-13 2020-05-08 2020-05-25 2020-08-31 2020-12-25 2020-12-28
2021-01-01 2021-04-02 2021-04-05 2021-05-03 2021-05-31 2021-08-30 2021-12-27 2021-12-28
2022-01-03 2022-04-15 2022-04-18 2022-05-02 2022-06-02 2022-06-03 2022-08-29 2022-09-19
2022-12-26 2022-12-27
2023-01-02 2023-04-07 2023-04-10 2023-05-01 2023-05-08 2023-05-29 2023-08-28 2023-12-25 2023-12-26
2024-01-01 2024-03-29 2024-04-01 2024-05-06 2024-05-27 2024-08-26 2024-12-25 2024-12-26
2025-01-01 2025-04-18 2025-04-21 2025-05-05 2025-05-26 2025-08-25 2025-12-25 2025-12-26
2026-01-01 2026-04-03 2026-04-06 2026-05-04 2026-05-25 2026-08-31 2026-12-25 2026-12-28
2027-01-01 2027-03-26 2027-03-29 2027-05-03 2027-05-31 2027-08-30 2027-12-27 2027-12-28
"""
BANK_HOLIDAYS: frozenset[date] = frozenset(date.fromisoformat(d) for d in _BANK_HOLIDAYS.split())
_BH_ORD = frozenset(d.toordinal() for d in BANK_HOLIDAYS)

# The history of the systems (sources.md).
# Simulation warm-up: arrivals start here. Long enough for the slow populations to reach a
# steady state before the first extract (2015): a disabled children's case can run from age 1
# to 18, a care episode for most of a childhood. From 2011 they still grew through the whole
# history (scale 1, seed 42, 2015 -> 2025: disabled service 414 -> 719 open, looked after
# 408 -> 511); from 2001 they are flat (683 -> 720, 494 -> 529). docs/generator.md.
WORLD_START = date(2001, 4, 1)
COUNCIL_FIRST = date(2015, 4, 1)  # council's first (full) folder
TRUST_START = date(2016, 4, 1)  # social care moves to the trust
CWD_TO_TRUST = date(2018, 4, 1)  # the disabled children's service follows
TRUST_RETURN = date(2022, 4, 1)  # everything back to the council
TRUST_LAST = date(2022, 4, 5)  # the trust's final extract
LIVE = date(2025, 4, 1)  # the warehouse goes live: every night delivered from here
DEFAULT_START = COUNCIL_FIRST
DEFAULT_END = date(2025, 9, 30)
HORIZON = date(2027, 12, 31)  # the bank holiday list ends here

D = date.toordinal
O_TRUST_START = D(TRUST_START)
O_CWD_TO_TRUST = D(CWD_TO_TRUST)
O_TRUST_RETURN = D(TRUST_RETURN)
O_TRUST_LAST = D(TRUST_LAST)


def is_working_day(day: int) -> bool:
    return day % 7 not in (6, 0) and day not in _BH_ORD  # ordinal % 7: 0 = Sunday, 6 = Saturday


def add_working_days(day: int, n: int) -> int:
    """The n-th working day after ``day`` (n = 0: ``day`` itself if a working day, else the next)."""
    while not is_working_day(day):
        day += 1
    while n > 0:
        day += 1
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(a: int, b: int) -> int:
    return sum(1 for d in range(a + 1, b + 1) if is_working_day(d))


@cache
def fmt_date(day: int, fmt: str) -> str:
    return date.fromordinal(day).strftime(fmt)


def month_ends(first: date, last: date) -> list[date]:
    out = []
    d = date(first.year, first.month, 1)
    while d <= last:
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        out.append(nxt - timedelta(days=1))
        d = nxt
    return [x for x in out if first <= x <= last]


def last_weekday(d: date) -> date:
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def system_nights(system: str, start: date, end: date, policy: str = "spec") -> list[date]:
    """The extract dates of ``system`` within [start, end].

    policy ``spec``: before 2025-04-01 only the archived nights (trust: month ends and
    2022-04-05; hr: last weekday of each month; council: every night), from 2025-04-01 every
    night the system runs (hr weekdays only). ``archive-only``: the archive rule for every
    date. ``every-night``: every night each system ran.
    """
    if system == "trust":
        first, last = TRUST_START, TRUST_LAST
    elif system == "council":
        first, last = COUNCIL_FIRST, HORIZON
    else:
        first, last = COUNCIL_FIRST, HORIZON
    lo, hi = max(start, first), min(end, last)
    if lo > hi:
        return []
    every = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    if system == "hr":
        every = [d for d in every if d.weekday() < 5]
    if system == "council":
        return every

    def archived(d: date) -> bool:
        if system == "trust":
            return d == TRUST_LAST or (d + timedelta(days=1)).day == 1
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return d == last_weekday(nxt - timedelta(days=1))

    if policy == "every-night":
        return every
    if policy == "archive-only":
        return [d for d in every if archived(d)]
    return [d for d in every if d >= LIVE or archived(d)]
