"""Reports a person opens: the monthly scorecard (HTML with inline SVG charts)."""

from csc_warehouse.report.scorecard import (
    NoScorecardData,
    report_month_for_extract,
    write_latest,
    write_report,
)

__all__ = ["NoScorecardData", "report_month_for_extract", "write_latest", "write_report"]
