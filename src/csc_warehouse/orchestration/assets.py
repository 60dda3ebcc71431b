"""Airflow assets shared by the DAGs."""

from __future__ import annotations

from airflow.sdk import Asset

# Updated by csc_nightly each time a gated mart is published to `bi`.
BI_PUBLISHED = Asset(name="csc_bi_published", uri="csc-warehouse://warehouse/bi")

# Updated by csc_region_nightly when the region's pooled BI views are rebuilt.
REGION_POOLED = Asset(name="csc_region_pooled", uri="csc-warehouse://region/bi")
