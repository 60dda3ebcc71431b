"""Statutory returns: the writers produce returns the DfE's own validators accept.

Small hand-made returns for 2024-25 go through the real validators (csc-validator-be-cin and
csc-validator-be-903, each in its own venv made by scripts/setup-validators.sh, which this test
runs itself when needed; it is quick when they are already installed). A clean return has no
errors; a broken one is reported with the right rule code and child in the report; writing the
same return twice gives byte-identical files.
"""

from __future__ import annotations

import csv
import dataclasses
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from csc_warehouse.returns import cin_census as cin
from csc_warehouse.returns import ssda903 as lac
from csc_warehouse.returns.report import write_validation_report
from csc_warehouse.returns.validators import (
    CIN,
    SSDA903,
    available,
    parse_903_report,
    validate_903,
    validate_cin,
)

REPO = Path(__file__).resolve().parents[1]
LA_ONS = "E06000001"  # the 903 compares placement postcodes with the LA (Hartlepool, TS..)


@pytest.fixture(scope="module", autouse=True)
def validator_venvs():
    """Make sure .venv-cin and .venv-903 exist and match the pinned requirements."""
    res = subprocess.run(
        [str(REPO / "scripts" / "setup-validators.sh")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert available(CIN) and available(SSDA903)


def upn(body: str) -> str:
    """A UPN with its check letter: LA number (3) + school (4) + year (2) + serial (3)."""
    assert len(body) == 12 and body.isdigit()
    total = sum(int(ch) * (i + 2) for i, ch in enumerate(body)) % 23
    return "ABCDEFGHJKLMNPQRTUVWXYZ"[total] + body


# --- CIN census ---------------------------------------------------------------------------


def cin_children(broken: bool = False) -> tuple[cin.Child, ...]:
    protected = cin.Child(
        la_child_id="C1001",
        sex="F",
        ethnicity="WBRI",
        birth_date=date(2015, 6, 1),
        upn=upn("845123415001"),
        referrals=(
            cin.Referral(
                referral_date=date(2024, 5, 1),
                referral_source="2A",
                primary_need_code="N1",
                assessments=(
                    cin.Assessment(date(2024, 5, 2), date(2024, 6, 5), factors=("3A", "2B")),
                ),
                section47s=(
                    cin.Section47(
                        date(2024, 5, 20),
                        icpc_target=date(2024, 6, 10),
                        icpc_date=date(2024, 6, 10),
                    ),
                ),
                cp_plans=(
                    cin.CPPlan(
                        start_date=date(2024, 6, 10),
                        initial_category="NEG",
                        latest_category="NEG",
                        number_of_previous_cpp=0,
                        review_dates=(date(2025, 2, 20), date(2024, 9, 1)),
                    ),
                ),
            ),
        ),
    )
    disabled = cin.Child(
        la_child_id="C1002",
        sex="M",
        ethnicity="AIND",
        birth_date=date(2012, 1, 15),
        upn=upn("845123411002"),
        disabilities=("AUT", "LD"),
        referrals=(
            cin.Referral(
                referral_date=date(2024, 7, 1),
                referral_source="3A",
                primary_need_code="N2",
                closure_date=date(2025, 1, 31),
                reason_for_closure="RC7",
                assessments=(cin.Assessment(date(2024, 7, 2), date(2024, 8, 20), factors=("6A",)),),
                cin_plans=(cin.CINPlan(date(2024, 8, 21), date(2025, 1, 31)),),
            ),
        ),
    )
    children = [protected, disabled]
    if broken:
        # authorised six days before it started: rule 8608
        children.append(
            cin.Child(
                la_child_id="C1003",
                sex="M",
                ethnicity="WOTH",
                birth_date=date(2019, 3, 3),
                upn_unknown="UN1",
                referrals=(
                    cin.Referral(
                        referral_date=date(2025, 1, 10),
                        referral_source="1A",
                        primary_need_code="N4",
                        assessments=(
                            cin.Assessment(date(2025, 1, 11), date(2025, 1, 5), factors=("4B",)),
                        ),
                    ),
                ),
            )
        )
    return tuple(children)


def census(broken: bool = False) -> cin.CINCensus:
    return cin.CINCensus(collection_year=2025, la_code="845", children=cin_children(broken))


def test_cin_xml_follows_the_specification_order(tmp_path):
    path = cin.write_cin_census(census(), tmp_path / "cin.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "Message"
    assert [e.tag for e in root] == ["Header", "Children"]
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2025-03-31"
    assert root.findtext("Header/CollectionDetails/Year") == "2025"
    child = root.find("Children/Child")
    assert [e.tag for e in child] == ["ChildIdentifiers", "ChildCharacteristics", "CINdetails"]
    assert [e.tag for e in child.find("ChildIdentifiers")] == [
        "LAchildID",
        "UPN",
        "PersonBirthDate",
        "Sex",
    ]
    details = [e.tag for e in child.find("CINdetails")]
    assert details == [
        "CINreferralDate",
        "ReferralSource",
        "PrimaryNeedCode",
        "Assessments",
        "Section47",
        "ReferralNFA",
        "ChildProtectionPlans",
    ]
    plan = child.find("CINdetails/ChildProtectionPlans")
    assert [d.text for d in plan.findall("Reviews/CPPreviewDate")] == ["2024-09-01", "2025-02-20"]
    factors = child.findall(
        "CINdetails/Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors"
    )
    assert [f.text for f in factors] == ["2B", "3A"]
    assert cin.ruleset_for_year(2025) == "cin2024_25"


def test_cin_before_2024_25_writes_gender_current(tmp_path):
    """Until 2023-24 the census holds GenderCurrent (1 male, 2 female, 0 not known) where
    2024-25 has Sex (M, F, U): a return for an earlier year follows that year's spec."""
    children = cin_children()
    older = cin.CINCensus(collection_year=2024, la_code="845", children=children)
    root = ET.parse(cin.write_cin_census(older, tmp_path / "cin_2024.xml")).getroot()
    ids = root.findall("Children/Child/ChildIdentifiers")
    assert [e.tag for e in ids[0]] == ["LAchildID", "UPN", "PersonBirthDate", "GenderCurrent"]
    assert [i.findtext("GenderCurrent") for i in ids] == [
        {"M": "1", "F": "2", "U": "0"}[c.sex] for c in sorted(children, key=lambda c: c.la_child_id)
    ]
    assert not root.findall(".//Sex")
    assert cin.ruleset_for_year(2024) == "cin2023_24"


def test_cin_clean_return_passes_the_dfe_validator(tmp_path):
    path = cin.write_cin_census(census(), tmp_path / "cin.xml")
    result = validate_cin(path)
    assert result.ruleset == "cin2024_25"
    assert result.rules_run > 50
    assert result.errors == (), result.errors
    assert result.ok
    assert result.fails == ()
    # the only findings allowed are return-level queries a tiny return cannot avoid
    assert all(w.severity == "warning" for w in result.warnings)


def test_cin_broken_child_is_reported_with_its_rule(tmp_path):
    path = cin.write_cin_census(census(broken=True), tmp_path / "cin.xml")
    result = validate_cin(path)
    assert not result.ok
    errors = {(e.child_id, e.rule_code) for e in result.errors}
    assert ("C1003", "8608") in errors, errors
    assert {e.child_id for e in result.errors} == {"C1003"}  # the clean children stay clean
    issue = next(e for e in result.errors if e.rule_code == "8608")
    assert issue.table == "Assessments"
    assert "AssessmentAuthorisationDate" in issue.columns

    files = write_validation_report(result, tmp_path / "report")
    with files.issues_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    hit = [r for r in rows if r["rule_code"] == "8608"]
    assert hit and hit[0]["child_id"] == "C1003" and hit[0]["severity"] == "error"
    assert "Assessment Start Date cannot be later" in hit[0]["description"]
    summary = files.markdown.read_text(encoding="utf-8")
    assert "NOT READY: 1 error(s)" in summary
    assert "| 8608 |" in summary and "C1003" in summary
    assert "8608" in files.html.read_text(encoding="utf-8")


def test_cin_chunked_reading_gives_the_packages_tables(tmp_path):
    """run_cin.py reads big files a chunk of children at a time: same tables as the package."""
    path = cin.write_cin_census(census(broken=True), tmp_path / "cin.xml")
    code = (
        "import sys, warnings, xml.etree.ElementTree as ET\n"
        "warnings.filterwarnings('ignore')\n"
        "sys.path.insert(0, 'validators')\n"
        "import run_cin\n"
        "from cin_validator import cin_validator as v\n"
        "a = v.convert_data(ET.parse(sys.argv[1]).getroot())\n"
        "b = run_cin.convert_in_chunks(ET.parse(sys.argv[1]).getroot(), v, size=1)\n"
        "bad = [k for k in a if not (a[k].equals(b[k]) and a[k].index.equals(b[k].index)\n"
        "       and list(a[k].dtypes) == list(b[k].dtypes))]\n"
        "assert not bad, bad\n"
        "print(len(a['ChildIdentifiers']))\n"
    )
    res = subprocess.run(
        [str(REPO / ".venv-cin" / "bin" / "python"), "-c", code, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip() == "3"


# --- SSDA903 ------------------------------------------------------------------------------


def lac_children(broken: bool = False) -> tuple[lac.LookedAfterChild, ...]:
    long_term = lac.LookedAfterChild(
        child="L2001",
        sex="F",
        dob=date(2012, 4, 10),
        ethnic="WBRI",
        upn=upn("805123412001"),
        mother=0,
        episodes=(
            lac.Episode(
                decom=date(2023, 6, 1),
                rne="S",
                ls="C2",
                cin="N1",
                place="U1",
                place_provider="PR1",
                home_post="TS24 0BH",
                pl_post="TS24 4FL",
                urn="XXXXXXX",
            ),
        ),
        reviews=(lac.Review(date(2024, 12, 1), "PN1"), lac.Review(date(2024, 6, 1), "PN1")),
        missing=(lac.MissingEpisode("M", date(2024, 8, 3), date(2024, 8, 4)),),
        oc2=lac.OC2(
            sdq_score=14,
            convicted=False,
            immunisations=True,
            teeth_check=True,
            health_assessment=True,
            substance_misuse=False,
        ),
        sw_episodes=(lac.SWEpisode("SW100", date(2023, 6, 1), sw_reason="OTHERS"),),
    )
    first = lac.Episode(
        decom=date(2024, 5, 1),
        rne="S",
        ls="C2",
        cin="N1",
        place="U1",
        place_provider="PR1",
        dec=date(2024, 9, 1),
        rec="X1",
        reason_place_change="CARPL",
        home_post="TS22 5BF",
        pl_post="TS24 8ET",
        urn="XXXXXXX",
    )
    if broken:
        # the episode ends a month before it started: rule 356
        first = dataclasses.replace(first, dec=date(2024, 4, 1))
    went_home = lac.LookedAfterChild(
        child="L2002",
        sex="M",
        dob=date(2010, 9, 5),
        ethnic="MWBC",
        upn=upn("805123410002"),
        episodes=(
            first,
            lac.Episode(
                decom=date(2024, 9, 1),
                rne="P",
                ls="C2",
                cin="N1",
                place="U4",
                place_provider="PR1",
                dec=date(2025, 2, 1),
                rec="E4A",
                home_post="TS22 5BF",
                pl_post="TS24 4FL",
                urn="XXXXXXX",
            ),
        ),
        reviews=(lac.Review(date(2024, 5, 25), "PN1"),),
        prev_perm=lac.PrevPerm("Z1"),
        sw_episodes=(
            lac.SWEpisode("SW101", date(2024, 5, 1), date(2024, 9, 1), "MANAGE"),
            lac.SWEpisode("SW102", date(2024, 9, 1), date(2025, 2, 1), "CHCHAN"),
        ),
    )
    return (went_home, long_term)  # deliberately not in CHILD order


def ssda903(broken: bool = False) -> lac.SSDA903Return:
    return lac.SSDA903Return(collection_year=2025, children=lac_children(broken))


def test_903_tables_have_the_recognised_columns(tmp_path):
    written = lac.write_ssda903(ssda903(), tmp_path / "903")
    assert set(written) == set(lac.TABLES)
    for name, path in written.items():
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert tuple(rows[0]) == lac.TABLES[name][1], name
    header = list(csv.DictReader(written["header"].open(newline="", encoding="utf-8")))
    assert [r["CHILD"] for r in header] == ["L2001", "L2002"]
    assert header[0]["DOB"] == "10/04/2012"
    reviews = list(csv.DictReader(written["reviews"].open(newline="", encoding="utf-8")))
    assert [r["REVIEW"] for r in reviews] == ["01/06/2024", "01/12/2024", "25/05/2024"]
    assert (
        written["ad1"].read_bytes()
        == b"CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\r\n"
    )


def test_903_clean_return_passes_the_dfe_validator(tmp_path):
    folder = tmp_path / "903"
    lac.write_ssda903(ssda903(), folder)
    result = validate_903(folder, year=2025, la_code=LA_ONS)
    assert result.ruleset == "lac2024_25"
    assert result.raw["tables"]["Episodes"] == 3 and result.raw["tables"]["Header"] == 2
    assert result.errors == (), result.errors
    assert result.ok
    # rules needing the Ofsted URN lists or last year's return are skipped, with the reason
    reasons = {s.reason for s in result.skipped}
    assert any("URN lookup" in r for r in reasons), reasons
    assert any("last year's return" in r for r in reasons), reasons


def test_903_broken_episode_is_reported_and_crashes_are_listed_apart(tmp_path):
    folder = tmp_path / "903"
    lac.write_ssda903(ssda903(broken=True), folder)
    result = validate_903(folder, year=2025, la_code=LA_ONS)
    assert not result.ok
    errors = {(e.child_id, e.rule_code) for e in result.errors}
    assert ("L2002", "356") in errors, errors
    assert {e.child_id for e in result.errors} == {"L2002"}

    files = write_validation_report(result, tmp_path / "report", name="ssda903")
    issues = list(csv.DictReader(files.issues_csv.open(newline="", encoding="utf-8")))
    assert any(r["rule_code"] == "356" and r["child_id"] == "L2002" for r in issues)
    not_run = list(csv.DictReader(files.not_run_csv.open(newline="", encoding="utf-8")))
    crashed = {r["rule_code"] for r in not_run if r["status"] == "crashed"}
    assert crashed == {f.rule_code for f in result.fails}
    assert not crashed & {r["rule_code"] for r in issues}  # a crash is never an error
    skipped = [r for r in not_run if r["status"] == "skipped"]
    assert len(skipped) == len(result.skipped) and all(r["reason"] for r in skipped)
    assert "Rules not run" in files.markdown.read_text(encoding="utf-8")


def test_903_report_parsing_keeps_fails_out_of_errors():
    raw = {
        "tool": "csc-validator-be-903",
        "version": "0.1.17",
        "ruleset": "lac2024_25",
        "rules_run": 3,
        "issues": [
            {
                "child_id": "A",
                "rule_code": "101",
                "severity": "error",
                "description": "bad sex",
                "table": "Header",
                "row_id": 0,
                "columns": ["SEX"],
            }
        ],
        "fails": [{"rule_code": "231", "description": "uasc", "message": "KeyError: 'X'"}],
        "skipped": [{"rule_code": "219", "description": "urn", "reason": "needs lookup"}],
    }
    result = parse_903_report(raw, "dir")
    assert [e.rule_code for e in result.errors] == ["101"]
    assert [f.rule_code for f in result.fails] == ["231"]
    assert [s.reason for s in result.skipped] == ["needs lookup"]


def test_903_rules_whose_code_contradicts_their_message_are_rechecked(tmp_path):
    """SW11bSTG2 and SW12STG2 as the package codes them flag rows their own messages call
    right; the runner re-checks each flag against the message. A flag that survives is a real
    gap. And every rule sees the return as written: the package's copy of the tables is
    shallow, and rule 365 used to end every open episode on 31 March for the rules after it,
    so a child missing at the year end was reported under 575 and 577."""
    long_term, went_home = lac_children()[1], lac_children()[0]
    long_term = dataclasses.replace(
        long_term,
        # missing at the year end, still looked after: no 575 / 577
        missing=(*long_term.missing, lac.MissingEpisode("M", date(2025, 3, 29))),
        sw_episodes=(
            # began before care (01/06/2023) and covers its start: what SW12 asks for
            lac.SWEpisode("SW099", date(2023, 3, 1), date(2024, 11, 20), "FCONTA"),
            # ends in the last five days of March, and SW101 follows it: SW11b's message is met
            lac.SWEpisode("SW100", date(2024, 11, 21), date(2025, 3, 28), "OTHERS"),
            lac.SWEpisode("SW101", date(2025, 3, 29), sw_reason="OTHERS"),
        ),
    )
    came_in = lac.LookedAfterChild(
        child="L2003",
        sex="M",
        dob=date(2014, 2, 3),
        ethnic="WBRI",
        upn=upn("805123410003"),
        episodes=(
            lac.Episode(
                decom=date(2025, 3, 1),
                rne="S",
                ls="V2",
                cin="N1",
                place="U4",
                place_provider="PR1",
                home_post="TS24 0BH",
                pl_post="TS24 4FL",
                urn="XXXXXXX",
            ),
        ),
        prev_perm=lac.PrevPerm("Z1"),
        # the social worker before care left before it started and the next came ten days
        # after: nobody at the start of care, a real SW12 gap
        sw_episodes=(
            lac.SWEpisode("SW102", date(2025, 1, 6), date(2025, 2, 20), "FCONTA"),
            lac.SWEpisode("SW103", date(2025, 3, 11), sw_reason="FCONTA"),
        ),
    )
    left_alone = dataclasses.replace(
        came_in,
        child="L2004",
        upn=upn("805123410004"),
        # the only social worker left on 28 March and nobody followed: a real SW11b gap
        sw_episodes=(lac.SWEpisode("SW104", date(2025, 3, 1), date(2025, 3, 28), "FCONTA"),),
    )
    ret = lac.SSDA903Return(
        collection_year=2025, children=(long_term, went_home, came_in, left_alone)
    )
    folder = tmp_path / "903"
    lac.write_ssda903(ret, folder)
    result = validate_903(folder, year=2025, la_code=LA_ONS)

    errors = {(e.child_id, e.rule_code) for e in result.errors}
    assert ("L2003", "SW12STG2") in errors and ("L2004", "SW11bSTG2") in errors, errors
    assert not {c for c, _ in errors} & {"L2001", "L2002"}, errors  # no 575, 577, SW11b, SW12
    false = {(i.child_id, i.rule_code) for i in result.false_positives}
    assert false == {("L2001", "SW11bSTG2"), ("L2001", "SW12STG2")}, false
    assert all(i.note for i in result.false_positives)
    assert not set(result.false_positives) & set(result.errors + result.warnings)
    assert any("own copy of the tables" in n for n in result.notes)

    files = write_validation_report(result, tmp_path / "report", name="ssda903")
    rows = list(csv.DictReader(files.issues_csv.open(newline="", encoding="utf-8")))
    fp = [r for r in rows if r["severity"] == "false_positive"]
    assert {r["rule_code"] for r in fp} == {"SW11bSTG2", "SW12STG2"}
    assert all(r["note"] for r in fp)
    assert "re-checked and found false" in files.markdown.read_text(encoding="utf-8")


# --- determinism --------------------------------------------------------------------------


def test_writing_the_same_return_twice_is_byte_identical(tmp_path):
    a = cin.write_cin_census(census(broken=True), tmp_path / "a" / "cin.xml").read_bytes()
    shuffled = dataclasses.replace(census(broken=True), children=census(True).children[::-1])
    b = cin.write_cin_census(shuffled, tmp_path / "b" / "cin.xml").read_bytes()
    assert a == b
    assert a.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n')

    first = lac.write_ssda903(ssda903(), tmp_path / "a903")
    reordered = dataclasses.replace(ssda903(), children=ssda903().children[::-1])
    second = lac.write_ssda903(reordered, tmp_path / "b903")
    for name in lac.TABLES:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_writers_reject_what_the_spec_cannot_hold():
    with pytest.raises(ValueError, match="three-digit"):
        cin.cin_census_xml(cin.CINCensus(2025, "E06000001"))
    bad_sex = dataclasses.replace(cin_children()[0], sex="1")
    with pytest.raises(ValueError, match="sex"):
        cin.cin_census_xml(cin.CINCensus(2025, "845", (bad_sex,)))
    twice = lac_children()[0]
    with pytest.raises(ValueError, match="twice"):
        lac.ssda903_rows(lac.SSDA903Return(2025, (twice, twice)))


def test_903_sex_follows_the_year():
    """903 SEX: M / F / U from 2024-25, 1 / 2 before (no code for not known there: U is
    written and that year's rule 101 reports it)."""
    from csc_warehouse.returns.from_mart import sex_903

    assert [sex_903({"gender_code": g}, 2025) for g in ("1", "2", "0", "9", None)] == list("MFUUU")
    assert [sex_903({"gender_code": g}, 2024) for g in ("1", "2", "0", None)] == list("12UU")
