"""The nightly run without Airflow: the same steps, in order, timed.

``csc-warehouse nightly`` and the benchmarks use this; the Airflow DAG runs the same
functions as separate tasks (``csc_warehouse.orchestration.tasks``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from csc_warehouse.config import Settings, get_settings
from csc_warehouse.orchestration import nightly

log = logging.getLogger(__name__)


@dataclass
class Stage:
    name: str
    seconds: float
    ok: bool
    detail: str = ""
    rows: int | None = None


@dataclass
class NightRun:
    extract_date: date
    run_id: str
    stages: list[Stage] = field(default_factory=list)
    published: bool = False
    report: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.stages)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages)


def _timed(run: NightRun, name: str, fn: Callable[[], Any], say: Callable[[str], None]) -> Any:
    say(f"{name} ...")
    started = time.perf_counter()
    try:
        value = fn()
    except Exception as exc:
        run.stages.append(Stage(name, time.perf_counter() - started, False, str(exc)[:2000]))
        raise
    stage = Stage(name, time.perf_counter() - started, True)
    if isinstance(value, dict):
        stage.rows = value.get("rows")
        stage.detail = value.get("detail", "")
    run.stages.append(stage)
    return value


def load_systems(settings: Settings, extract_date: date) -> dict[str, Any]:
    """Load every system's folders up to and including the night (council deltas in order)."""
    from csc_warehouse.load import loader

    rows = 0
    details = []
    problems = []
    for system in nightly.SYSTEMS:
        summary = loader.load_pending(settings, settings.landing, [system], until=extract_date)
        for night in summary.nights:
            rows += night.rows_loaded
            if night.problem:
                problems.append(night.summary_line())
        details.append(f"{system}: {len(summary.nights)} folder(s)")
    return {"rows": rows, "detail": "; ".join(details), "problems": problems}


# dbt unit tests check the models' logic against fixtures, not tonight's data: they run in CI
# (`make test`), not every night (dbt's own advice; ~60 nodes and ~10 s of a night).
NIGHTLY_DBT_FLAGS = ["--exclude-resource-type", "unit_test"]


def as_at_env(as_at: str) -> dict[str, str]:
    """The environment that makes dbt's build "as at" a night: the session setting
    ``csc.as_at_date`` (macro ``mart_as_at_date``), through libpq's PGOPTIONS.

    Not a dbt var: dbt re-parses the whole project whenever its vars change, which would be
    every night (~10 s, and once per cosmos task). ``as_at`` may be a Jinja template (the DAG
    renders it from the prepare_build task's XCom); any PGOPTIONS already set are kept.
    """
    keep = os.environ.get("PGOPTIONS", "").strip()
    return {"PGOPTIONS": " ".join(filter(None, [keep, f"-c csc.as_at_date={as_at}"]))}


def dbt_build(
    settings: Settings, full_refresh: bool = False, as_at: date | None = None
) -> dict[str, Any]:
    from csc_warehouse.errors import WarehouseError
    from csc_warehouse.publish import build_env
    from csc_warehouse.roles import TRANSFORMER
    from csc_warehouse.tools import run_dbt

    args = ["build", "--quiet", *NIGHTLY_DBT_FLAGS] + (["--full-refresh"] if full_refresh else [])
    env = {**build_env(), **(as_at_env(as_at.isoformat()) if as_at else {})}
    res = run_dbt(args, settings, capture=True, role=TRANSFORMER, **env)
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).splitlines()[-40:])
        raise WarehouseError(f"dbt build failed:\n{tail}")
    seeded = seeded_marts(res.stdout)
    rebuilt = printed_relations(res.stdout, REBUILT_LINE)
    detail = "dbt build passed"
    if seeded:
        detail += f"; incremental from the published mart: {', '.join(seeded)}"
    if rebuilt:
        detail += f"; rebuilt in full, their columns changed: {', '.join(rebuilt)}"
    return {"detail": detail, "seeded": seeded, "rebuilt": rebuilt}


SEEDED_LINE = "seeded from the published mart: "
REBUILT_LINE = "rebuilt in full, their columns changed: "


def seeded_marts(dbt_stdout: str) -> list[str]:
    """The build tables dbt's on-run-start hook started from the published mart (the
    ``seed_build_from_published`` macro prints them), as ``schema.table``."""
    return printed_relations(dbt_stdout, SEEDED_LINE)


def printed_relations(dbt_stdout: str, prefix: str) -> list[str]:
    """The relations an on-run-start hook printed after ``prefix`` (``seeded from the
    published mart: ...``, ``rebuilt in full, their columns changed: ...``), as
    ``schema.table``."""
    names: list[str] = []
    for line in dbt_stdout.splitlines():
        if prefix in line:
            for rel in line.split(prefix, 1)[1].split(","):
                parts = [p.strip().strip('"') for p in rel.strip().split(".")]
                names.append(".".join(parts[-2:]))
    return names


def run_night(
    extract_date: date,
    settings: Settings | None = None,
    *,
    run_id: str | None = None,
    full_refresh: bool = False,
    report: bool = True,
    say: Callable[[str], None] = lambda _msg: None,
) -> NightRun:
    """Load, raw gates, dbt build, mart gates + publish, scorecard report.

    Returns the run with its stages; a failed stage (gate, build) ends the run with
    ``run.error`` set and BI untouched.
    """
    from csc_warehouse.errors import WarehouseError

    settings = settings or get_settings()
    run = NightRun(extract_date, run_id or f"cli__{extract_date.isoformat()}")
    try:
        _run_stages(run, settings, full_refresh=full_refresh, report=report, say=say)
    except WarehouseError as exc:
        run.error = str(exc)
    return run


def _run_stages(
    run: NightRun,
    settings: Settings,
    *,
    full_refresh: bool,
    report: bool,
    say: Callable[[str], None],
) -> None:
    from csc_warehouse import gates, publish
    from csc_warehouse.pseudonym import install_secret

    extract_date = run.extract_date
    loaded = _timed(run, "load", lambda: load_systems(settings, extract_date), say)
    if loaded["problems"]:
        log.warning("load problems: %s", "; ".join(loaded["problems"]))

    def raw_gate() -> dict[str, Any]:
        result = gates.run_gates("raw", settings, run.run_id)
        if not result.passed:
            from csc_warehouse.errors import WarehouseError

            raise WarehouseError(gates.format_failures(result))
        return {
            "detail": f"{len(result.warnings)} warning(s), {len(result.suites)} suite(s) run, "
            f"{len(result.unchanged)} passed before on the same loads"
        }

    _timed(run, "raw gates", raw_gate, say)

    def prepare() -> None:
        install_secret(settings)
        publish.prepare_build(settings)

    _timed(run, "prepare build", prepare, say)
    _timed(run, "dbt build", lambda: dbt_build(settings, full_refresh, extract_date), say)

    def retention() -> dict[str, Any]:
        from csc_warehouse.retention import apply_retention

        result = apply_retention(publish.BUILD_SCHEMA, extract_date, settings=settings)
        return {"rows": result.rows, "detail": f"{result.children} children past retention"}

    _timed(run, "retention", retention, say)
    _timed(
        run,
        "mart gates + publish",
        lambda: gates.gate_and_publish(settings, run.run_id, extract_date),
        say,
    )
    run.published = True
    if report:
        from csc_warehouse.report import scorecard

        path = _timed(
            run, "scorecard report", lambda: scorecard.write_latest(settings, extract_date), say
        )
        run.report = str(path)
