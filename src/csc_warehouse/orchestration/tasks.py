"""Task bodies for the DAGs. Each takes the Airflow context (or nothing) and calls the package.

Kept out of the DAG files so that parsing a DAG imports nothing heavy and touches no
database or file, and so that every step can be run and tested on its own.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from csc_warehouse.config import get_settings
from csc_warehouse.orchestration import nightly

log = logging.getLogger(__name__)


def _extract_date(context: dict[str, Any]) -> date:
    dag_run = context.get("dag_run")
    conf = getattr(dag_run, "conf", None) or {}
    return nightly.extract_date_for(context["logical_date"], conf)


def _run_id(context: dict[str, Any]) -> str:
    return str(context.get("run_id") or getattr(context.get("dag_run"), "run_id", "manual"))


def _settings_for(la: str | None):
    """The warehouse's settings, or one authority's of a region."""
    return get_settings().for_la(la) if la else get_settings()


def check_warehouse() -> str:
    import psycopg

    settings = get_settings()
    with psycopg.connect(settings.conninfo(), connect_timeout=10) as conn:
        version = conn.execute("show server_version").fetchone()[0]
    log.info(
        "warehouse %s:%s/%s answers (PostgreSQL %s)",
        settings.pg_host,
        settings.pg_port,
        settings.pg_database,
        version,
    )
    return version


def wait_for_extract(system: str, context: dict[str, Any], la: str | None = None) -> bool:
    """Sensor body: True once the manifest is there; skip when not expected or too late.
    ``la``: one authority of a region (its landing folder, ``LANDING/<la>/``)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from csc_warehouse.orchestration.notify import notify

    extract_date = _extract_date(context)
    if not nightly.is_expected(system, extract_date):
        raise AirflowSkipException(f"{system} delivers no folder for {extract_date}")
    settings = _settings_for(la)
    if nightly.manifest_arrived(settings.landing, system, extract_date):
        log.info("%s %s: manifest arrived", system, extract_date)
        return True
    # past the deadline now (a backfilled night's deadline has long passed: one look, then skip)
    if nightly.deadline_seconds(system, datetime.now(UTC), extract_date) <= 0:
        notify(
            "missed_deadline",
            f"{system} extract for {extract_date} has not arrived by its deadline"
            + (f" (authority {la})" if la else ""),
            system=system,
            extract_date=extract_date,
            run_id=_run_id(context),
        )
        raise AirflowSkipException(f"{system} {extract_date}: no manifest by the deadline")
    log.info("%s %s: not there yet", system, extract_date)
    return False


def load_system(system: str, context: dict[str, Any]) -> dict[str, Any]:
    """Load the night's folder; a council delta waiting for an earlier one loads the gap first."""
    from airflow.sdk.exceptions import AirflowFailException

    from csc_warehouse.load import loader
    from csc_warehouse.load.results import LOADED, REJECTED, UNCHANGED, WAITING

    settings = get_settings()
    extract_date = _extract_date(context)
    result = loader.load_night(settings, settings.landing, system, extract_date)
    if result.status == WAITING:
        log.info("%s: earlier folders pending; loading them in order first", result.label)
        loader.load_pending(settings, settings.landing, [system], until=extract_date)
        result = loader.load_night(settings, settings.landing, system, extract_date)
    log.info("%s", result.summary_line())
    if result.status in (REJECTED, WAITING):
        # a rejected file (checksum, row count, unknown schema) will not heal by retrying
        raise AirflowFailException(result.summary_line())
    return {
        "system": system,
        "extract_date": extract_date.isoformat(),
        "status": result.status,
        "loaded": result.status in (LOADED, UNCHANGED),
        "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
    }


def raw_gates(context: dict[str, Any]) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowFailException

    from csc_warehouse import gates

    result = gates.run_gates("raw", get_settings(), _run_id(context))
    if not result.passed:
        raise AirflowFailException(gates.format_failures(result))
    return {
        "passed": True,
        "warnings": len(result.warnings),
        "suites_run": len(result.suites),
        "suites_unchanged": len(result.unchanged),
    }


def prepare_build(context: dict[str, Any]) -> str:
    from csc_warehouse import publish
    from csc_warehouse.pseudonym import install_secret

    settings = get_settings()
    install_secret(settings)
    publish.prepare_build(settings)
    return _extract_date(context).isoformat()


def apply_retention(context: dict[str, Any]) -> dict[str, Any]:
    """Retention on the build schema, before the gates: BI never holds expired children."""
    from csc_warehouse.publish import BUILD_SCHEMA
    from csc_warehouse.retention import apply_retention as apply

    result = apply(BUILD_SCHEMA, _extract_date(context), settings=get_settings())
    return {"children": result.children, "rows": result.rows, "cutoff": str(result.cutoff)}


def gate_and_publish(context: dict[str, Any]) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowFailException

    from csc_warehouse import gates
    from csc_warehouse.errors import WarehouseError

    try:
        result = gates.gate_and_publish(get_settings(), _run_id(context), _extract_date(context))
    except WarehouseError as exc:
        raise AirflowFailException(str(exc)) from exc
    return result if isinstance(result, dict) else {"published": True}


def scorecard_report(context: dict[str, Any]) -> str:
    from csc_warehouse.report import scorecard

    settings = get_settings()
    path = scorecard.write_latest(settings, _extract_date(context))
    log.info("scorecard report: %s", path)
    return str(path)


def authority_night(la: str, context: dict[str, Any]) -> dict[str, Any]:
    """One authority's night of a regional warehouse (``csc-warehouse nightly`` in its own
    process, as that authority); its output goes to this task's log. Fails the task when the
    authority did not publish: its BI keeps its last good mart, the other authorities go on."""
    import json
    import tempfile
    from pathlib import Path

    from airflow.sdk.exceptions import AirflowFailException

    from csc_warehouse import region

    extract_date = _extract_date(context)
    with tempfile.TemporaryDirectory(prefix=f"csc-{la}-") as tmp:
        run_json = Path(tmp) / "night.json"
        night = region.run_authority(
            get_settings(),
            la,
            ["nightly", "--date", extract_date.isoformat(), "--json", str(run_json)],
            Path(tmp),
            echo=lambda line: log.info("[%s] %s", la, line),
        )
        doc = json.loads(run_json.read_text(encoding="utf-8")) if run_json.exists() else {}
    if not doc.get("published"):
        reason = doc.get("error") or f"csc-warehouse nightly exited {night.exit_code}"
        raise AirflowFailException(f"authority {la} did not publish {extract_date}: {reason}")
    return {
        "la_code": la,
        "extract_date": extract_date.isoformat(),
        "seconds": round(night.seconds, 1),
        "published": True,
    }


def region_pool() -> dict[str, Any]:
    """The region's pooled BI views over what every authority last published."""
    from csc_warehouse import region

    result = region.pool(get_settings(), log=log.warning)
    return {"views": result.views, "authorities": result.authorities, "left_out": result.left_out}


def first_run_in_period(
    job: str, period: str, context: dict[str, Any], la: str | None = None
) -> bool:
    """True for the first run of ``job`` in this week/month (recorded in ops.job_runs of the
    warehouse, or of the authority ``la``'s)."""
    import psycopg

    settings = _settings_for(la)
    today = datetime.now(UTC).date()
    if period == "week":
        key = f"{today.isocalendar().year}-W{today.isocalendar().week:02d}"
    else:
        key = today.strftime("%Y-%m")
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute("create schema if not exists ops")
        conn.execute(
            "create table if not exists ops.job_runs (job text, period text, run_id text, "
            "ran_at timestamptz default now(), primary key (job, period))"
        )
        inserted = conn.execute(
            "insert into ops.job_runs (job, period, run_id) values (%s, %s, %s) "
            "on conflict do nothing",
            (job, key, _run_id(context)),
        ).rowcount
    log.info("%s for %s: %s", job, key, "due" if inserted else "already done")
    return bool(inserted)


def build_return(name: str, context: dict[str, Any], la: str | None = None) -> dict[str, Any]:
    """Build one return "so far" from the published mart and validate it (of the authority
    ``la`` of a region: its database, its LA number, under its output folder)."""
    from csc_warehouse.orchestration.notify import notify
    from csc_warehouse.returns import build as returns_build

    settings = _settings_for(la)
    result = returns_build.build_current(name, settings)
    log.info("%s: %s", name, result)
    unexpected = result.get("unexpected_errors") or {}
    if unexpected:
        # validator findings are for the returns analyst, not a pipeline failure: the task
        # succeeds, the report is written, and the team is told what to look at
        notify(
            "return_errors",
            f"{name} so far has DfE validator errors beyond the known source gaps"
            + (f" (authority {la})" if la else ""),
            rules=sorted(unexpected),
            errors=sum(unexpected.values()),
            run_id=context.get("run_id"),
        )
    return result


def housekeeping(job: str, la: str | None = None) -> Any:
    """One of the weekly maintenance jobs, on the warehouse or on the authority ``la``'s."""
    from csc_warehouse.orchestration import maintenance

    return getattr(maintenance, job)(_settings_for(la))
