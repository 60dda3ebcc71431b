"""The source contracts parse and say what the shared spec (sources.md) says."""

from __future__ import annotations

import re

import pytest

from csc_warehouse.contracts import SYSTEMS, TYPES, check_value, load_contract

# Transcribed from sources.md: file -> columns in order (council without the two tail columns).
SPEC = {
    "trust": {
        "persons.csv": "person_id nhs_number upn forename surname dob gender ethnicity postcode date_of_death updated_at",
        "disabilities.csv": "person_id disability recorded_on",
        "referrals.csv": "referral_id person_id referral_date source primary_need closure_date closure_reason nfa team_code",
        "assessments.csv": "assessment_id referral_id person_id start_date authorised_date factors",
        "section47.csv": "s47_id referral_id person_id start_date icpc_date icpc_required",
        "cin_plans.csv": "cin_plan_id referral_id person_id start_date end_date",
        "cp_plans.csv": "cp_plan_id referral_id person_id start_date end_date initial_category latest_category end_reason",
        "cp_reviews.csv": "cp_plan_id review_date",
        "cla_episodes.csv": "episode_id person_id start_date end_date rne legal_status cin_code placement_type placement_provider placement_postcode home_postcode reason_ceased",
        "allocations.csv": "allocation_id person_id worker_id team_code role start_date end_date",
        "visits.csv": "visit_id person_id visit_date visit_type seen_alone worker_id",
        "missing.csv": "missing_id person_id start_date end_date missing_or_away rhi_offered rhi_accepted",
        "cwd_involvements.csv": "involvement_id person_id start_date end_date primary_disability team_code",
    },
    "council": {
        "people.txt": "PERSON_ID NHS_NO UPN FIRST_NAME LAST_NAME DATE_OF_BIRTH SEX ETHNICITY POSTCODE FORMER_TRUST_ID DATE_OF_DEATH",
        "disabilities.txt": "PERSON_ID DISABILITY_CODE START_DATE END_DATE HIDDEN",
        "workflow_steps.txt": "STEP_ID PERSON_ID STEP_TYPE STARTED_ON COMPLETED_ON OUTCOME PARENT_STEP_ID TEAM ATTRIBUTES",
        "allocations.txt": "ALLOCATION_ID PERSON_ID WORKER_ID ROLE STARTED_ON ENDED_ON",
        "ehcp.txt": "EHCP_ID PERSON_ID REQUESTED_ON ISSUED_ON CEASED_ON",
        "foster_carers.txt": "CARER_ID HOUSEHOLD APPROVED_ON DEREGISTERED_ON PLACES DBS_CHECKED_ON MEDICAL_ON REFERENCES_COMPLETE LAST_REVIEW_ON TSD_COMPLETED_ON SUPERVISING_WORKER_ID",
        "foster_training.txt": "TRAINING_ID CARER_ID COURSE COMPLETED_ON",
        "placements.txt": "PLACEMENT_ID PERSON_ID CARER_ID STARTED_ON ENDED_ON",
        "visits.txt": "VISIT_ID PERSON_ID VISIT_DATE VISIT_TYPE SEEN_ALONE WORKER_ID",
        "missing.txt": "MISSING_ID PERSON_ID STARTED_ON ENDED_ON MISSING_OR_AWAY RHI_OFFERED RHI_ACCEPTED",
    },
    "hr": {
        "Posts": "Post Number|Team|Job Title|Social Worker Post|Case Holding|FTE|Established From|Established To",
        "Staff": "Employee Number|Trust Username|Name|Job Title|Post Number|FTE|Start Date|Leaving Date|Leaving Reason|Agency|SWE Registration|Qualified On",
    },
}
SPECIAL_KEYS = {
    ("trust", "disabilities"): ("person_id", "disability"),
    ("trust", "cp_reviews"): ("cp_plan_id", "review_date"),
    ("council", "disabilities"): ("PERSON_ID", "DISABILITY_CODE", "START_DATE"),
}


@pytest.mark.parametrize("system", SYSTEMS)
def test_contract_parses_and_matches_spec(system):
    c = load_contract(system)
    assert c.system == system
    assert c.schema_versions == ("1",)
    assert c.mode == ("delta" if system == "council" else "full")
    spec = SPEC[system]
    if system == "hr":
        assert {t.sheet: t for t in c.tables.values()}.keys() == spec.keys()
        for t in c.tables.values():
            assert t.file == "workforce.xlsx"
            assert t.header() == spec[t.sheet].split("|")
            assert t.name == t.sheet.lower()
            for col in t.columns:
                assert col.db_name == re.sub(r"[^a-z0-9]+", "_", col.name.lower())
        assert c.tables["posts"].key == ("Post Number",)
        assert c.tables["staff"].key == ("Employee Number",)
        return
    assert [t.file for t in c.tables.values()] == list(spec)
    for t in c.tables.values():
        expected = spec[t.file].split()
        if system == "council":
            expected += ["CHANGE_TYPE", "LAST_MODIFIED"]
        assert t.header("1") == expected, t.name
        assert t.name == t.file.rsplit(".", 1)[0]
        assert t.key == SPECIAL_KEYS.get((system, t.name), (expected[0],))
        for col in t.columns:
            assert col.db_name == col.name.lower()


@pytest.mark.parametrize("system", SYSTEMS)
def test_column_definitions_are_sane(system):
    c = load_contract(system)
    for t in c.tables.values():
        names = [col.name for col in t.columns]
        assert len(names) == len(set(names))
        assert set(t.key) <= set(names)
        for col in t.columns:
            assert col.type in TYPES
            if col.type in ("code", "list"):
                assert col.codes, (t.name, col.name)
            if col.pattern:
                re.compile(col.pattern)
            if col.name in t.key:
                assert col.required, (t.name, col.name)


def test_formats():
    trust, council, hr = (load_contract(s).format for s in SYSTEMS)
    assert (trust.kind, trust.delimiter, trust.encoding, trust.newline) == (
        "csv",
        ",",
        "utf-8-sig",
        "\r\n",
    )
    assert (council.kind, council.delimiter, council.encoding, council.newline) == (
        "pipe",
        "|",
        "utf-8",
        "\n",
    )
    assert council.escape == "\\"
    assert hr.kind == "xlsx" and (hr.true_value, hr.false_value) == ("Yes", "No")
    assert (trust.true_value, council.false_value) == ("Y", "N")


def test_codes_and_pii():
    t = load_contract("trust").tables
    assert "TECH" in t["referrals"].column("closure_reason").codes
    assert t["referrals"].column("source").codes[:4] == ("1A", "1B", "1C", "1D")
    assert set(t["cla_episodes"].column("reason_ceased").codes) >= {"E11", "E4A", "TECH"}
    assert {c.name for c in t["persons"].columns if c.pii} == {
        "nhs_number",
        "upn",
        "forename",
        "surname",
        "dob",
        "postcode",
    }
    council = load_contract("council").tables
    assert "WBRI - White British" in council["people"].column("ETHNICITY").codes
    assert council["people"].column("CHANGE_TYPE").codes == ("I", "U", "D")
    assert load_contract("hr").tables["staff"].column("Name").pii


def test_check_value():
    trust = load_contract("trust")
    ref = trust.tables["referrals"]
    f = trust.format
    assert check_value(ref.column("referral_date"), "28/02/2020", f) is None
    assert "not a date" in check_value(ref.column("referral_date"), "31/02/2020", f)
    assert "unknown code" in check_value(ref.column("source"), "11", f)
    assert "required" in check_value(ref.column("person_id"), "", f)
    assert check_value(ref.column("nfa"), "Y", f) is None
    a = trust.tables["assessments"].column("factors")
    assert check_value(a, "2A;3A;21", f) is None
    assert check_value(a, "2A;99Z", f)
    council = load_contract("council")
    nhs = council.tables["people"].column("NHS_NO")
    assert check_value(nhs, "485 777 3456", council.format) is None
    assert check_value(nhs, "4857773456", council.format)
    hr = load_contract("hr")
    d = hr.tables["staff"].column("Start Date")
    assert check_value(d, "2019-04-01", hr.format) is None
    assert check_value(d, "01/04/2019", hr.format) is None
