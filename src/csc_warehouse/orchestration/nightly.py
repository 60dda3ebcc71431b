"""The nightly run's logic: which systems are due, when, and what each step does.

The DAG file (``dags/csc_nightly.py``) only wires these functions into tasks, so each can be
run and tested without Airflow, and the CLI (``csc-warehouse nightly``) runs the same steps.

Dates: a run loads the extracts of one *extract date* D (data as at 23:59 on D), which
arrive in the early hours of D+1. The scheduled run at 01:30 on D+1 has logical date D+1 and
loads D; a manual run or a backfill may say which date it loads with
``{"extract_date": "YYYY-MM-DD"}`` in its conf.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SYSTEMS = ("trust", "council", "hr")


@dataclass(frozen=True)
class SystemSchedule:
    system: str
    first_night: date
    last_night: date | None  # the system was switched off after this night
    weekdays_only: bool
    deadline: time  # local time on D+1 by which the folder is expected


SCHEDULES = {
    "trust": SystemSchedule("trust", date(2016, 4, 1), date(2022, 4, 5), False, time(2, 0)),
    "council": SystemSchedule("council", date(2015, 4, 1), None, False, time(3, 0)),
    "hr": SystemSchedule("hr", date(2015, 4, 1), None, True, time(5, 0)),
}


def extract_date_for(logical_date: datetime | date, conf: dict[str, Any] | None = None) -> date:
    """The extract date a run loads: ``conf['extract_date']``, else the day before the run."""
    if conf and conf.get("extract_date"):
        return date.fromisoformat(str(conf["extract_date"]))
    if isinstance(logical_date, datetime):
        try:
            import pendulum

            logical_date = pendulum.instance(logical_date).in_timezone("Europe/London")
        except Exception:  # noqa: BLE001 - pendulum always present with Airflow
            pass
        return logical_date.date() - timedelta(days=1)
    return logical_date - timedelta(days=1)


def is_expected(system: str, extract_date: date) -> bool:
    """Does ``system`` deliver a folder for this night at all?"""
    sched = SCHEDULES[system]
    if extract_date < sched.first_night:
        return False
    if sched.last_night and extract_date > sched.last_night:
        return False
    return not (sched.weekdays_only and extract_date.weekday() >= 5)


def deadline_seconds(system: str, run_start: datetime, extract_date: date) -> float:
    """Seconds from ``run_start`` until the system's deadline (D+1 at its local time).

    For a backfill (a past night) the deadline has long passed: the sensor then checks once
    and gives up at once if the folder is not there.
    """
    import pendulum

    sched = SCHEDULES[system]
    local = pendulum.datetime(
        extract_date.year, extract_date.month, extract_date.day, tz="Europe/London"
    ).add(days=1)
    deadline = local.set(hour=sched.deadline.hour, minute=sched.deadline.minute)
    return max((deadline - pendulum.instance(run_start)).total_seconds(), 0.0)


def manifest_path(landing: Path, system: str, extract_date: date) -> Path:
    return Path(landing) / system / extract_date.isoformat() / "_manifest.json"


def manifest_arrived(landing: Path, system: str, extract_date: date) -> bool:
    return manifest_path(landing, system, extract_date).is_file()
