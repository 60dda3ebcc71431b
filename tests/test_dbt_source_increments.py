"""Staging, incrementally: a night reads only what its deliveries changed.

Council deltas (test_council_staging_follows_the_night): a night recomputes only the keys
its deltas touched.

A fresh warehouse (the loader's raw and ops tables, dbt as ``csc_transformer``) gets council
deltas night by night, written as the loader writes them (raw rows plus their
``ops.load_batches`` / ``ops.load_ledger`` rows). After each night ``dbt build`` of the
incremental council models must give, by hand:

* night 1 (first full folder): people 101, 102, 103; steps 9001, 9002;
* night 2: 101 updated, 102 deleted (D), 104 inserted, step 9002 completed;
* night 3: 105 inserted, and a row for 103 delivered late with an *older* LAST_MODIFIED than
  the one held (LAST_MODIFIED decides: 103 keeps its values);
* night 3 re-delivered with different content (a correction): the first delivery is
  superseded, its rows are no longer the source's (105 goes, 103's late row with it); the
  correction brings 106;
* a quarantined row of night 2 replayed into its batch (the ledger's rows_raw moves): 107.

Rows of keys a night did not touch are not rewritten (their ``ctid`` stays), and at the end
a ``--full-refresh`` gives exactly the same tables.

Trust and hr snapshots (test_snapshot_staging_reads_again_only_what_changed): a model of the
newest snapshot, and a history of every snapshot, are left as they are on a night their
input did not change (the trust's snapshots stopped in 2022), and read again after a new
snapshot, a correction and a replay.
"""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from csc_warehouse.roles import TRANSFORMER
from csc_warehouse.tools import run_dbt

pytestmark = pytest.mark.timeout(600)

MODELS = [
    "stg_council__people",
    "stg_council__workflow_steps",
    "stg_council__workflow_steps_history",
]


def _person(pid: str, surname: str, change: str, modified: str) -> dict:
    return {
        "person_id": pid,
        "last_name": surname,
        "date_of_birth": "2014-05-06",
        "sex": "F",
        "change_type": change,
        "last_modified": modified,
    }


def _step(sid: str, completed: str | None, change: str, modified: str) -> dict:
    return {
        "step_id": sid,
        "person_id": "101",
        "step_type": "ASMT",
        "started_on": "2022-04-01",
        "completed_on": completed,
        "change_type": change,
        "last_modified": modified,
    }


class Deliveries:
    """Writes a system's deliveries as the loader does (raw rows, batch and ledger rows)."""

    def __init__(self, settings, system: str = "council", tables=("people", "workflow_steps")):
        self.settings, self.system, self.tables = settings, system, tables

    def deliver(self, night: str, delivery: int, tables: dict[str, list[dict]]) -> int:
        with psycopg.connect(self.settings.conninfo(), autocommit=True) as conn:
            batch = conn.execute(
                "insert into ops.load_batches (system, extract_date, delivery, status, "
                "manifest_sha256, folder, is_current, is_correction) "
                "values (%s, %s, %s, 'loaded', 'x', %s, true, %s) returning batch_id",
                (self.system, night, delivery, f"{self.system}/{night}", delivery > 1),
            ).fetchone()[0]
            for table in self.tables:
                rows = tables.get(table, [])
                self._raw(conn, self.system, table, batch, night, rows, first_line=2)
                conn.execute(
                    "insert into ops.load_ledger (batch_id, system, extract_date, file_name, "
                    "table_name, status, rows_raw) values (%s, %s, %s, %s, %s, 'loaded', %s)",
                    (batch, self.system, night, f"{table}.txt", table, len(rows)),
                )
            if delivery > 1:  # a correction supersedes the earlier delivery of the night
                conn.execute(
                    "update ops.load_batches set status = 'superseded', superseded_by = %s, "
                    "is_current = false where system = %s and extract_date = %s "
                    "and batch_id <> %s",
                    (batch, self.system, night, batch),
                )
                conn.execute(
                    "update ops.load_ledger set status = 'superseded' where system = %s "
                    "and extract_date = %s and batch_id <> %s",
                    (self.system, night, batch),
                )
        return batch

    def replay(self, batch: int, night: str, table: str, row: dict, line: int) -> None:
        with psycopg.connect(self.settings.conninfo(), autocommit=True) as conn:
            self._raw(conn, self.system, table, batch, night, [row], first_line=line)
            conn.execute(
                "update ops.load_ledger set rows_raw = rows_raw + 1, status = 'replayed' "
                "where batch_id = %s and table_name = %s",
                (batch, table),
            )

    @staticmethod
    def _raw(conn, system, table, batch, night, rows, first_line) -> None:
        for line, row in enumerate(rows, start=first_line):
            cols = [*row, "_batch_id", "_extract_date", "_source_file", "_line_number"]
            values = [*row.values(), batch, date.fromisoformat(night), f"{table}.txt", line]
            conn.execute(
                psycopg.sql.SQL("insert into {} ({}) values ({})").format(
                    psycopg.sql.Identifier(f"raw_{system}", table),
                    psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, cols)),
                    psycopg.sql.SQL(", ").join(psycopg.sql.Placeholder() * len(cols)),
                ),
                values,
            )


def _build(settings, tmp_path, *extra: str, models=MODELS) -> None:
    res = run_dbt(
        ["run", "--select", *models, *extra, "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        settings,
        capture=True,
        role=TRANSFORMER,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]


def _table_rows(conn, models) -> dict[str, list]:
    """Every row of each staging model, as text: what a full refresh must give again."""
    return {
        model: conn.execute(
            psycopg.sql.SQL("select r::text from staging.{} as r order by 1").format(
                psycopg.sql.Identifier(model)
            )
        ).fetchall()
        for model in models
    }


def _state(settings) -> dict[str, dict]:
    with psycopg.connect(settings.conninfo()) as conn:
        people = {
            r[0]: (r[1], r[2].isoformat(), r[3])
            for r in conn.execute(
                "select person_id, surname, _extract_date, ctid::text "
                "from staging.stg_council__people"
            )
        }
        steps = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                "select step_id, end_date, ctid::text from staging.stg_council__workflow_steps"
            )
        }
        history = conn.execute(
            "select step_id, version_number, valid_from, valid_to, is_deleted "
            "from staging.stg_council__workflow_steps_history order by 1, 2"
        ).fetchall()
        tables = _table_rows(conn, MODELS)
    return {"people": people, "steps": steps, "history": history, "tables": tables}


def _last_analyze(settings) -> dict:
    with psycopg.connect(settings.conninfo()) as conn:
        return dict(
            conn.execute(
                "select relname, last_analyze from pg_stat_user_tables "
                "where schemaname = 'staging' and relname = any(%s)",
                (MODELS,),
            ).fetchall()
        )


def test_council_staging_follows_the_night(empty_warehouse, tmp_path):
    settings = empty_warehouse
    council = Deliveries(settings)

    council.deliver("2015-04-01", 1, {
        "people": [_person("101", "Khan", "I", "2015-03-01T09:00:00"),
                   _person("102", "Gone", "I", "2015-03-01T09:00:00"),
                   _person("103", "Stays", "I", "2015-03-20T09:00:00")],
        "workflow_steps": [_step("9001", None, "I", "2015-03-01T09:00:00"),
                           _step("9002", None, "I", "2015-03-01T09:05:00")],
    })  # fmt: skip
    _build(settings, tmp_path)
    one = _state(settings)
    assert {k: v[0] for k, v in one["people"].items()} == {
        "101": "Khan",
        "102": "Gone",
        "103": "Stays",
    }

    night2 = council.deliver("2015-04-02", 1, {
        "people": [_person("101", "Khan-Ray", "U", "2015-04-01T10:00:00"),
                   {"person_id": "102", "change_type": "D",
                    "last_modified": "2015-04-01T11:00:00"},
                   _person("104", "New", "I", "2015-04-01T12:00:00")],
        "workflow_steps": [_step("9002", "2015-04-01", "U", "2015-04-01T16:00:00")],
    })  # fmt: skip
    _build(settings, tmp_path)
    two = _state(settings)
    assert {k: v[0] for k, v in two["people"].items()} == {
        "101": "Khan-Ray",
        "103": "Stays",
        "104": "New",
    }
    assert two["steps"]["9002"][0] == date(2015, 4, 1)
    # untouched keys were not rewritten
    assert two["people"]["103"][2] == one["people"]["103"][2]
    assert two["steps"]["9001"][1] == one["steps"]["9001"][1]
    assert [h[:2] for h in two["history"]] == [("9001", 1), ("9002", 1), ("9002", 2)]

    council.deliver("2015-04-03", 1, {
        "people": [_person("105", "Later", "I", "2015-04-02T09:00:00"),
                   _person("103", "Older", "U", "2015-03-10T09:00:00")],
    })  # fmt: skip
    _build(settings, tmp_path)
    three = _state(settings)
    assert {k: v[0] for k, v in three["people"].items()} == {
        "101": "Khan-Ray",
        "103": "Stays",  # the late row is older than the one held
        "104": "New",
        "105": "Later",
    }
    assert three["people"]["101"][2] == two["people"]["101"][2]

    # the night re-delivered with different content: the first delivery is not the source's
    council.deliver("2015-04-03", 2, {"people": [_person("106", "Corrected", "I",
                                                          "2015-04-02T10:00:00")]})  # fmt: skip
    _build(settings, tmp_path)
    four = _state(settings)
    assert {k: v[0] for k, v in four["people"].items()} == {
        "101": "Khan-Ray",
        "103": "Stays",
        "104": "New",
        "106": "Corrected",
    }
    assert four["people"]["104"][2] == three["people"]["104"][2]

    # a quarantined row of night 2, replayed into its batch
    council.replay(night2, "2015-04-02", "people", _person("107", "Replayed", "I",
                                                             "2015-04-01T13:00:00"), line=9)  # fmt: skip
    before = _last_analyze(settings)
    _build(settings, tmp_path)
    five = _state(settings)
    after = _last_analyze(settings)
    assert after["stg_council__people"] > before["stg_council__people"]  # written: analyzed
    assert after["stg_council__workflow_steps"] == before["stg_council__workflow_steps"]
    assert five["people"]["107"][:2] == ("Replayed", "2015-04-02")
    assert set(five["people"]) == {"101", "103", "104", "106", "107"}

    # a night with no council change rewrites nothing, and keeps the tables' statistics
    analyzed = _last_analyze(settings)
    _build(settings, tmp_path)
    again = _state(settings)
    assert again["people"] == five["people"] and again["steps"] == five["steps"]
    assert _last_analyze(settings) == analyzed

    # and a full rebuild gives exactly the same tables
    _build(settings, tmp_path, "--full-refresh")
    assert _state(settings)["tables"] == five["tables"]

    # a table left with other columns than its model's (a release changed the model) is
    # rebuilt in full that night, not a failed night (on_schema_change would fail it)
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute("alter table staging.stg_council__people add column retired_column int")
    _build(settings, tmp_path)
    assert _state(settings)["tables"] == five["tables"]


def _trust_person(pid: str, surname: str) -> dict:
    return {"person_id": pid, "surname": surname, "dob": "01/02/2010", "gender": "1"}


def _trust_plan(pid: str, end: str | None) -> dict:
    return {
        "cp_plan_id": "C1",
        "referral_id": "R1",
        "person_id": pid,
        "start_date": "01/06/2021",
        "end_date": end,
        "initial_category": "NEG",
    }


SNAPSHOT_MODELS = ["stg_trust__persons", "stg_trust__cp_plans_history"]


def _snapshot_state(settings) -> dict:
    with psycopg.connect(settings.conninfo()) as conn:
        persons = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                "select person_id, surname, ctid::text from staging.stg_trust__persons"
            )
        }
        history = conn.execute(
            "select cp_plan_id, version_number, valid_from, valid_to, ctid::text "
            "from staging.stg_trust__cp_plans_history order by 1, 2"
        ).fetchall()
        tables = _table_rows(conn, SNAPSHOT_MODELS)
    return {"persons": persons, "history": history, "tables": tables}


def test_snapshot_staging_reads_again_only_what_changed(empty_warehouse, tmp_path):
    settings = empty_warehouse
    trust = Deliveries(settings, "trust", ("persons", "cp_plans"))

    trust.deliver("2022-04-04", 1, {
        "persons": [_trust_person("T1", "Smith"), _trust_person("T2", "Jones")],
        "cp_plans": [_trust_plan("T1", None)],
    })  # fmt: skip
    _build(settings, tmp_path, models=SNAPSHOT_MODELS)
    one = _snapshot_state(settings)
    assert {k: v[0] for k, v in one["persons"].items()} == {"T1": "Smith", "T2": "Jones"}

    # no trust delivery tonight: nothing is read again or rewritten
    _build(settings, tmp_path, models=SNAPSHOT_MODELS)
    assert _snapshot_state(settings) == one

    trust.deliver("2022-04-05", 1, {"persons": [_trust_person("T1", "Smith-Ray")],
                                    "cp_plans": [_trust_plan("T1", "05/04/2022")]})  # fmt: skip
    _build(settings, tmp_path, models=SNAPSHOT_MODELS)
    two = _snapshot_state(settings)
    assert {k: v[0] for k, v in two["persons"].items()} == {"T1": "Smith-Ray"}
    assert [h[1:4] for h in two["history"]] == [
        (1, date(2022, 4, 4), date(2022, 4, 5)),
        (2, date(2022, 4, 5), None),
    ]

    # the night re-delivered (a correction), then a quarantined row replayed into it
    correction = trust.deliver("2022-04-05", 2, {
        "persons": [_trust_person("T1", "Smith-Ray"), _trust_person("T3", "Taylor")],
        "cp_plans": [_trust_plan("T1", None)],
    })  # fmt: skip
    _build(settings, tmp_path, models=SNAPSHOT_MODELS)
    three = _snapshot_state(settings)
    assert sorted(three["persons"]) == ["T1", "T3"]
    assert [h[1:4] for h in three["history"]] == [(1, date(2022, 4, 4), None)]
    trust.replay(correction, "2022-04-05", "persons", _trust_person("T4", "Late"), line=9)
    _build(settings, tmp_path, models=SNAPSHOT_MODELS)
    four = _snapshot_state(settings)
    assert sorted(four["persons"]) == ["T1", "T3", "T4"]
    assert four["history"] == three["history"]  # cp_plans did not change: not rewritten

    _build(settings, tmp_path, "--full-refresh", models=SNAPSHOT_MODELS)
    assert _snapshot_state(settings)["tables"] == four["tables"]
