"""The loader against the synthetic generator: every fault kind it produces ends as the spec
says, and a whole tiny history loads without losing a row.

One landing is generated for the module (scale 0.02, 2015-04-01 .. 2016-06-30: council every
night, trust and hr month ends) with one fault of every kind on chosen nights; the faults
sidecar (``LANDING.faults.json``) says what was damaged where, and each fault's outcome is
checked from it. Then the folders that could not load are re-delivered clean (the generator
writes those nights again, without faults) and every row of every manifest on disk must be in
raw or in quarantine.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
from test_load_support import load_db, q  # noqa: F401 - fixtures

from csc_warehouse.contracts import load_contract
from csc_warehouse.generate import GenerateOptions, generate
from csc_warehouse.generate.faults import KINDS
from csc_warehouse.load import load_pending
from csc_warehouse.roles import ensure_roles

START, END = date(2015, 4, 1), date(2016, 6, 30)
SCALE, SEED = 0.02, 3
COUNCIL_BLOCKER = "2016-06-27"  # council: no manifest that night, later deltas must wait

FAULTS = [
    # hr (month ends): the delivery and transport faults, and the content ones
    "hr:2015-04-30:missing_manifest",
    "hr:2015-05-29:late_manifest",
    "hr:2015-06-30:duplicate_folder",
    "hr:2015-07-31:missing_file",
    "hr:2015-08-31:truncated_file",
    "hr:2015-09-30:wrong_checksum",
    "hr:2015-10-30:added_column",
    "hr:2015-11-30:duplicated_rows",
    "hr:2015-12-31:impossible_date",
    "hr:2016-01-29:unknown_code",
    # trust (month ends from 2016-04)
    "trust:2016-04-30:cp1252_byte",
    "trust:2016-05-31:dropped_column",
    "trust:2016-06-30:unknown_code",
    # council (every night): content faults, a late and a twice-delivered night, a blocker
    "council:2015-04-01:duplicated_rows",
    "council:2015-05-04:cp1252_byte",
    "council:2015-06-10:impossible_date",
    "council:2015-07-15:unknown_code",
    "council:2015-08-20:delete_never_inserted",
    "council:2015-09-09:late_manifest",
    "council:2015-10-14:duplicate_folder",
    f"council:{COUNCIL_BLOCKER}:missing_manifest",
]

ROW_FAULTS = {
    "duplicated_rows": {"duplicate_key"},
    "impossible_date": {"bad_date"},
    "unknown_code": {"unknown_code", "bad_bool"},  # a code column, or Y/N / Yes/No
    "cp1252_byte": {"bad_encoding"},
}
REJECTING = {
    "missing_file": "missing: listed in the manifest but not in the folder",
    "truncated_file": "sha256 mismatch",
    "wrong_checksum": "sha256 mismatch",
    "added_column": "schema_version 2 is not known to the contract",
    "dropped_column": "schema_version 2 is not known to the contract",
}


@pytest.fixture(scope="module")
def history(load_db, tmp_path_factory):  # noqa: F811
    """The generated landing, loaded once: (settings, landing, faults, first summary)."""
    settings = load_db
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS ops, raw_trust, raw_council, raw_hr CASCADE")
    ensure_roles(settings)  # the schemas and grants the loader's role needs, as db start
    landing = tmp_path_factory.mktemp("faults") / "landing"
    summary = generate(
        GenerateOptions(
            out=landing, seed=SEED, scale=SCALE, start=START, end=END, faults=",".join(FAULTS)
        )
    )
    faults = json.loads(Path(summary.faults_log).read_text())["faults"]
    first = load_pending(settings, landing)
    return settings, landing, faults, first


def test_the_faults_cover_every_kind_the_generator_produces(history):
    _, _, faults, _ = history
    assert {f["kind"] for f in faults} == set(KINDS)
    assert len(faults) == len(FAULTS)


def _batch(settings, system, day):
    rows = q(
        settings,
        "SELECT batch_id, status, reason FROM ops.load_batches WHERE system = %s "
        "AND extract_date = %s ORDER BY batch_id DESC LIMIT 1",
        (system, day),
    )
    return rows[0] if rows else None


def test_every_fault_ends_as_the_spec_says(history):
    settings, _, faults, first = history
    by_night = {(n.system, n.extract_date.isoformat()): n for n in first.nights}
    for f in faults:
        system, day, kind = f["system"], f["extract_date"], f["kind"]
        where = f"{kind} on {system} {day} ({f['detail']})"
        night = by_night.get((system, day))
        batch = _batch(settings, system, day)
        if kind == "missing_manifest":
            # still being written: nothing read, nothing recorded, not a failure
            assert batch is None and night is None, where
            continue
        if system == "council" and day > COUNCIL_BLOCKER:
            continue  # waits for the blocker (test below)
        if kind in REJECTING:
            assert night is not None and night.status == "rejected", where
            assert batch[1] == "rejected", where
            file = f["file"].split("#")[0]
            reasons = {r.file_name: r.reason for r in night.files}
            assert REJECTING[kind] in reasons[file], (where, reasons[file])
            if kind in ("added_column", "dropped_column"):
                column = f["detail"].split("'")[1]
                change = "added" if kind == "added_column" else "missing"
                assert any(f"{change}: {column}" in r for r in reasons.values()), where
            # every file of the folder has its ledger row; nothing of it reached raw
            files = q(
                settings,
                "SELECT count(*), count(*) FILTER (WHERE status = 'rejected') "
                "FROM ops.load_ledger WHERE batch_id = %s",
                (batch[0],),
            )[0]
            assert files[0] == files[1] == len(load_contract(system).tables), where
            continue
        # everything else loads (late, twice, row faults, unknown deletes)
        assert batch is not None and batch[1] == "loaded", where
        if kind in ROW_FAULTS and f["line"] is not None:
            file = f["file"].split("#")[0]
            got = q(
                settings,
                "SELECT reason_code, column_name FROM ops.quarantine WHERE batch_id = %s "
                "AND source_file = %s AND table_name = %s AND line_number = %s",
                (batch[0], file, f["table"], f["line"]),
            )
            assert len(got) == 1 and got[0][0] in ROW_FAULTS[kind], (where, got)
            if kind in ("impossible_date", "unknown_code"):
                assert got[0][1] == f["detail"].split(" = ")[0], (where, got)
        if kind == "delete_never_inserted":
            assert q(
                settings,
                "SELECT deletes_unknown FROM ops.load_ledger WHERE batch_id = %s "
                "AND table_name = %s",
                (batch[0], f["table"]),
            ) == [(1,)], where
            assert night.deletes_unknown == 1 and "never inserted" in night.summary_line()
        if kind == "duplicate_folder":
            # the second copy (<date>_2/) is not a dated folder: loaded once, not twice
            assert q(
                settings,
                "SELECT count(*) FROM ops.load_batches WHERE system = %s AND extract_date = %s",
                (system, day),
            ) == [(1,)], where


def test_every_loaded_folder_reconciles_and_only_the_council_blocker_waits(history):
    settings, _, _, first = history
    assert first.exit_code == 1  # rejected folders and waiting deltas
    # reconciliation in the ledger: manifest rows = raw rows + quarantined rows, every file
    assert q(
        settings,
        "SELECT count(*) FROM ops.load_ledger WHERE status IN ('loaded', 'quarantined') "
        "AND rows_manifest <> rows_raw + rows_quarantined",
    ) == [(0,)]
    waiting = q(
        settings,
        "SELECT extract_date::text, waiting_for::text FROM ops.load_batches "
        "WHERE status = 'waiting' ORDER BY 1",
    )
    assert [w[0] for w in waiting] == ["2016-06-28", "2016-06-29", "2016-06-30"]
    assert {w[1] for w in waiting} == {COUNCIL_BLOCKER}
    # the other systems' nights after it loaded regardless
    assert _batch(settings, "hr", "2016-06-30")[1] == "loaded"
    # every quarantined row keeps its raw line and a reason naming the column, not the value
    assert q(
        settings,
        "SELECT count(*) FROM ops.quarantine WHERE raw_line IS NULL OR reason IS NULL",
    ) == [(0,)]


def test_no_row_is_lost_once_the_damaged_nights_are_delivered_again(history):
    settings, landing, faults, _ = history
    # the sources deliver again the damaged nights that did not load (the generator writes
    # them again, without faults); nights loaded with quarantined rows stay as they are
    redeliver = sorted(
        {
            (f["system"], f["extract_date"])
            for f in faults
            if (_batch(settings, f["system"], f["extract_date"]) or (0, ""))[1] != "loaded"
        }
    )
    assert len(redeliver) == len(REJECTING) + 2  # + the two missing manifests (one: the blocker)
    for system, day in redeliver:
        d = date.fromisoformat(day)
        generate(
            GenerateOptions(out=landing, seed=SEED, scale=SCALE, start=d, end=d, systems=(system,))
        )
    again = load_pending(settings, landing)
    assert again.exit_code == 0, [n.summary_line() for n in again.nights if n.problem]
    assert q(settings, "SELECT count(*) FROM ops.load_batches WHERE status = 'waiting'") == [(0,)]
    # every row of every manifest on disk: in raw or in quarantine, counted in the database
    raw: dict[tuple[int, str], int] = {}
    for system in ("trust", "council", "hr"):
        for table in load_contract(system).tables:
            for batch_id, n in q(
                settings, f'SELECT _batch_id, count(*) FROM raw_{system}."{table}" GROUP BY 1'
            ):
                raw[(batch_id, table)] = n
    quarantined = {
        (b, t): n
        for b, t, n in q(
            settings,
            "SELECT batch_id, table_name, count(*) FROM ops.quarantine "
            "WHERE replayed_at IS NULL GROUP BY 1, 2",
        )
    }
    loaded = {
        (s, d.isoformat()): b
        for s, d, b in q(
            settings,
            "SELECT system, extract_date, batch_id FROM ops.load_batches WHERE status = 'loaded'",
        )
    }
    folders = rows = in_raw = in_quarantine = 0
    for manifest_path in sorted(landing.glob("*/*/_manifest.json")):
        system, day = manifest_path.parent.parent.name, manifest_path.parent.name
        if day != date.fromisoformat(day[:10]).isoformat():
            continue  # the second copy of a folder delivered twice
        manifest = json.loads(manifest_path.read_text())
        batch_id = loaded[(system, day)]
        contract = load_contract(system)
        for entry in manifest["files"]:
            table = entry["table"]
            if table not in contract.tables:  # hr lists its sheets
                table = next(t.name for t in contract.tables.values() if t.sheet == table)
            r, qn = raw.get((batch_id, table), 0), quarantined.get((batch_id, table), 0)
            assert entry["rows"] == r + qn, (system, day, table, entry["rows"], r, qn)
            rows += entry["rows"]
            in_raw += r
            in_quarantine += qn
        folders += 1
    assert folders == len(loaded) > 450
    assert rows == in_raw + in_quarantine and in_quarantine > 0
