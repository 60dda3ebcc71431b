"""Every fault kind is produced when asked, visible in the files, and recorded in the sidecar."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from csc_warehouse.contracts import check_value, load_contract
from csc_warehouse.generate import GenerateOptions, generate
from csc_warehouse.generate.faults import KINDS, FaultSpecError

ASKED = {
    "council:2025-04-01:missing_manifest": "council/2025-04-01",
    "council:2025-04-02:late_manifest": "council/2025-04-02",
    "trust:2022-03-31:duplicate_folder": "trust/2022-03-31",
    "council:2025-04-03:missing_file:people.txt": "council/2025-04-03",
    "trust:2022-04-05:truncated_file:visits.csv": "trust/2022-04-05",
    "hr:2025-04-01:wrong_checksum": "hr/2025-04-01",
    "council:2025-04-04:duplicated_rows": "council/2025-04-04",
    "trust:2022-03-31:impossible_date:referrals.csv": "trust/2022-03-31",
    "council:2025-04-07:unknown_code": "council/2025-04-07",
    "council:2025-04-08:cp1252_byte:people.txt": "council/2025-04-08",
    "hr:2025-04-02:added_column:Staff": "hr/2025-04-02",
    "trust:2022-04-05:dropped_column:persons.csv": "trust/2022-04-05",
    "council:2025-04-09:delete_never_inserted": "council/2025-04-09",
    "hr:2025-04-03:impossible_date:Staff": "hr/2025-04-03",
}


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    out = root / "landing"
    opts = GenerateOptions(
        out=out,
        seed=5,
        scale=0.03,
        start=date(2022, 3, 30),
        end=date(2025, 4, 9),
        faults=",".join(ASKED),
    )
    summary = generate(opts)
    return out, summary, json.loads((root / "landing.faults.json").read_text())


def test_every_kind_recorded(damaged):
    out, summary, log = damaged
    kinds = {f["kind"] for f in log["faults"]}
    assert kinds == set(KINDS)
    assert not (out / "landing.faults.json").exists()  # outside the landing folder
    for f in log["faults"]:
        assert f["folder"] == f"{f['system']}/{f['extract_date']}"


def _manifest(out, folder):
    return json.loads((out / folder / "_manifest.json").read_text())


def _by_kind(log, kind):
    return next(f for f in log["faults"] if f["kind"] == kind)


def test_delivery_faults_visible(damaged):
    out, _, log = damaged
    assert not (out / "council/2025-04-01/_manifest.json").exists()
    assert (out / "council/2025-04-01/people.txt").exists()
    assert _manifest(out, "council/2025-04-02")["generated_at"] == "2025-04-03T09:47:13Z"
    dup = out / "trust/2022-03-31_2"
    assert dup.is_dir() and _manifest(out, "trust/2022-03-31_2")["extract_date"] == "2022-03-31"
    assert not (out / "council/2025-04-03/people.txt").exists()
    assert "people.txt" in {f["name"] for f in _manifest(out, "council/2025-04-03")["files"]}


def test_transport_faults_visible(damaged):
    out, _, _ = damaged
    for folder, name in (("trust/2022-04-05", "visits.csv"), ("hr/2025-04-01", "workforce.xlsx")):
        entry = next(f for f in _manifest(out, folder)["files"] if f["name"] == name)
        assert hashlib.sha256((out / folder / name).read_bytes()).hexdigest() != entry["sha256"]


def test_content_faults_visible(damaged):
    out, _, log = damaged
    trust = load_contract("trust")
    council = load_contract("council")
    f = (
        _by_kind(log, "impossible_date")
        if _by_kind(log, "impossible_date")["system"] == "trust"
        else next(
            x for x in log["faults"] if x["kind"] == "impossible_date" and x["system"] == "trust"
        )
    )
    lines = (out / f["folder"] / f["file"]).read_text(encoding="utf-8-sig").splitlines()
    bad = lines[f["line"] - 1].split(",")
    table = trust.tables[f["table"]]
    problems = [check_value(c, v, trust.format) for c, v in zip(table.columns, bad, strict=True)]
    assert any(p and "not a date" in p for p in problems)
    # duplicated row: the recorded line repeats the one before it
    f = _by_kind(log, "duplicated_rows")
    lines = (out / f["folder"] / f["file"]).read_bytes().splitlines()
    assert lines[f["line"] - 1] == lines[f["line"] - 2]
    # unknown code
    f = _by_kind(log, "unknown_code")
    line = (out / f["folder"] / f["file"]).read_text().splitlines()[f["line"] - 1]
    assert "ZZ9" in line.split("|")
    # Windows-1252 byte: not UTF-8 any more, and the manifest agrees with the file as sent
    f = _by_kind(log, "cp1252_byte")
    data = (out / f["folder"] / f["file"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    entry = next(e for e in _manifest(out, f["folder"])["files"] if e["name"] == f["file"])
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    # dropped / added column: new schema_version, header differs from the contract
    m = _manifest(out, "trust/2022-04-05")
    assert m["schema_version"] == "2"
    header = (
        (out / "trust/2022-04-05/persons.csv")
        .read_text(encoding="utf-8-sig")
        .splitlines()[0]
        .split(",")
    )
    assert header != trust.tables["persons"].header()
    assert _manifest(out, "hr/2025-04-02")["schema_version"] == "2"
    # a delete for a row never inserted
    f = _by_kind(log, "delete_never_inserted")
    line = (out / f["folder"] / f["file"]).read_text().splitlines()[f["line"] - 1].split("|")
    assert line[-2] == "D" and len(line) == len(council.tables["visits"].columns)


def test_random_faults_and_bad_specs(tmp_path):
    out = tmp_path / "l"
    s = generate(
        GenerateOptions(
            out=out,
            seed=2,
            scale=0.02,
            start=date(2025, 4, 1),
            end=date(2025, 4, 20),
            faults="random:13",
            faults_log=tmp_path / "f.json",
        )
    )
    log = json.loads((tmp_path / "f.json").read_text())
    assert len(log["faults"]) >= 13 and {f["kind"] for f in log["faults"]} == set(KINDS)
    assert s.faults_log == tmp_path / "f.json"
    for bad in (
        "trust:2025-04-01:missing_file",
        "council:2025-04-01:nope",
        "hr:2025-04-01:cp1252_byte",
        "council:2025-04-01:missing_file:nofile.txt",
        "random:x",
    ):
        with pytest.raises(FaultSpecError):
            generate(
                GenerateOptions(
                    out=out,
                    seed=2,
                    scale=0.02,
                    start=date(2025, 4, 1),
                    end=date(2025, 4, 2),
                    faults=bad,
                )
            )
