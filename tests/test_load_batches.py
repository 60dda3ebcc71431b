"""The batched CSV path (whole batches checked and COPYed at once) gives exactly what the
record-by-record path gives: the same raw rows and line numbers, the same quarantine."""

from __future__ import annotations

import csv
import json

import psycopg
from test_load_support import (  # noqa: F401 - fixtures
    load_db,
    q,
    refresh_checksums,
    settings_fixture,
    valid_row,
    write_folder,
)

from csc_warehouse.contracts import load_contract
from csc_warehouse.load import load_night, load_pending
from csc_warehouse.load import loader as loader_module
from csc_warehouse.load.validate import RowChecker
from csc_warehouse.roles import ensure_roles

TRUST = load_contract("trust")


def _awkward_persons(tmp_path):
    """~8 batches of persons with every case a batch can hold, and clean batches between."""
    n = 8000
    rows = [valid_row(TRUST, "persons", i) for i in range(1, n + 1)]
    rows[10]["forename"] = "line one\r\nline two"  # a record over two lines (batch 1)
    rows[1500]["surname"] = "a\nb\rc"  # LF and CR inside quotes: three lines
    rows[1600]["dob"] = "31/02/2010"  # a bad date
    rows[2100] = dict(rows[100])  # the key of a row two batches earlier
    rows[2101] = dict(rows[2101], person_id="T0002103")  # twice in one batch
    rows[2300]["forename"] = "tab\there, back\\slash"  # COPY escaping
    rows[2400]["forename"] = "x" * 5000  # over the (lowered) field size limit: csv.Error
    rows[2500]["gender"] = "7"  # an unknown code
    rows[5500] = dict(rows[4000])  # the key of a row of a clean (batched) batch
    folder = write_folder(tmp_path, "trust", "2021-11-24", {"persons": rows})
    path = folder / "persons.csv"
    data = path.read_bytes().split(b"\r\n")
    data.insert(900, b"")  # a blank line (not a record)
    data[1200] = data[1200] + b",extra"  # a field too many
    data[-1] = b'T0009999,"a quote left open at the end\r'  # the last record, unterminated
    path.write_bytes(b"\r\n".join(data))
    refresh_checksums(folder)
    return folder, n + 1


def _load(settings, tmp_path):
    night = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert night.status == "loaded", night.summary_line()
    raw = q(
        settings,
        "SELECT _line_number, person_id, forename, surname, dob FROM raw_trust.persons "
        "ORDER BY _line_number",
    )
    quarantined = q(
        settings,
        "SELECT line_number, line_end, reason_code, reason, raw_line FROM ops.quarantine "
        "ORDER BY line_number",
    )
    return night, raw, quarantined


def test_batched_csv_path_equals_the_record_by_record_path(settings, tmp_path, monkeypatch):
    folder, records = _awkward_persons(tmp_path)
    manifest = json.loads((folder / "_manifest.json").read_text())
    for f in manifest["files"]:
        if f["name"] == "persons.csv":
            f["rows"] = records
    (folder / "_manifest.json").write_text(json.dumps(manifest))
    limit = csv.field_size_limit(4096)
    try:
        # the reference: every record through reader.records() and the row checker
        with monkeypatch.context() as m:
            m.setattr(
                loader_module._TableLoader,
                "_copy_csv_fast",
                lambda self, reader, write: self._copy_records(reader, write),
            )
            ref_night, ref_raw, ref_q = _load(settings, tmp_path)
        with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
            conn.execute("DROP SCHEMA ops, raw_trust CASCADE")
        ensure_roles(settings)  # the schemas again (the loader cannot create schemas)
        night, raw, quarantined = _load(settings, tmp_path)
    finally:
        csv.field_size_limit(limit)
    assert raw == ref_raw
    assert quarantined == ref_q
    assert night.rows_loaded == ref_night.rows_loaded
    codes = [(r[0], r[2]) for r in quarantined]
    assert ("duplicate_key" in {c for _, c in codes}) and ("unparseable" in {c for _, c in codes})
    assert {c for _, c in codes} >= {"bad_date", "unknown_code", "column_count"}
    by_id = {r[1]: r for r in raw}
    assert by_id["T0000011"][2] == "line one\r\nline two"
    assert by_id["T0001501"][3] == "a\nb\rc"
    assert by_id["T0002301"][2] == "tab\there, back\\slash"
    assert quarantined[-1][:3] == (8006, 8006, "column_count")  # the open quote, at the end
    assert ("T0004001", 4006) in {(r[1], r[0]) for r in raw}
    # lines: the two-line record pushes every later record down one line, and so on
    assert by_id["T0000011"][0] == 12 and by_id["T0000012"][0] == 14


def test_batch_checks_never_pass_what_the_row_check_fails():
    """check_batch(rows) is True only when every row passes check(row)."""
    table = TRUST.tables["persons"]
    header = list(table.header("1"))
    checker = RowChecker(TRUST, table, header)
    good = [[str(v) for v in valid_row(TRUST, "persons", i).values()] for i in range(1, 50)]
    assert checker.check_batch(good) and all(checker.check(r) is None for r in good)
    bad_values = {
        "person_id": ["", "T123", "T12345678", "t1234567", "T123456\n", "T１２３４５６７"],
        "nhs_number": ["12345", "123456789a"],
        "dob": ["", "31/02/2010", "2010-01-01", "1/1/2010", "29/02/2019"],
        "gender": ["", "7", "M"],
        "updated_at": ["", "01/01/2020 24:00:00", "31/04/2020 10:00:00", "01/01/2020"],
        "date_of_death": ["30/02/2020"],
    }
    for column, values in bad_values.items():
        i = header.index(column)
        for value in values:
            rows = [list(r) for r in good]
            rows[7][i] = value
            if checker.check(rows[7]) is not None:
                assert not checker.check_batch(rows), (column, value)


def test_load_pending_until_leaves_later_nights_alone(settings, tmp_path):
    council = load_contract("council")
    people = [valid_row(council, "people", i) for i in (1, 2)]
    write_folder(tmp_path, "council", "2015-04-01", {"people": people}, mode="full")
    write_folder(tmp_path, "council", "2015-04-02", {})
    write_folder(tmp_path, "council", "2015-04-03", {})
    summary = load_pending(settings, tmp_path, ["council"], until="2015-04-02")
    assert [n.extract_date.isoformat() for n in summary.nights] == ["2015-04-01", "2015-04-02"]
    assert summary.later == 1 and "1 later folders" in summary.summary_line()
    rest = load_pending(settings, tmp_path, ["council"])
    assert [n.extract_date.isoformat() for n in rest.nights] == ["2015-04-03"]
