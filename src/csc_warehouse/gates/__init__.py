"""Great Expectations gates: bad data never reaches BI.

* ``run_gates("raw" | "mart", settings, run_id)`` runs the layer's checkpoint (``raw_gate``,
  ``mart_gate``) from the GX file context in ``expectations/gx`` against the warehouse and
  returns a ``GateResult``: ``passed`` is False when a *blocking* expectation failed; warnings
  are reported and do not stop the night. Data Docs for the run are written to
  ``<output>/data-docs/<run_id>/<layer>/index.html`` (``GateResult.data_docs_path``).
* ``format_failures(result)`` is the message for logs, task failures and e-mails.
* ``gate_and_publish(settings, run_id, extract_date)`` gates the build schema and publishes it
  (``csc_warehouse.publish.publish``), or keeps the failed build
  (``publish.keep_failed_build``) and raises ``GateFailed`` whose message names the failed
  expectations with examples.

Messages and Data Docs hold counts, keys, batch ids and line numbers; the raw suites never
show values of personal-data columns (``docs/quality-gates.md``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from csc_warehouse.config import Settings, get_settings
from csc_warehouse.errors import WarehouseError

# The warehouse runs without a network: GX must never phone home. Set before any import of
# great_expectations (which happens only inside the runner, at run time).
os.environ["GX_ANALYTICS_ENABLED"] = "false"

LAYERS = ("raw", "mart")


class GateFailed(WarehouseError):
    """A blocking expectation failed: the night stops before publish (exit code 1)."""

    def __init__(self, message: str, result: GateResult | None = None, kept: str | None = None):
        super().__init__(message)
        self.result = result
        self.kept = kept


@dataclass
class Failure:
    """One failed expectation: suite, GX type, what it checks, severity, a few examples."""

    suite: str
    expectation: str
    description: str
    severity: str  # blocking | warning
    examples: list[str] = field(default_factory=list)

    def line(self) -> str:
        ex = f": {'; '.join(self.examples[:4])}" if self.examples else ""
        return f"[{self.severity}] {self.suite} - {self.description} ({self.expectation}){ex}"


@dataclass
class GateResult:
    layer: str
    schema: str | None
    passed: bool
    blocking_failures: list[Failure]
    warnings: list[Failure]
    expectations: int = 0
    seconds: float = 0.0
    data_docs_path: Path | None = None
    skipped: list[str] = field(default_factory=list)  # checks not run: a table is absent
    run_name: str | None = None  # GX run name (Data Docs, uncommitted/validations)
    # suite -> {"expectations", "blocking", "warning", "skipped"} counts
    suites: dict[str, dict[str, int]] = field(default_factory=dict)
    # raw suites not run: they passed before and nothing they read has changed since
    unchanged: list[str] = field(default_factory=list)


def run_gates(
    layer: str,
    settings: Settings | None = None,
    run_id: str = "manual",
    schema: str | None = None,
    *,
    recheck: bool = False,
) -> GateResult:
    """Run the ``raw`` or ``mart`` checkpoint. ``schema``: mart only (default mart_build).

    A raw suite that passed before is not run again while its table's system has loaded
    nothing new (its load ledger is unchanged) and the suite is the same; ``recheck`` runs
    every suite anyway."""
    from csc_warehouse.gates.runner import run_layer

    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, not {layer!r}")
    return run_layer(layer, settings or get_settings(), run_id, schema, recheck=recheck)


def format_failures(result: GateResult) -> str:
    """A message naming every blocking failure (and the warnings) with examples."""
    where = f" on {result.schema}" if result.schema else ""
    verdict = "passed" if result.passed else "FAILED"
    lines = [
        f"{result.layer} gates {verdict}{where}: {len(result.blocking_failures)} blocking "
        f"failure(s), {len(result.warnings)} warning(s), {result.expectations} expectations"
        + (
            f" ({len(result.unchanged)} suite(s) not run: passed before, data unchanged)"
            if result.unchanged
            else ""
        )
    ]
    lines += ["  " + f.line() for f in result.blocking_failures]
    lines += ["  " + f.line() for f in result.warnings]
    if result.data_docs_path:
        lines.append(f"  Data Docs: {result.data_docs_path}")
    return "\n".join(lines)


def gate_and_publish(
    settings: Settings | None = None, run_id: str = "manual", extract_date: date | None = None
) -> dict:
    """Gate ``mart_build``; publish it to ``bi`` if nothing blocking failed, else keep it."""
    from csc_warehouse import publish

    settings = settings or get_settings()
    result = run_gates("mart", settings, run_id, schema=publish.BUILD_SCHEMA)
    if not result.passed:
        message = format_failures(result)
        kept = publish.keep_failed_build(run_id, message, extract_date, settings)
        raise GateFailed(
            f"{message}\n  the build is kept as {kept}; bi is unchanged", result=result, kept=kept
        )
    published = publish.publish(run_id, extract_date, settings)
    return {
        "published": True,
        "tables": published.tables,
        "rows": published.total_rows,
        "warnings": len(result.warnings),
        "warning_messages": [f.line() for f in result.warnings],
        "gate_seconds": round(result.seconds, 2),
        "data_docs": str(result.data_docs_path) if result.data_docs_path else None,
    }
