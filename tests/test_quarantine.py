"""Quarantine listing and replay, and the `load` / `quarantine` command lines."""

from __future__ import annotations

import dataclasses

import psycopg
from test_load_support import (  # noqa: F401 - fixtures
    load_db,
    q,
    settings_fixture,
    valid_row,
    write_folder,
)

from csc_warehouse.cli import main
from csc_warehouse.contracts import load_contract
from csc_warehouse.load import list_quarantine, load_night, replay_quarantine

TRUST = load_contract("trust")
COUNCIL = load_contract("council")


def with_code(contract, table, column, code):
    t = contract.tables[table]
    cols = tuple(
        dataclasses.replace(c, codes=(*c.codes, code)) if c.name == column else c for c in t.columns
    )
    return dataclasses.replace(
        contract, tables={**contract.tables, table: dataclasses.replace(t, columns=cols)}
    )


def test_replay_after_a_contract_change_moves_rows_into_raw(settings, tmp_path):
    refs = [valid_row(TRUST, "referrals", i) for i in range(1, 6)]
    refs[1]["source"] = "11"  # a referral source the contract does not know (yet)
    refs[3]["source"] = "11"
    refs[4]["referral_date"] = "32/01/2021"  # stays bad
    write_folder(tmp_path, "trust", "2021-11-24", {"referrals": refs})
    night = load_night(settings, tmp_path, "trust", "2021-11-24")
    assert night.rows_quarantined == 3
    listing = list_quarantine(settings, system="trust")
    assert listing.total == 3
    assert {(g.reason_code, g.rows) for g in listing.groups} == {
        ("unknown_code", 2),
        ("bad_date", 1),
    }
    assert all(r.raw_line is None for r in listing.rows)  # no personal data by default
    assert list_quarantine(settings, show_raw=True).rows[0].raw_line.startswith("R2,")

    # replay against the unchanged contract: nothing moves
    same = replay_quarantine(settings, system="trust")
    assert (same.replayed, same.still_failing) == (0, 3)

    # the contract learns code 11: the two rows move, the bad date stays
    fixed = with_code(TRUST, "referrals", "source", "11")
    result = replay_quarantine(
        settings, system="trust", extract_date="2021-11-24", contracts={"trust": fixed}
    )
    assert (result.replayed, result.still_failing) == (2, 1)
    got = q(
        settings,
        "SELECT referral_id, source, _batch_id, _line_number FROM "
        "raw_trust.referrals WHERE source = '11' ORDER BY 1",
    )
    assert got == [("R2", "11", night.batch_id, 3), ("R4", "11", night.batch_id, 5)]
    assert q(
        settings,
        "SELECT status, rows_raw, rows_quarantined, rows_replayed FROM "
        "ops.load_ledger WHERE table_name = 'referrals'",
    ) == [("replayed", 4, 1, 2)]
    assert q(
        settings,
        "SELECT rows_loaded, rows_quarantined, rows_replayed FROM "
        "ops.load_batches WHERE batch_id = %s",
        (night.batch_id,),
    ) == [(4, 1, 2)]
    assert list_quarantine(settings).total == 1
    # replaying again does not duplicate anything
    again = replay_quarantine(settings, contracts={"trust": fixed})
    assert again.replayed == 0
    assert q(settings, "SELECT count(*) FROM raw_trust.referrals") == [(4,)]


def test_replay_of_a_corrected_raw_line_and_duplicates_stay_out(settings, tmp_path):
    people = [valid_row(COUNCIL, "people", i) for i in range(1, 4)]
    people[1]["SEX"] = "Q"
    people.append(dict(people[0]))  # a true duplicate line
    write_folder(tmp_path, "council", "2015-04-01", {"people": people}, mode="full")
    night = load_night(settings, tmp_path, "council", "2015-04-01")
    assert night.rows_quarantined == 2
    # an engineer corrects the raw line of the bad code (by id)
    qid, raw = q(
        settings,
        "SELECT quarantine_id, raw_line FROM ops.quarantine WHERE reason_code = 'unknown_code'",
    )[0]
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute(
            "UPDATE ops.quarantine SET raw_line = %s WHERE quarantine_id = %s",
            (raw.replace("|Q|", "|F|"), qid),
        )
    result = replay_quarantine(settings, quarantine_id=qid)
    assert result.replayed == 1
    # the duplicate is still a duplicate
    dup = replay_quarantine(settings, system="council")
    assert (dup.replayed, dup.still_failing) == (0, 1)
    assert dup.reasons == {"duplicate_key": 1}
    assert q(settings, "SELECT count(*) FROM raw_council.people") == [(3,)]


def test_bad_encoding_stays_quarantined_on_replay(settings, tmp_path):
    folder = write_folder(
        tmp_path,
        "council",
        "2015-04-01",
        {"people": [valid_row(COUNCIL, "people", 1)]},
        mode="full",
    )
    data = (folder / "people.txt").read_bytes().replace(b"text 1", b"Ren\xe9e")
    (folder / "people.txt").write_bytes(data)
    from test_load_support import refresh_checksums

    refresh_checksums(folder)
    night = load_night(settings, tmp_path, "council", "2015-04-01")
    assert night.rows_quarantined == 1
    assert replay_quarantine(settings).still_failing == 1


def test_cli_load_and_quarantine(settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CSC_PG_DATABASE", settings.pg_database)
    persons = [valid_row(TRUST, "persons", i) for i in range(1, 4)]
    persons[2]["surname"] = "Secret-Surname"
    persons[2]["gender"] = "5"
    write_folder(tmp_path, "trust", "2021-11-24", {"persons": persons})
    write_folder(
        tmp_path, "council", "2015-04-03", {"people": [valid_row(COUNCIL, "people", 1)]}
    )  # nothing before it
    code = main(["load", "--landing", str(tmp_path), "--system", "trust", "--all-pending"])
    out, err = capsys.readouterr()
    assert code == 0  # quarantined rows alone: a warning
    assert "1 rows quarantined" in err and "summary:" in out
    assert "Secret-Surname" not in out + err

    code = main(["load", "--landing", str(tmp_path), "--system", "council", "--date", "2015-04-03"])
    out, err = capsys.readouterr()
    assert code == 1 and "waiting" in err

    code = main(["load", "--landing", str(tmp_path), "--date", "2015-04-09"])
    assert code == 1
    capsys.readouterr()

    assert main(["quarantine", "list", "--system", "trust"]) == 0
    out, _ = capsys.readouterr()
    assert "unknown_code" in out and "Secret-Surname" not in out and " 4 " in out
    assert main(["quarantine", "list", "--show-raw"]) == 0
    out, err = capsys.readouterr()
    assert "Secret-Surname" in out and "personal data" in err
    assert main(["quarantine", "replay", "--system", "trust"]) == 1
    out, _ = capsys.readouterr()
    assert "0 replayed" in out
