"""Great Expectations gates: bad data never reaches BI.

* ``run_gates("raw" | "mart", settings, run_id)`` runs the layer's checkpoint from the GX
  file context in ``expectations/gx`` against the warehouse and returns a ``GateResult``:
  ``passed`` is False when a *blocking* (critical) expectation failed; warnings are reported
  and do not stop the night. Data Docs for the run are written under
  ``<output>/data-docs/<run_id>/``.
* ``gate_and_publish(settings, run_id, extract_date)`` gates the build schema and publishes it
  (``csc_warehouse.publish``), or keeps the failed build and raises ``GateFailed`` whose
  message names the failed expectations with examples.

Messages and Data Docs hold counts, keys, batch ids and line numbers; the raw suites never
show values of personal-data columns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from csc_warehouse.config import Settings, get_settings
from csc_warehouse.errors import WarehouseError

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

CRITICAL_NAMES = ("critical", "blocking")


class GateFailed(WarehouseError):
    """A blocking expectation failed: the night stops before publish."""


@dataclass
class Failure:
    suite: str
    expectation: str
    description: str
    severity: str
    examples: list[str] = field(default_factory=list)

    def line(self) -> str:
        ex = f" e.g. {', '.join(self.examples[:3])}" if self.examples else ""
        return f"[{self.severity}] {self.suite}: {self.expectation} - {self.description}{ex}"


@dataclass
class GateResult:
    layer: str
    schema: str | None
    passed: bool
    blocking_failures: list[Failure]
    warnings: list[Failure]
    expectations: int
    seconds: float
    data_docs_path: Path | None = None


def run_gates(
    layer: str,
    settings: Settings | None = None,
    run_id: str = "manual",
    schema: str | None = None,
) -> GateResult:
    from csc_warehouse.gates.runner import run_layer

    return run_layer(layer, settings or get_settings(), run_id, schema)


def format_failures(result: GateResult) -> str:
    lines = [
        f"{result.layer} gates failed: {len(result.blocking_failures)} blocking expectation(s)"
        + (f" on schema {result.schema}" if result.schema else "")
    ]
    lines += ["  " + f.line() for f in result.blocking_failures]
    if result.warnings:
        lines.append(f"  (+{len(result.warnings)} warning(s))")
    if result.data_docs_path:
        lines.append(f"  Data Docs: {result.data_docs_path}")
    return "\n".join(lines)


def gate_and_publish(
    settings: Settings | None = None, run_id: str = "manual", extract_date: date | None = None
) -> dict:
    from csc_warehouse import publish

    settings = settings or get_settings()
    result = run_gates("mart", settings, run_id, schema=publish.BUILD_SCHEMA)
    if not result.passed:
        message = format_failures(result)
        kept = publish.keep_failed_build(run_id, message, extract_date, settings)
        raise GateFailed(f"{message}\n  the build is kept as {kept}; bi is unchanged")
    published = publish.publish(run_id, extract_date, settings)
    return {
        "published": True,
        "tables": published.tables,
        "rows": published.total_rows,
        "warnings": len(result.warnings),
        "data_docs": str(result.data_docs_path) if result.data_docs_path else None,
    }
