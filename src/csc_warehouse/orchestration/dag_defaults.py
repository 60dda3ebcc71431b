"""What every DAG of the project shares: owner, start date, failure callback, retries."""

from __future__ import annotations

import pendulum

from csc_warehouse.orchestration.notify import on_failure

OWNER = "csc-data-engineering"
# the warehouse went live on 2025-04-01 (sources.md); catchup is off everywhere
START_DATE = pendulum.datetime(2025, 4, 1, tz="Europe/London")


def default_args(retries: int, retry_minutes: int, **extra) -> dict:
    """A DAG's ``default_args``: the team owns it and is told of a failure."""
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": pendulum.duration(minutes=retry_minutes),
        "on_failure_callback": on_failure,
        **extra,
    }


def authority_tags(la: str | None) -> list[str]:
    """The tags that mark one authority's DAG in a regional warehouse (none otherwise)."""
    return ["region", f"la_{la}"] if la else []
