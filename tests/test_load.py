"""The nightly loader against a real Postgres: formats, faults, order, corrections, safety."""

from __future__ import annotations

import dataclasses
import json
import zipfile

import pytest
from test_load_support import (  # noqa: F401 - fixtures
    load_db,
    q,
    refresh_checksums,
    rewrite_manifest,
    settings_fixture,
    valid_row,
    write_folder,
)

from csc_warehouse.contracts import Column, load_contract
from csc_warehouse.load import load_night, load_pending
from csc_warehouse.load.loader import LoadOptions, ReconciliationError
from csc_warehouse.load.readers import XlsxLimits

TRUST = load_contract("trust")
COUNCIL = load_contract("council")
HR = load_contract("hr")


def rows(contract, table, n, start=1, **overrides):
    return [valid_row(contract, table, i, **overrides) for i in range(start, start + n)]


def full_night(contract, n=3):
    return {t: rows(contract, t, n) for t in contract.tables}


def reconciles(settings, batch_id):
    """manifest rows = raw rows + open quarantined rows, for every file of the batch."""
    system = q(settings, "SELECT system FROM ops.load_batches WHERE batch_id = %s", (batch_id,))[0][
        0
    ]
    for table, manifest_rows in q(
        settings,
        "SELECT table_name, rows_manifest FROM ops.load_ledger WHERE batch_id = %s",
        (batch_id,),
    ):
        raw = q(
            settings,
            f'SELECT count(*) FROM raw_{system}."{table}" WHERE _batch_id = %s',
            (batch_id,),
        )[0][0]
        quarantined = q(
            settings,
            "SELECT count(*) FROM ops.quarantine WHERE batch_id = %s AND table_name = %s "
            "AND replayed_at IS NULL",
            (batch_id, table),
        )[0][0]
        assert raw + quarantined == manifest_rows, (table, raw, quarantined, manifest_rows)
    return True


# ---- the happy path ---------------------------------------------------------------------------


def test_clean_nights_of_all_systems_load_and_reload_is_a_noop(settings, tmp_path):
    landing = tmp_path
    write_folder(landing, "trust", "2021-11-24", full_night(TRUST))
    write_folder(landing, "council", "2015-04-01", full_night(COUNCIL), mode="full")
    write_folder(landing, "hr", "2021-11-24", full_night(HR))
    summary = load_pending(settings, landing)
    assert summary.exit_code == 0
    assert [n.status for n in summary.nights] == ["loaded"] * 3
    assert summary.rows_loaded == 3 * (len(TRUST.tables) + len(COUNCIL.tables) + len(HR.tables))
    for n in summary.nights:
        assert reconciles(settings, n.batch_id)
    # lineage on every row; header is line 1, so data starts at 2
    got = q(
        settings,
        "SELECT person_id, _batch_id, _extract_date::text, _source_file, "
        "_line_number FROM raw_trust.persons ORDER BY _line_number",
    )
    assert got[0] == ("T0000001", summary.nights[0].batch_id, "2021-11-24", "persons.csv", 2)
    assert [g[4] for g in got] == [2, 3, 4]
    # xlsx: real Excel dates as ISO text, booleans as delivered
    assert q(
        settings, "SELECT start_date, agency FROM raw_hr.staff WHERE employee_number = 'E00001'"
    ) == [("2020-01-02", "Yes")]
    ledger = q(
        settings,
        "SELECT system, count(*), min(status), max(status) "
        "FROM ops.load_ledger GROUP BY system ORDER BY system",
    )
    assert ledger == [
        ("council", 10, "loaded", "loaded"),
        ("hr", 2, "loaded", "loaded"),
        ("trust", 13, "loaded", "loaded"),
    ]
    # the same nights again: nothing changes
    before = q(settings, "SELECT count(*) FROM raw_trust.persons")
    again = load_pending(settings, landing)
    assert again.nights == [] and again.exit_code == 0
    night = load_night(settings, landing, "trust", "2021-11-24")
    assert night.status == "unchanged"
    assert q(settings, "SELECT count(*) FROM raw_trust.persons") == before
    assert q(settings, "SELECT count(*) FROM ops.load_batches") == [(3,)]


def test_folder_without_manifest_is_not_ready(settings, tmp_path):
    write_folder(tmp_path, "trust", "2021-11-24", full_night(TRUST), write_manifest=False)
    night = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert night.status == "not_ready"
    summary = load_pending(settings, tmp_path)
    assert summary.not_ready == 1 and summary.nights == [] and summary.exit_code == 0


def test_csv_quirks_and_hostile_values_load_as_data(settings, tmp_path):
    hostile = [
        "Robert'); DROP TABLE raw_trust.persons; --",
        "$$; SELECT pg_sleep(10); $$",
        'He said "hi", then left',
        "back\\slash and\ttab",
        "line one\r\nline two",
        "Zoë Ångström-Ñúñez",
        "x" * 300_000,  # longer than the csv module's default field limit
    ]
    persons = [valid_row(TRUST, "persons", i + 1, forename=v) for i, v in enumerate(hostile)]
    persons.append(valid_row(TRUST, "persons", 99, date_of_death="", postcode=""))
    write_folder(tmp_path, "trust", "2021-11-24", {"persons": persons})
    night = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert night.status == "loaded", night.summary_line()
    assert night.rows_quarantined == 0
    got = dict(q(settings, "SELECT person_id, forename FROM raw_trust.persons"))
    for i, v in enumerate(hostile):
        assert got[f"T{i + 1:07d}"] == v
    # the record with the quoted CRLF spans lines 6-7, so the next record is on line 8
    lines = dict(q(settings, "SELECT person_id, _line_number FROM raw_trust.persons"))
    assert lines["T0000005"] == 6 and lines["T0000006"] == 8
    # empty field = NULL
    assert q(
        settings,
        "SELECT date_of_death IS NULL, postcode IS NULL FROM raw_trust.persons "
        "WHERE person_id = 'T0000099'",
    ) == [(True, True)]
    assert reconciles(settings, night.batch_id)


def test_pipe_escapes_change_types_and_unknown_deletes(settings, tmp_path):
    people = rows(COUNCIL, "people", 3)
    people[0]["LAST_NAME"] = "Smith|Jones"  # written Smith\|Jones
    write_folder(tmp_path, "council", "2015-04-01", {"people": people}, mode="full")
    first = load_night(settings, tmp_path, "council", "2015-04-01")
    assert first.status == "loaded"
    assert q(settings, "SELECT last_name FROM raw_council.people WHERE person_id = '1'") == [
        ("Smith|Jones",)
    ]
    delta = [
        valid_row(COUNCIL, "people", 2, CHANGE_TYPE="U", LAST_MODIFIED="2015-04-02T10:00:00"),
        valid_row(COUNCIL, "people", 3, CHANGE_TYPE="D", LAST_MODIFIED="2015-04-02T11:00:00"),
        valid_row(COUNCIL, "people", 77, CHANGE_TYPE="D"),  # never inserted
    ]
    write_folder(tmp_path, "council", "2015-04-02", {"people": delta})
    night = load_night(settings, tmp_path, "council", "2015-04-02")
    assert night.status == "loaded"
    assert night.deletes_unknown == 1
    assert q(
        settings,
        "SELECT deletes_unknown, status FROM ops.load_ledger "
        "WHERE batch_id = %s AND table_name = 'people'",
        (night.batch_id,),
    ) == [(1, "loaded")]
    assert q(
        settings, "SELECT warnings FROM ops.load_batches WHERE batch_id = %s", (night.batch_id,)
    ) == [(1,)]
    assert q(
        settings, "SELECT change_type, count(*) FROM raw_council.people GROUP BY 1 ORDER BY 1"
    ) == [("D", 2), ("I", 3), ("U", 1)]


def test_xlsx_real_and_text_dates(settings, tmp_path):
    staff = rows(HR, "staff", 3)
    staff[1]["Start Date"] = "05/06/2009"  # an older row: the date as text
    staff[2]["Start Date"] = "31/02/2009"  # not a date
    write_folder(tmp_path, "hr", "2021-11-24", {"staff": staff, "posts": rows(HR, "posts", 2)})
    night = load_night(settings, tmp_path, "hr", "2021-11-24")
    assert night.status == "loaded"
    assert q(
        settings, "SELECT employee_number, start_date, _line_number FROM raw_hr.staff ORDER BY 1"
    ) == [("E00001", "2020-01-02", 2), ("E00002", "05/06/2009", 3)]
    assert q(
        settings,
        "SELECT line_number, reason_code, column_name, raw_line LIKE '[%%' FROM ops.quarantine",
    ) == [(4, "bad_date", "Start Date", True)]
    assert reconciles(settings, night.batch_id)


# ---- row faults: quarantine -------------------------------------------------------------------


def test_every_row_fault_is_quarantined_with_reason_and_line(settings, tmp_path):
    persons = rows(TRUST, "persons", 9)
    persons[0]["dob"] = "31/02/2010"  # line 2: bad date
    persons[1]["gender"] = "7"  # line 3: unknown code
    persons[2]["dob"] = ""  # line 4: required empty
    persons[3]["nhs_number"] = "12345"  # line 5: pattern mismatch
    persons[4]["updated_at"] = "2021-01-01 10:00"  # line 6: bad timestamp
    persons[6] = dict(persons[5])  # line 8: duplicate of line 7
    folder = write_folder(tmp_path, "trust", "2021-11-24", {"persons": persons})
    # line 9: a field too many; line 10: a stray Windows-1252 byte
    data = (folder / "persons.csv").read_bytes().split(b"\r\n")
    data[8] = data[8] + b",extra"
    data[9] = data[9].replace(b"text 9", b"Ren\xe9e")  # cp1252 e-acute
    (folder / "persons.csv").write_bytes(b"\r\n".join(data))
    refresh_checksums(folder)
    night = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert night.status == "loaded" and not night.problem
    got = q(settings, "SELECT line_number, reason_code FROM ops.quarantine ORDER BY 1")
    assert got == [
        (2, "bad_date"),
        (3, "unknown_code"),
        (4, "required_empty"),
        (5, "pattern_mismatch"),
        (6, "bad_timestamp"),
        (8, "duplicate_key"),
        (9, "column_count"),
        (10, "bad_encoding"),
    ]
    assert q(settings, "SELECT count(*) FROM raw_trust.persons") == [(1,)]
    led = q(
        settings,
        "SELECT status, rows_manifest, rows_raw, rows_quarantined "
        "FROM ops.load_ledger WHERE table_name = 'persons'",
    )
    assert led == [("quarantined", 9, 1, 8)]
    assert reconciles(settings, night.batch_id)
    # reasons name the column, never the value
    reasons = [r for (r,) in q(settings, "SELECT reason FROM ops.quarantine")]
    assert any("dob" in r for r in reasons)
    assert not any("31/02/2010" in r or "12345" in r for r in reasons)
    # the raw line is kept: exact bytes, and text where the bad byte is U+FFFD
    raw = q(settings, "SELECT raw_line, raw_bytes FROM ops.quarantine WHERE line_number = 10")
    assert "Ren\ufffde" in raw[0][0] and b"Ren\xe9e" in bytes(raw[0][1])


# ---- file faults: rejection -------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["missing", "sha256", "truncated", "row_count"])
def test_file_faults_reject_the_folder_and_other_systems_still_load(settings, tmp_path, fault):
    folder = write_folder(tmp_path, "trust", "2021-11-24", full_night(TRUST))
    write_folder(tmp_path, "hr", "2021-11-24", full_night(HR))
    target = folder / "referrals.csv"
    if fault == "missing":
        target.unlink()
    elif fault == "sha256":
        target.write_bytes(target.read_bytes().replace(b"R1,", b"R9,"))
    elif fault == "truncated":
        target.write_bytes(target.read_bytes()[:-30])
    elif fault == "row_count":
        m = json.loads((folder / "_manifest.json").read_text())
        for f in m["files"]:
            if f["name"] == "referrals.csv":
                f["rows"] = 4
        (folder / "_manifest.json").write_text(json.dumps(m))
    summary = load_pending(settings, tmp_path)
    by = {n.system: n for n in summary.nights}
    assert by["hr"].status == "loaded"
    trust = by["trust"]
    assert trust.status == "rejected" and summary.exit_code == 1
    reasons = {f.file_name: f.reason for f in trust.files}
    expected = {
        "missing": "missing",
        "sha256": "sha256 mismatch",
        "truncated": "sha256 mismatch",
        "row_count": "row count mismatch",
    }[fault]
    assert expected in reasons["referrals.csv"]
    assert "folder is rejected" in reasons["persons.csv"]
    lines = trust.problem_lines()
    assert lines and lines[0].startswith("trust 2021-11-24 referrals.csv")
    # nothing of the folder reached raw; the ledger has every file, rejected
    assert q(settings, "SELECT count(*) FROM raw_trust.persons") == [(0,)]
    assert q(
        settings,
        "SELECT count(*) FILTER (WHERE status = 'rejected'), count(*) "
        "FROM ops.load_ledger WHERE system = 'trust'",
    ) == [(13, 13)]
    # the file is left where it is; running again changes nothing (no new batch)
    assert folder.exists()
    again = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert again.status == "rejected" and again.previously
    assert q(settings, "SELECT count(*) FROM ops.load_batches WHERE system = 'trust'") == [(1,)]
    # a fixed re-delivery loads
    write_folder(tmp_path, "trust", "2021-11-24", full_night(TRUST))
    fixed = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert fixed.status == "loaded" and reconciles(settings, fixed.batch_id)


def test_schema_drift_rejected_unless_the_contract_knows_the_version(settings, tmp_path):
    header = [*TRUST.tables["visits"].header("1"), "visit_location"]
    visits = [valid_row(TRUST, "visits", i) | {"visit_location": "home"} for i in (1, 2)]
    night = {**full_night(TRUST), "visits": visits}
    write_folder(tmp_path, "trust", "2021-11-24", night, version="2", headers={"visits": header})
    result = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert result.status == "rejected"
    reason = {f.table: f.reason for f in result.files}["visits"]
    assert "schema_version 2" in reason and "added: visit_location" in reason
    # a header that lost a column under a known version
    write_folder(
        tmp_path,
        "trust",
        "2021-11-25",
        full_night(TRUST),
        headers={"missing": TRUST.tables["missing"].header("1")[:-1]},
    )
    lost = load_night(settings, tmp_path, "trust", "2021-11-25")
    assert lost.status == "rejected"
    assert "missing: rhi_accepted" in {f.table: f.reason for f in lost.files}["missing"]
    # the contract learns version 2 (a column with since_version 2): the first folder loads
    visits_t = TRUST.tables["visits"]
    v2 = dataclasses.replace(
        TRUST,
        schema_versions=("1", "2"),
        tables={
            **TRUST.tables,
            "visits": dataclasses.replace(
                visits_t,
                columns=(
                    *visits_t.columns,
                    Column("visit_location", "visit_location", since_version="2"),
                ),
            ),
        },
    )
    loaded = load_night(settings, tmp_path, "trust", "2021-11-24", contract=v2)
    assert loaded.status == "loaded", loaded.summary_line()
    assert q(settings, "SELECT visit_location FROM raw_trust.visits ORDER BY 1") == [
        ("home",),
        ("home",),
    ]
    assert reconciles(settings, loaded.batch_id)


# ---- order, corrections, current snapshot -------------------------------------------------------


def test_council_deltas_wait_for_a_missing_date_then_load_in_order(settings, tmp_path):
    write_folder(tmp_path, "council", "2015-04-01", full_night(COUNCIL), mode="full")
    write_folder(tmp_path, "council", "2015-04-03", {"people": rows(COUNCIL, "people", 1, 30)})
    write_folder(tmp_path, "council", "2015-04-04", {"people": rows(COUNCIL, "people", 1, 40)})
    summary = load_pending(settings, tmp_path)
    assert [(n.extract_date.isoformat(), n.status) for n in summary.nights] == [
        ("2015-04-01", "loaded"),
        ("2015-04-03", "waiting"),
        ("2015-04-04", "waiting"),
    ]
    assert summary.exit_code == 1
    assert all(n.waiting_for.isoformat() == "2015-04-02" for n in summary.nights[1:])
    assert "2015-04-02" in summary.nights[1].message
    assert q(
        settings,
        "SELECT extract_date::text, status, waiting_for::text FROM "
        "ops.load_batches WHERE status = 'waiting' ORDER BY 1",
    ) == [("2015-04-03", "waiting", "2015-04-02"), ("2015-04-04", "waiting", "2015-04-02")]
    assert q(
        settings, "SELECT count(*) FROM raw_council.people WHERE _extract_date > '2015-04-01'"
    ) == [(0,)]
    # the night again: still waiting, still one waiting row per date
    load_pending(settings, tmp_path)
    assert q(settings, "SELECT count(*) FROM ops.load_batches WHERE status = 'waiting'") == [(2,)]
    # the gap is filled: everything loads, in date order
    write_folder(tmp_path, "council", "2015-04-02", {"people": rows(COUNCIL, "people", 1, 20)})
    filled = load_pending(settings, tmp_path)
    assert [(n.extract_date.isoformat(), n.status) for n in filled.nights] == [
        ("2015-04-02", "loaded"),
        ("2015-04-03", "loaded"),
        ("2015-04-04", "loaded"),
    ]
    assert filled.exit_code == 0
    order = q(
        settings,
        "SELECT extract_date::text FROM ops.load_batches WHERE status = 'loaded' ORDER BY batch_id",
    )
    assert [o for (o,) in order] == ["2015-04-01", "2015-04-02", "2015-04-03", "2015-04-04"]
    assert q(settings, "SELECT count(*) FROM ops.load_batches WHERE status = 'waiting'") == [(0,)]
    assert q(settings, "SELECT count(*) FROM ops.load_ledger WHERE status = 'waiting'") == [(0,)]


def test_first_council_folder_must_be_full(settings, tmp_path):
    write_folder(tmp_path, "council", "2022-04-01", full_night(COUNCIL))  # delta
    night = load_night(settings, tmp_path, "council", "2022-04-01")
    assert night.status == "waiting" and "first full council extract" in night.message


def test_redelivery_is_a_correction_and_older_snapshots_are_not_current(settings, tmp_path):
    write_folder(tmp_path, "trust", "2021-11-24", full_night(TRUST))
    first = load_night(settings, tmp_path, "trust", "2021-11-24")
    write_folder(tmp_path, "trust", "2021-11-24", full_night(TRUST, n=4))
    second = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert second.status == "loaded" and second.is_correction
    assert second.superseded_batch == first.batch_id
    assert "correction" in second.summary_line()
    assert q(
        settings,
        "SELECT batch_id, status, superseded_by, is_current, delivery "
        "FROM ops.load_batches ORDER BY 1",
    ) == [
        (first.batch_id, "superseded", second.batch_id, False, 1),
        (second.batch_id, "loaded", None, True, 2),
    ]
    assert q(
        settings,
        "SELECT DISTINCT status FROM ops.load_ledger WHERE batch_id = %s",
        (first.batch_id,),
    ) == [("superseded",)]
    # raw keeps both deliveries (append-only)
    assert q(
        settings, "SELECT _batch_id, count(*) FROM raw_trust.persons GROUP BY 1 ORDER BY 1"
    ) == [(first.batch_id, 3), (second.batch_id, 4)]
    # an older snapshot arriving late: loaded for history, not current
    write_folder(tmp_path, "trust", "2021-10-31", full_night(TRUST))
    late = load_night(settings, tmp_path, "trust", "2021-10-31")
    assert late.status == "loaded" and late.is_current is False
    assert q(settings, "SELECT batch_id FROM ops.current_batches WHERE system = 'trust'") == [
        (second.batch_id,)
    ]


# ---- untrusted input --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "a/b.csv", "..\\x.csv"])
def test_manifest_file_names_with_a_path_are_rejected(settings, tmp_path, name):
    folder = write_folder(tmp_path, "trust", "2021-11-24", full_night(TRUST))
    m = json.loads((folder / "_manifest.json").read_text())
    m["files"][0]["name"] = name
    (folder / "_manifest.json").write_text(json.dumps(m))
    night = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert night.status == "rejected" and "unsafe file name" in night.message
    assert q(settings, "SELECT file_name, status FROM ops.load_ledger") == [
        ("_manifest.json", "rejected")
    ]


def test_hostile_header_is_rejected_and_never_executed(settings, tmp_path):
    evil = '"; DROP SCHEMA ops CASCADE; --'
    header = [*TRUST.tables["cp_reviews"].header("1")[:-1], evil]
    write_folder(tmp_path, "trust", "2021-11-24", full_night(TRUST), headers={"cp_reviews": header})
    night = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert night.status == "rejected"
    assert "added:" in {f.table: f.reason for f in night.files}["cp_reviews"]
    assert q(settings, "SELECT count(*) FROM ops.load_batches") == [(1,)]


def test_oversized_and_zip_bomb_workbooks_are_refused(settings, tmp_path):
    folder = write_folder(tmp_path, "hr", "2021-11-24", full_night(HR))
    opts = LoadOptions(xlsx_limits=XlsxLimits(max_bytes=1000))
    night = load_night(settings, tmp_path, "hr", "2021-11-24", options=opts)
    assert night.status == "rejected" and "over the" in night.message
    # a workbook whose member unpacks 1000x
    bomb = folder / "workforce.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 5_000_000 + b">")
    refresh_checksums(folder)
    night = load_night(settings, tmp_path, "hr", "2021-11-24")
    assert night.status == "rejected" and "zip-bomb" in night.message


def test_reconciliation_failure_commits_nothing(settings, tmp_path, monkeypatch):
    persons = rows(TRUST, "persons", 3)
    persons[0]["gender"] = "X"
    write_folder(tmp_path, "trust", "2021-11-24", {"persons": persons})
    from csc_warehouse.load import loader

    monkeypatch.setattr(loader._TableLoader, "_write_quarantine", lambda *a, **k: None)
    with pytest.raises(ReconciliationError, match="persons.csv"):
        load_night(settings, tmp_path, "trust", "2021-11-24")
    assert q(settings, "SELECT count(*) FROM ops.load_batches") == [(0,)]
    assert q(settings, "SELECT count(*) FROM raw_trust.persons") == [(0,)]


def test_manifest_checksum_is_of_content_not_generated_at(settings, tmp_path):
    folder = write_folder(tmp_path, "trust", "2021-11-24", full_night(TRUST))
    assert load_night(settings, tmp_path, "trust", "2021-11-24").status == "loaded"
    rewrite_manifest(folder, generated_at="2021-11-25T09:00:00Z")
    assert load_night(settings, tmp_path, "trust", "2021-11-24").status == "unchanged"
