"""Personal data stays out of BI and out of logs; the pseudonymous key depends on the secret.

On the generated, backfilled warehouse (tests/e2e_support.py): one night is run end to end
with `csc-warehouse nightly`, its output captured (the session's ordinary night, shared with
the test of the incremental build); then
* no column of the published `bi` schema is named like personal data, and no sampled text
  value looks like an NHS number or a full postcode, or is a generated name;
* the run's console output, dbt's log and the notifications hold none of the generated
  names or NHS numbers;
* changing the secret changes every child_key, and the key cannot be recomputed from an NHS
  number without the secret.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc_warehouse.tools import run_dbt

pytestmark = pytest.mark.slow

PII_COLUMN = re.compile(
    r"(^|_)(forename|surname|first_name|last_name|name|nhs|nhs_no|nhs_number|upn|"
    r"date_of_birth|dob|postcode|address)($|_)"
)
ALLOWED_COLUMNS = {
    "postcode_district",
    "birth_month",
    "birth_year",
    "measure_name",
    "gender_label",
    "team_name",
    "month_name",
    "day_name",
    "bank_holiday_name",
    "label",
    "job_title",
    "household_name",
}
NHS_VALUE = re.compile(r"^\d{10}$|^\d{3} \d{3} \d{4}$")
FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")


@pytest.fixture(scope="module")
def night_run(e2e_warehouse, ordinary_night):
    """The session's ordinary night (conftest.ordinary_night), run with the CLI."""
    assert ordinary_night.returncode == 0, ordinary_night.output[-8000:]
    return e2e_warehouse, ordinary_night.output


@pytest.fixture(scope="module")
def personal_values(night_run) -> dict[str, set[str]]:
    wh, _ = night_run
    with psycopg.connect(wh.settings.conninfo()) as conn:
        names = {
            r[0]
            for r in conn.execute(
                "select surname from raw_trust.persons where length(surname) > 5 union "
                "select last_name from raw_council.people where length(last_name) > 5 "
                "union select name from raw_hr.staff where length(name) > 8"
            )
            if r[0]
        }
        nhs = {
            r[0]
            for r in conn.execute(
                "select nhs_number from raw_trust.persons where nhs_number is not null union "
                "select replace(nhs_no, ' ', '') from raw_council.people "
                "where nhs_no is not null"
            )
        }
    # Names the repository itself holds (dbt unit-test fixtures, seed labels such as
    # "White British") appear in dbt's debug log legitimately: they are not generated data.
    repo_text = " ".join(
        p.read_text(errors="replace").lower()
        for pattern in ("**/*.yml", "**/*.csv", "**/*.sql")
        for p in wh.settings.dbt_project_dir.glob(pattern)
        if "target" not in p.parts and "logs" not in p.parts
    )
    names = {n.strip() for n in names if n.strip() and n.strip().lower() not in repo_text}
    assert len(names) > 50 and len(nhs) > 50
    return {"names": names, "nhs": nhs}


def test_bi_schema_has_no_personal_data_columns(night_run):
    wh, _ = night_run
    with psycopg.connect(wh.settings.conninfo()) as conn:
        cols = conn.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'bi'"
        ).fetchall()
    assert cols
    flagged = [
        f"{t}.{c}"
        for t, c in cols
        if PII_COLUMN.search(c)
        and c not in ALLOWED_COLUMNS
        and not c.endswith("postcode_district")  # outward code only: allowed in BI
    ]
    assert flagged == []


def test_bi_values_hold_no_nhs_numbers_postcodes_or_names(night_run, personal_values):
    wh, _ = night_run
    bad: list[str] = []
    with psycopg.connect(wh.settings.conninfo()) as conn:
        text_cols = conn.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'bi' and data_type in ('text', 'character varying')"
        ).fetchall()
        for table, column in text_cols:
            values = [
                r[0]
                for r in conn.execute(
                    sql.SQL("select distinct {} from {} where {} is not null limit 2000").format(
                        sql.Identifier(column),
                        sql.Identifier("bi", table),
                        sql.Identifier(column),
                    )
                )
            ]
            for v in values:
                if NHS_VALUE.match(v) or FULL_POSTCODE.match(v) or v in personal_values["names"]:
                    bad.append(f"{table}.{column}")
                    break
    assert bad == []


def test_logs_hold_no_names_or_nhs_numbers(night_run, personal_values):
    wh, output = night_run
    texts = [output]
    for path in [
        wh.settings.dbt_project_dir / "logs" / "dbt.log",
        Path(os.environ.get("DBT_LOG_PATH", "/nonexistent")) / "dbt.log",
        wh.settings.state_dir / "notifications.log",
    ]:
        if path.exists():
            texts.append(path.read_text(errors="replace")[-5_000_000:])
    airflow_logs = wh.output / "airflow" / "logs"
    if airflow_logs.exists():
        texts += [p.read_text(errors="replace") for p in airflow_logs.rglob("*.log")]
    blob = "\n".join(texts)
    # One pass over the text, not one search per name (thousands of names, tens of MB): a
    # name occurs as a whole word (or words) only if each of its words is one of the text's
    # words; only those few are searched for in the text.
    words = set(re.findall(r"\w+", blob))
    leaked_names = [
        n
        for n in personal_values["names"]
        if words.issuperset(re.findall(r"\w+", n))
        and (re.fullmatch(r"\w+", n) or re.search(rf"\b{re.escape(n)}\b", blob))
    ]
    # an NHS number occurs exactly when it is within a run of digits of the text
    windows = {run[i : i + 10] for run in re.findall(r"\d{10,}", blob) for i in range(len(run) - 9)}
    leaked_nhs = [n for n in personal_values["nhs"] if n in windows]
    assert leaked_names == [] and leaked_nhs == []
    # nor any secret: database passwords, the pseudonymisation key
    secrets = [wh.settings.pg_password, wh.settings.pseudonym_secret]
    secrets += [wh.settings.secret(f"CSC_{r}_PASSWORD") for r in ("LOADER", "TRANSFORMER")]
    assert not [s for s in secrets if s and s in blob]


def test_child_key_changes_with_the_secret(night_run):
    wh, _ = night_run
    from csc_warehouse.config import get_settings
    from csc_warehouse.pseudonym import install_secret

    def keys() -> dict[str, str]:
        with psycopg.connect(wh.settings.conninfo()) as conn:
            return dict(
                conn.execute(
                    "select child_id, child_key from intermediate.int_child_pseudonyms"
                ).fetchall()
            )

    before = keys()
    assert before
    other = get_settings({**wh.settings.env, "CSC_PSEUDONYM_SECRET": "another-secret-0001"})
    try:
        install_secret(other)
        res = run_dbt(
            ["run", "--select", "int_child_pseudonyms"],
            other,
            capture=True,
        )
        assert res.returncode == 0, res.stdout[-3000:]
        after = keys()
        assert set(after) == set(before)
        assert all(after[k] != before[k] for k in before)
        # without the secret the key is not a plain hash of the id
        import hashlib

        sample_id = next(iter(before))
        assert before[sample_id] != hashlib.sha256(sample_id.encode()).hexdigest()
    finally:
        install_secret(wh.settings)
        run_dbt(
            ["run", "--select", "int_child_pseudonyms"],
            wh.settings,
            capture=True,
        )
