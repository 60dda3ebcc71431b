"""The scorecard's seed of targets covers every measure the scorecard models emit, and is well
formed (a service manager edits it by hand)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCORECARD = REPO / "dbt_project" / "models" / "marts" / "scorecard"
SEED = REPO / "dbt_project" / "seeds" / "scorecard_targets.csv"


def _seed_rows() -> list[dict[str, str]]:
    with SEED.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_seed_is_well_formed():
    rows = _seed_rows()
    ids = [r["measure_id"] for r in rows]
    assert len(ids) == len(set(ids))
    for row in rows:
        assert row["direction"] in {"max", "min", "none"}
        assert row["unit"] in {"pct", "count", "days", "number"}
        assert int(row["sort_order"]) > 0
        if row["direction"] == "none":
            assert row["target"] == "" and row["amber_tolerance"] == ""
        else:
            float(row["target"])
            assert 0 <= float(row["amber_tolerance"]) <= 1
    # the spec's headline targets
    targets = {r["measure_id"]: r for r in rows}
    assert targets["unallocated_cases"]["target"] == "0"
    assert targets["sw_vacancy_rate"]["target"] == "7"
    assert targets["caseload_max"]["target"] == "25"
    # "none over 25": no amber band; "within 10 %" elsewhere
    assert targets["caseload_max"]["amber_tolerance"] == "0"
    assert targets["assessments_in_timescale"]["amber_tolerance"] == "0.1"


def test_every_emitted_measure_has_a_target_row():
    emitted = set()
    for path in SCORECARD.glob("fct_scorecard__*.sql"):
        emitted |= set(re.findall(r"'([a-z0-9_]+)'(?:::text)? as measure_id", path.read_text()))
    assert len(emitted) >= 26
    assert emitted == {r["measure_id"] for r in _seed_rows()}
