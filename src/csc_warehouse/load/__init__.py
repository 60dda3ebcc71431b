"""Nightly ingestion: landing folders into the append-only raw schemas (see docs/loading.md).

The Python API the CLI (``csc-warehouse load`` / ``quarantine``) and the Airflow tasks call::

    from csc_warehouse.load import load_night, load_pending, list_quarantine, replay_quarantine

    result = load_night(settings, landing, "trust", "2021-11-24")   # -> NightResult
    summary = load_pending(settings, landing, ["council"])          # -> LoadSummary
    summary.exit_code, summary.summary_line()

Heavy imports (psycopg, openpyxl) happen when these are first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = [
    "FileResult",
    "LoadOptions",
    "LoadSummary",
    "NightResult",
    "ReconciliationError",
    "ReplayResult",
    "find_folders",
    "list_quarantine",
    "load_night",
    "load_pending",
    "replay_quarantine",
]

_LAZY = {
    "FileResult": "results",
    "LoadSummary": "results",
    "NightResult": "results",
    "LoadOptions": "loader",
    "ReconciliationError": "loader",
    "find_folders": "loader",
    "load_night": "loader",
    "load_pending": "loader",
    "ReplayResult": "quarantine",
    "list_quarantine": "quarantine",
    "replay_quarantine": "quarantine",
}

if TYPE_CHECKING:  # pragma: no cover
    from csc_warehouse.load.loader import (  # noqa: F401
        LoadOptions,
        ReconciliationError,
        find_folders,
        load_night,
        load_pending,
    )
    from csc_warehouse.load.quarantine import (  # noqa: F401
        ReplayResult,
        list_quarantine,
        replay_quarantine,
    )
    from csc_warehouse.load.results import FileResult, LoadSummary, NightResult  # noqa: F401


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"csc_warehouse.load.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(name)
