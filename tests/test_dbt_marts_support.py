"""Helpers for the dbt tests of identity, stitching and the marts (no tests here).

Writes hand-made rows into the raw layer exactly as the loader lays it out (every contract
column as text, dates in the system's own format, lineage columns), so the real staging
models, intermediate models and marts run on them.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections import defaultdict
from pathlib import Path

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings
from csc_warehouse.contracts import load_contract
from csc_warehouse.load.ddl import all_columns, ensure_raw
from csc_warehouse.pseudonym import install_secret
from csc_warehouse.tools import run_dbt

EXTRACT = {"trust": dt.date(2022, 4, 5), "council": dt.date(2025, 4, 1), "hr": dt.date(2025, 4, 1)}
BATCH = {"trust": 1, "council": 2, "hr": 3}


def nhs_number(stem: int) -> str:
    """A valid NHS number (mod-11 check digit) from a 9-digit stem, skipping invalid stems."""
    while True:
        digits = [int(c) for c in f"{stem:09d}"]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)
        stem += 1


def _fmt(system: str, value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        if system == "hr":
            return "Yes" if value else "No"
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        if system == "trust":
            return value.strftime("%d/%m/%Y %H:%M:%S")
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        if system == "trust":
            return value.strftime("%d/%m/%Y")
        return value.isoformat()
    return str(value)


class RawData:
    """Rows for raw_<system>.<table>, keyed by the contract's db_name columns."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[dict]] = defaultdict(list)

    def add(self, system: str, table: str, **values) -> RawData:
        if system == "council":
            values.setdefault("change_type", "I")
            values.setdefault("last_modified", dt.datetime(2025, 3, 31, 12, 0, 0))
        if system == "trust" and table == "persons":
            values.setdefault("updated_at", dt.datetime(2022, 4, 1, 9, 0, 0))
            values.setdefault("gender", "1")
        if system == "council" and table == "people":
            values.setdefault("sex", "M")
        self.rows[(system, table)].append(values)
        return self

    def write(self, settings: Settings) -> None:
        with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
            for system in ("trust", "council", "hr"):
                contract = load_contract(system)
                ensure_raw(conn, contract)
                for table_name, table in contract.tables.items():
                    rows = self.rows.get((system, table_name), [])
                    cols = all_columns(table)
                    names = [*cols, "_batch_id", "_extract_date", "_source_file", "_line_number"]
                    stmt = sql.SQL("insert into {} ({}) values ({})").format(
                        sql.Identifier(f"raw_{system}", table_name),
                        sql.SQL(", ").join(sql.Identifier(n) for n in names),
                        sql.SQL(", ").join(sql.Placeholder() * len(names)),
                    )
                    unknown = {k for r in rows for k in r} - set(cols)
                    assert not unknown, f"{system}.{table_name}: unknown columns {unknown}"
                    with conn.cursor() as cur:
                        for line, row in enumerate(rows, start=2):
                            cur.execute(
                                stmt,
                                [_fmt(system, row.get(c)) for c in cols]
                                + [BATCH[system], EXTRACT[system], table.file, line],
                            )


def prepare(settings: Settings, data: RawData) -> None:
    """Raw rows + the pseudonym secret, in a fresh database."""
    data.write(settings)
    install_secret(settings)


# `dbt build` of the models and their data tests on hand-made raw rows: the traps in the rows
# must pass every data test of the models. Not the dbt unit tests (their input is in the YAML,
# not in these rows: tests/test_incremental_night.py runs them all) and not the tests of the
# seeds (the same CSVs every time: the empty-warehouse build and the e2e nights run them).
BUILD_ON_ROWS = (
    "build",
    "--exclude-resource-type",
    "unit_test",
    "--exclude",
    "resource_type:test,path:seeds",
)


def dbt(settings: Settings, *args: str, as_at: str = "2025-04-01") -> str:
    vars_arg = (
        ["--vars", f"{{as_at_date: '{as_at}'}}"]
        if args and args[0] in {"build", "run", "test"}
        else []
    )
    # each test database gets its own target/ and logs/: no clash with other runs
    work = Path(tempfile.gettempdir()) / f"csc_dbt_{settings.pg_database}"
    res = run_dbt(
        [*args, *vars_arg],
        settings,
        capture=True,
        CSC_DBT_SCHEMA="analytics",
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
    )
    assert res.returncode == 0, (res.stdout or "")[-6000:] + (res.stderr or "")[-2000:]
    return res.stdout


def query(settings: Settings, statement: str, params=None) -> list[tuple]:
    with psycopg.connect(settings.conninfo()) as conn:
        return conn.execute(statement, params).fetchall()


# ---- the hand-made scenario used by the stitching and marts tests -------------------------
D = dt.date
NHS_A = nhs_number(943476591)
NHS_D = nhs_number(401023456)
NHS_E = nhs_number(485777345)


def scenario() -> RawData:
    """A few children who crossed the system transfers (see each block)."""
    r = RawData()
    # A: council (2015) -> trust (2016) -> council (2022), one NHS number, one CP plan
    #    throughout (two technical closures, each reopened within 5 working days).
    r.add(
        "council",
        "people",
        person_id="1001",
        nhs_no=f"{NHS_A[:3]} {NHS_A[3:6]} {NHS_A[6:]}",
        first_name="Amelia",
        last_name="Jones",
        date_of_birth=D(2010, 5, 17),
        sex="F",
        ethnicity="WBRI - White British",
        postcode="AB12 3CD",
        former_trust_id="T0000001",
    )
    r.add(
        "trust",
        "persons",
        person_id="T0000001",
        nhs_number=NHS_A,
        forename="AMELIA",
        surname="JONES",
        dob=D(2010, 5, 17),
        gender="2",
        ethnicity="WBRI",
        postcode="AB12 3CD",
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5001",
        person_id="1001",
        step_type="REF",
        started_on=D(2015, 6, 1),
        completed_on=D(2016, 3, 31),
        outcome="TECH",
        team="CP1",
        attributes='{"source": "5A", "primary_need": "N1"}',
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5002",
        person_id="1001",
        step_type="ASMT",
        started_on=D(2015, 6, 2),
        completed_on=D(2015, 7, 1),
        parent_step_id="5001",
        team="CP1",
        attributes='{"factors": ["2A", "3A"]}',
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5003",
        person_id="1001",
        step_type="CPP",
        started_on=D(2015, 7, 1),
        completed_on=D(2016, 3, 31),
        outcome="TECH",
        parent_step_id="5001",
        team="CP1",
        attributes='{"initial_category": "NEG", "latest_category": "NEG"}',
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5004",
        person_id="1001",
        step_type="CPREV",
        started_on=D(2015, 9, 20),
        completed_on=D(2015, 9, 20),
        parent_step_id="5003",
    )
    r.add(
        "trust",
        "referrals",
        referral_id="R0000001",
        person_id="T0000001",
        referral_date=D(2016, 4, 4),
        source="5A",
        primary_need="N1",
        closure_date=D(2022, 4, 1),
        closure_reason="TECH",
        nfa=False,
        team_code="T-CP1",
    )
    r.add(
        "trust",
        "cp_plans",
        cp_plan_id="CP0000001",
        referral_id="R0000001",
        person_id="T0000001",
        start_date=D(2016, 4, 6),
        end_date=D(2022, 4, 1),
        initial_category="NEG",
        latest_category="EMO",
        end_reason="TECH",
    )
    r.add("trust", "cp_reviews", cp_plan_id="CP0000001", review_date=D(2016, 9, 1))
    r.add(
        "council",
        "workflow_steps",
        step_id="5005",
        person_id="1001",
        step_type="REF",
        started_on=D(2022, 4, 4),
        team="CP1",
        attributes='{"source": "5A", "primary_need": "N1"}',
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5006",
        person_id="1001",
        step_type="CPP",
        started_on=D(2022, 4, 4),
        completed_on=D(2023, 1, 31),
        outcome="RC4",
        parent_step_id="5005",
        team="CP1",
        attributes='{"initial_category": "EMO", "latest_category": "EMO"}',
    )
    # B: matched on name + dob only (case, apostrophe, diacritics); the trust reopened the
    #    CP plan 10 working days after the council's technical closure: two plans.
    r.add(
        "council",
        "people",
        person_id="1002",
        first_name="Zoë",
        last_name="O'Brien",
        date_of_birth=D(2012, 3, 4),
        sex="F",
    )
    r.add(
        "trust",
        "persons",
        person_id="T0000002",
        forename="ZOE",
        surname="OBRIEN",
        dob=D(2012, 3, 4),
        gender="2",
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5101",
        person_id="1002",
        step_type="REF",
        started_on=D(2016, 1, 5),
        completed_on=D(2016, 3, 31),
        outcome="TECH",
        attributes='{"source": "1A", "primary_need": "N2"}',
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5102",
        person_id="1002",
        step_type="CPP",
        started_on=D(2016, 2, 1),
        completed_on=D(2016, 3, 31),
        outcome="TECH",
        parent_step_id="5101",
        attributes='{"initial_category": "PHY"}',
    )
    r.add(
        "trust",
        "referrals",
        referral_id="R0000002",
        person_id="T0000002",
        referral_date=D(2016, 4, 14),
        source="1A",
        primary_need="N2",
        closure_date=D(2017, 1, 10),
        closure_reason="RC4",
        nfa=False,
        team_code="T-CP1",
    )
    r.add(
        "trust",
        "cp_plans",
        cp_plan_id="CP0000002",
        referral_id="R0000002",
        person_id="T0000002",
        start_date=D(2016, 4, 14),
        end_date=D(2017, 1, 10),
        initial_category="PHY",
        latest_category="PHY",
    )
    # C: UPN match (name typo), a looked-after child across the 2022 return.
    r.add(
        "council",
        "people",
        person_id="1003",
        upn="A123456789012",
        first_name="Jayden",
        last_name="Smith-Clarke",
        date_of_birth=D(2008, 11, 2),
    )
    r.add(
        "trust",
        "persons",
        person_id="T0000003",
        upn="A123456789012",
        forename="Jaden",
        surname="Smith Clarke",
        dob=D(2008, 11, 2),
    )
    r.add(
        "trust",
        "referrals",
        referral_id="R0000003",
        person_id="T0000003",
        referral_date=D(2020, 1, 6),
        source="3A",
        primary_need="N1",
        closure_date=D(2022, 4, 1),
        closure_reason="TECH",
        nfa=False,
        team_code="T-LAC",
    )
    r.add(
        "trust",
        "cla_episodes",
        episode_id="E0000001",
        person_id="T0000003",
        start_date=D(2020, 2, 1),
        end_date=D(2021, 6, 1),
        rne="S",
        legal_status="C2",
        cin_code="N1",
        placement_type="U4",
        placement_provider="PR1",
        placement_postcode="AB1 2CD",
        home_postcode="AB3 4EF",
    )
    r.add(
        "trust",
        "cla_episodes",
        episode_id="E0000002",
        person_id="T0000003",
        start_date=D(2021, 6, 1),
        end_date=D(2022, 4, 1),
        rne="P",
        legal_status="C2",
        cin_code="N1",
        placement_type="U1",
        placement_provider="PR1",
        placement_postcode="AB1 2CD",
        home_postcode="AB3 4EF",
        reason_ceased="TECH",
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5201",
        person_id="1003",
        step_type="REF",
        started_on=D(2022, 4, 1),
        attributes='{"source": "3A", "primary_need": "N1"}',
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5202",
        person_id="1003",
        step_type="LAC",
        started_on=D(2022, 4, 1),
        parent_step_id="5201",
        attributes='{"rne": "S", "legal_status": "C2", "cin_code": "N1", "placement_type":'
        ' "U1", "placement_provider": "PR1", "placement_postcode": "AB1 2CD",'
        ' "home_postcode": "AB3 4EF"}',
    )
    r.add(
        "council",
        "placements",
        placement_id="7001",
        person_id="1003",
        carer_id="9001",
        started_on=D(2022, 4, 1),
    )
    # D: same NHS number, different dates of birth: a conflict, never merged.
    r.add(
        "council",
        "people",
        person_id="1004",
        nhs_no=NHS_D,
        first_name="Oliver",
        last_name="Brown",
        date_of_birth=D(2014, 1, 1),
    )
    r.add(
        "trust",
        "persons",
        person_id="T0000004",
        nhs_number=NHS_D,
        forename="Oliver",
        surname="Brown",
        dob=D(2015, 1, 1),
    )
    # E: allocated to the same social worker across the 2022 return (trust username jsmith2
    #    = HR employee E00001), then a second worker: 2 social workers, not 3.
    r.add(
        "trust",
        "persons",
        person_id="T0000005",
        nhs_number=NHS_E,
        forename="Leo",
        surname="Patel",
        dob=D(2011, 8, 9),
    )
    r.add(
        "council",
        "people",
        person_id="1005",
        nhs_no=NHS_E,
        first_name="Leo",
        last_name="Patel",
        date_of_birth=D(2011, 8, 9),
    )
    r.add(
        "trust",
        "referrals",
        referral_id="R0000005",
        person_id="T0000005",
        referral_date=D(2021, 5, 4),
        source="2A",
        primary_need="N3",
        closure_date=D(2022, 4, 1),
        closure_reason="TECH",
        nfa=False,
        team_code="T-CIN",
    )
    r.add(
        "trust",
        "allocations",
        allocation_id="A0000001",
        person_id="T0000005",
        worker_id="jsmith2",
        team_code="T-CIN",
        role="SW",
        start_date=D(2021, 5, 5),
        end_date=D(2022, 4, 1),
    )
    r.add(
        "trust",
        "visits",
        visit_id="V0000001",
        person_id="T0000005",
        visit_date=D(2021, 6, 1),
        visit_type="STAT",
        seen_alone=True,
        worker_id="jsmith2",
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5301",
        person_id="1005",
        step_type="REF",
        started_on=D(2022, 4, 5),
        attributes='{"source": "2A", "primary_need": "N3"}',
    )
    r.add(
        "council",
        "allocations",
        allocation_id="8001",
        person_id="1005",
        worker_id="E00002",
        role="SW",
        started_on=D(2022, 4, 5),
        ended_on=D(2022, 9, 30),
    )
    r.add(
        "council",
        "allocations",
        allocation_id="8002",
        person_id="1005",
        worker_id="E00001",
        role="SW",
        started_on=D(2022, 10, 3),
    )
    r.add(
        "council",
        "visits",
        visit_id="6001",
        person_id="1005",
        visit_date=D(2022, 5, 3),
        visit_type="STAT",
        seen_alone=False,
        worker_id="E00002",
    )
    r.add(
        "council",
        "ehcp",
        ehcp_id="4001",
        person_id="1005",
        requested_on=D(2023, 1, 9),
        issued_on=D(2023, 5, 1),
    )
    r.add(
        "council",
        "disabilities",
        person_id="1005",
        disability_code="AUT",
        start_date=D(2019, 1, 1),
        hidden=True,
    )
    r.add(
        "council",
        "workflow_steps",
        step_id="5302",
        person_id="1005",
        step_type="CWD",
        started_on=D(2023, 2, 1),
        attributes='{"primary_disability": "AUT"}',
    )
    r.add(
        "council",
        "foster_carers",
        carer_id="9001",
        household="The Carers",
        approved_on=D(2019, 6, 1),
        places="2",
        dbs_checked_on=D(2023, 6, 1),
        medical_on=D(2019, 5, 1),
        references_complete=True,
        last_review_on=D(2024, 6, 1),
        tsd_completed_on=D(2020, 5, 1),
        supervising_worker_id="E00002",
    )
    r.add(
        "council",
        "foster_training",
        training_id="9101",
        carer_id="9001",
        course="TSD",
        completed_on=D(2020, 5, 1),
    )
    # HR: two social worker posts (one vacant from 2023), one agency worker.
    r.add(
        "hr",
        "posts",
        post_number="P001",
        team="CIN",
        job_title="Social Worker",
        social_worker_post=True,
        case_holding=True,
        fte="1.0",
        established_from=D(2015, 4, 1),
    )
    r.add(
        "hr",
        "posts",
        post_number="P002",
        team="CIN",
        job_title="Social Worker",
        social_worker_post=True,
        case_holding=True,
        fte="1.0",
        established_from=D(2015, 4, 1),
    )
    r.add(
        "hr",
        "staff",
        employee_number="E00001",
        trust_username="jsmith2",
        name="Jo Smith",
        job_title="Social Worker",
        post_number="P001",
        fte="1.0",
        start_date=D(2016, 4, 1),
        agency=False,
        swe_registration="SW12345",
        qualified_on=D(2015, 7, 1),
    )
    r.add(
        "hr",
        "staff",
        employee_number="E00002",
        name="Sam Agency",
        job_title="Social Worker",
        post_number="P002",
        fte="0.8",
        start_date=D(2022, 4, 1),
        leaving_date=D(2022, 12, 31),
        leaving_reason="End of contract",
        agency=True,
    )
    return r


REPO = Path(__file__).resolve().parents[1]


# ---- generated data, bulk-copied into raw (test speed only) --------------------------------
def _split_council(line: str) -> list[str]:
    """A council pipe line: split on unescaped '|', then unescape."""
    parts = re.split(r"(?<!\\)\|", line)
    return [p.replace("\\|", "|") for p in parts]


def bulk_load_landing(settings: Settings, landing: Path) -> dict[str, int]:
    """Copy generated extracts into raw_* in the loader's layout, fast, without its checks.

    The real loader (csc-warehouse load) validates every one of the ~3,800 council folders
    one by one, which takes minutes; these tests need the data, not the loader, so they
    copy: the trust's newest snapshot (staging reads only that), every council delta in date
    order, and no HR (identity and stitching do not need it; the tables exist, empty).
    Only for clean generated data (no --faults).
    """
    counts: dict[str, int] = defaultdict(int)
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        contracts = {s: load_contract(s) for s in ("trust", "council", "hr")}
        for contract in contracts.values():
            ensure_raw(conn, contract)
        batch = 0
        for system in ("trust", "council"):
            contract = contracts[system]
            folders = sorted(
                f for f in (landing / system).iterdir() if (f / "_manifest.json").exists()
            )
            if system == "trust":
                folders = folders[-1:]
            by_file = {t.file: (name, t) for name, t in contract.tables.items()}
            for folder in folders:
                batch += 1
                extract = dt.date.fromisoformat(folder.name)
                for path in sorted(folder.iterdir()):
                    if path.name not in by_file:
                        continue
                    name, table = by_file[path.name]
                    header_map = {c.name: c.db_name for c in table.columns}
                    if system == "trust":
                        with path.open(encoding="utf-8-sig", newline="") as fh:
                            rows = list(csv.reader(fh))
                    else:
                        text = path.read_text(encoding="utf-8")
                        rows = [_split_council(x) for x in text.split("\n") if x]
                    if len(rows) <= 1:
                        continue
                    cols = [header_map[h] for h in rows[0]]
                    target = sql.SQL("copy {} ({}) from stdin").format(
                        sql.Identifier(f"raw_{system}", name),
                        sql.SQL(", ").join(
                            sql.Identifier(c)
                            for c in [
                                *cols,
                                "_batch_id",
                                "_extract_date",
                                "_source_file",
                                "_line_number",
                            ]
                        ),
                    )
                    with conn.cursor() as cur, cur.copy(target) as copy:
                        for line, values in enumerate(rows[1:], start=2):
                            copy.write_row(
                                [v if v != "" else None for v in values]
                                + [batch, extract, path.name, line]
                            )
                    counts[f"{system}.{name}"] += len(rows) - 1
    return dict(counts)


def generate_landing(out: Path, truth: Path, *, scale: float = 0.05, seed: int = 7) -> None:
    """The project's synthetic generator (csc-warehouse generate) at a tiny scale."""
    from csc_warehouse.generate import GenerateOptions, generate

    generate(GenerateOptions(out=out, seed=seed, scale=scale, truth=truth))
