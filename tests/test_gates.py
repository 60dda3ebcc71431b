"""Great Expectations gates and write-audit-publish on a small hand-made warehouse.

The module runs in its own database (created here, dropped at the end) with a copy of the
committed GX context (`expectations/gx`), real checkpoints and a real Postgres. A tiny mart
with the documented table names is built by hand in `mart_build`; the first night publishes it
(no `bi` yet: the comparisons with the published mart are skipped). Then: a clean night passes
and publishes; each injected problem is stopped by the right gate with a message naming it,
the build is kept as `mart_failed_*`, and the published `bi` is byte-for-byte unchanged.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from datetime import date, timedelta

import psycopg
import pytest
from psycopg import sql

from csc_warehouse import gates
from csc_warehouse.config import get_settings
from csc_warehouse.gates import suites
from csc_warehouse.publish import BUILD_SCHEMA, schema_fingerprint

TIMINGS: dict[str, float] = {}


# ---- a warehouse of our own -------------------------------------------------------------------


@pytest.fixture(scope="module")
def settings(base_settings, tmp_path_factory):
    """A fresh database and a copy of the committed GX context; both go at the end."""
    home = tmp_path_factory.mktemp("gates_home")
    shutil.copytree(
        base_settings.expectations_dir / "gx",
        home / "expectations" / "gx",
        ignore=shutil.ignore_patterns("uncommitted"),
    )
    name = f"csc_test_gates_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_settings.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    env = {
        **base_settings.env,
        "CSC_HOME": str(home),
        "CSC_STATE_DIR": str(base_settings.state_dir),
        "CSC_PG_DATABASE": name,
        "CSC_OUTPUT": str(home / "output"),
    }
    s = get_settings(env)
    try:
        make_raw(s)
        yield s
    finally:
        with psycopg.connect(base_settings.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
        if TIMINGS:
            print("\ngate timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items()))


def make_raw(s) -> None:
    """The loader's layout with one trust batch: 5 persons, 5 referrals, in the ledger."""
    from csc_warehouse.contracts import SYSTEMS, load_contract
    from csc_warehouse.load.ddl import ensure_ops, ensure_raw

    with psycopg.connect(s.conninfo(), autocommit=True) as conn:
        ensure_ops(conn)
        for system in SYSTEMS:
            ensure_raw(conn, load_contract(system))
        batch = conn.execute(
            "insert into ops.load_batches (system, extract_date, delivery, status, "
            "manifest_sha256, folder) values ('trust', '2024-03-31', 1, 'loaded', 'x', 'f') "
            "returning batch_id"
        ).fetchone()[0]
        lineage = "%s, '2024-03-31', %s, %s, now()"
        for i in range(1, 6):
            conn.execute(
                "insert into raw_trust.persons (person_id, nhs_number, forename, surname, dob, "
                "gender, ethnicity, postcode, updated_at, _batch_id, _extract_date, "
                f"_source_file, _line_number, _loaded_at) values (%s, %s, %s, %s, %s, '1', "
                f"'WBRI', 'ZZ9 9ZZ', '01/03/2024 10:00:00', {lineage})",
                (
                    f"T{i}",
                    f"943476591{i}",
                    "Secretname",
                    f"Surname{i}",
                    f"0{i}/01/2015",
                    batch,
                    "persons.csv",
                    i + 1,
                ),
            )
            conn.execute(
                "insert into raw_trust.referrals (referral_id, person_id, referral_date, source, "
                "primary_need, nfa, team_code, _batch_id, _extract_date, _source_file, "
                f"_line_number, _loaded_at) values (%s, %s, '01/02/2024', '1A', 'N1', 'N', "
                f"'T1', {lineage})",
                (f"R{i}", f"T{i}", batch, "referrals.csv", i + 1),
            )
        for table, file in (("persons", "persons.csv"), ("referrals", "referrals.csv")):
            conn.execute(
                "insert into ops.load_ledger (batch_id, system, extract_date, file_name, "
                "table_name, status, rows_raw) values (%s, 'trust', '2024-03-31', %s, %s, "
                "'loaded', 5)",
                (batch, file, table),
            )


# ---- a hand-made mart -------------------------------------------------------------------------

MONTHS = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def key(kind: str, i: int) -> str:
    return hashlib.sha256(f"{kind}{i}".encode()).hexdigest()


def _type(column: str) -> str:
    if column in ("date_day", "month_end", "month_end_date") or column.endswith("_date"):
        return "date"
    return "text"


def make_mart(s, schema: str = BUILD_SCHEMA, children: int = 40, open_cases: int = 30) -> None:
    """The documented tables with their keys and references; small, consistent data."""
    with psycopg.connect(s.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))

        def run(statement: str, *args) -> None:
            conn.execute(statement.replace("{s}", schema), *args)

        run(
            "create table {s}.dim_child (child_key text, birth_month date, birth_year int, "
            "gender_code text, postcode_district text)"
        )
        run("create table {s}.dim_team (team_key text, team_code text)")
        run("create table {s}.dim_post (post_key text, team_key text, fte numeric)")
        run("create table {s}.dim_worker (worker_key text, team_key text, post_key text)")
        run("create table {s}.dim_date (date_day date, month_end date)")
        run(
            "create table {s}.fct_referrals (referral_key text, child_key text, team_key text, "
            "referral_date date, is_open boolean)"
        )
        run(
            "create table {s}.fct_cp_plans (cp_plan_key text, child_key text, "
            "referral_key text, start_date date, is_open boolean)"
        )
        run(
            "create table {s}.fct_cla_episodes (episode_key text, child_key text, "
            "care_period_key text, start_date date)"
        )
        run("create table {s}.fct_care_periods (care_period_key text, child_key text)")
        run(
            "create table {s}.fct_allocations (allocation_segment_key text, child_key text, "
            "worker_key text, allocated_worker_key text, team_key text)"
        )
        run(
            "create table {s}.fct_child_month_end (child_key text, month_end_date date, "
            "is_open_case boolean, team_key text, allocated_worker_key text, age_years int, "
            "unallocated_working_days int, social_worker_count_12m int, "
            "placement_count_12m int)"
        )
        run(
            "create table {s}.fct_scorecard_monthly (measure_id text, breakdown text, "
            "month_end date, period text, numerator numeric, denominator numeric, "
            "value numeric, unit text)"
        )
        made = {
            "dim_child", "dim_team", "dim_post", "dim_worker", "dim_date", "fct_referrals",
            "fct_cp_plans", "fct_cla_episodes", "fct_care_periods", "fct_allocations",
            "fct_child_month_end", "fct_scorecard_monthly",
        }  # fmt: skip
        for table, spec in suites.MART_TABLES.items():
            if table in made or not spec.required:
                continue
            columns = dict.fromkeys([*spec.key, *spec.refs])
            run(
                f"create table {{s}}.{table} ("
                + ", ".join(f"{c} {_type(c)}" for c in columns)
                + ")"
            )
        teams = [key("team", t) for t in range(3)]
        for t, team in enumerate(teams):
            run("insert into {s}.dim_team values (%s, %s)", (team, f"T{t}"))
            run("insert into {s}.dim_post values (%s, %s, 1)", (key("post", t), team))
            run(
                "insert into {s}.dim_worker values (%s, %s, %s)",
                (key("worker", t), team, key("post", t)),
            )
        day = date(2024, 1, 1)
        while day <= MONTHS[-1]:
            month_end = next(m for m in MONTHS if m >= day)
            run("insert into {s}.dim_date values (%s, %s)", (day, month_end))
            day += timedelta(days=1)
        for i in range(children):
            child, team, worker = key("child", i), teams[i % 3], key("worker", i % 3)
            run(
                "insert into {s}.dim_child values (%s, '2015-06-01', 2015, '1', 'ZZ9')",
                (child,),
            )
            run(
                "insert into {s}.fct_referrals values (%s, %s, %s, '2024-01-10', %s)",
                (key("referral", i), child, team, i < open_cases),
            )
            run(
                "insert into {s}.fct_allocations values (%s, %s, %s, %s, %s)",
                (key("allocation", i), child, worker, worker, team),
            )
            if i % 3 == 0:
                run(
                    "insert into {s}.fct_cp_plans values (%s, %s, %s, '2024-01-20', true)",
                    (key("cp", i), child, key("referral", i)),
                )
            if i % 3 == 1:
                run("insert into {s}.fct_care_periods values (%s, %s)", (key("period", i), child))
                run(
                    "insert into {s}.fct_cla_episodes values (%s, %s, %s, '2024-01-15')",
                    (key("episode", i), child, key("period", i)),
                )
            for month_end in MONTHS:
                run(
                    "insert into {s}.fct_child_month_end values (%s, %s, %s, %s, %s, 9, 0, 1, 0)",
                    (child, month_end, i < open_cases, team, worker),
                )
        for measure, unit in (("cp_visits_in_timescale", "pct"), ("unallocated_cases", "count")):
            for month_end in MONTHS:
                for period in ("month", "ytd"):
                    run(
                        "insert into {s}.fct_scorecard_monthly values "
                        "(%s, 'all', %s, %s, 9, 10, 90, %s)",
                        (measure, month_end, period, unit),
                    )


def kept_builds(s) -> set[str]:
    with psycopg.connect(s.conninfo()) as conn:
        return {
            r[0]
            for r in conn.execute(
                "select nspname from pg_namespace where nspname ~ '^mart_failed_'"
            )
        }


def count(s, query: str) -> int:
    with psycopg.connect(s.conninfo()) as conn:
        return conn.execute(query).fetchone()[0]


@pytest.fixture(scope="module")
def published(settings):
    """The first night: no `bi` yet, the build passes and becomes `bi` (40 children)."""
    make_mart(settings, children=40, open_cases=30)
    started = time.perf_counter()
    outcome = gates.gate_and_publish(settings, "first_night", date(2024, 3, 31))
    TIMINGS["first mart gate + publish"] = time.perf_counter() - started
    assert outcome["published"] is True
    assert count(settings, "select count(*) from bi.dim_child") == 40
    return settings


# ---- the committed context ----------------------------------------------------------------------


def test_committed_suites_are_what_the_code_generates(base_settings):
    """`csc-warehouse validate --regenerate-suites` has been run after the last change."""
    from csc_warehouse.gates.runner import CHECKPOINTS

    folder = base_settings.expectations_dir / "gx" / "expectations"
    for layer, layer_suites in suites.all_suites().items():
        checkpoint = json.loads(
            (folder.parent / "checkpoints" / f"{CHECKPOINTS[layer]}.json").read_text()
        )
        assert sorted(v["name"] for v in checkpoint["validation_definitions"]) == sorted(
            layer_suites
        )
        for name, expectations in layer_suites.items():
            stored = json.loads((folder / f"{name}.json").read_text())["expectations"]
            want = []
            for e in expectations:
                cfg = e.configuration.to_json_dict()
                want.append(
                    (suites.stable_id(name, e), cfg["type"], cfg["kwargs"], cfg["meta"],
                     e.description, e.severity)
                )  # fmt: skip
            got = [
                (e["id"], e["type"], e["kwargs"], e["meta"], e["description"], e["severity"])
                for e in stored
            ]
            assert got == want, f"{name}: regenerate the suites"
            for e in stored:
                assert e["meta"]["severity"] in ("blocking", "warning")
                assert e["severity"] == (
                    "critical" if e["meta"]["severity"] == "blocking" else "warning"
                )


def test_no_secret_in_the_committed_context(base_settings):
    from csc_warehouse.gates.runner import check_no_secret_written

    check_no_secret_written(base_settings)
    yml = (base_settings.expectations_dir / "gx" / "great_expectations.yml").read_text()
    assert "connection_string: ${CSC_GX_PG_URL}" in yml
    assert "analytics_enabled: false" in yml


def test_raw_suites_never_list_values_of_personal_data():
    from csc_warehouse.contracts import load_contract

    for name, expectations in suites.raw_suites().items():
        system, table = suites.raw_table_of(name)
        pii = {c.db_name for c in load_contract(system).tables[table].columns if c.pii}
        for e in expectations:
            kwargs = e.configuration.kwargs
            columns = set(kwargs.get("column_list") or []) | {kwargs.get("column")}
            assert not columns & pii, f"{name}: {e.expectation_type} on personal data"


# ---- raw gates ----------------------------------------------------------------------------------


def test_raw_gate_passes_then_stops_a_duplicated_key(settings):
    started = time.perf_counter()
    clean = gates.run_gates("raw", settings, "raw_clean")
    TIMINGS["raw gates"] = time.perf_counter() - started
    assert clean.passed, gates.format_failures(clean)
    assert clean.expectations > 100
    assert clean.data_docs_path and clean.data_docs_path.exists()

    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute(
            "insert into raw_trust.persons select * from raw_trust.persons where person_id = 'T2'"
        )
        # a referral long before the child's birth: a warning, shown by line number only
        conn.execute(
            "update raw_trust.referrals set referral_date = '01/01/2010' where referral_id = 'R3'"
        )
        try:
            # recheck: the referral edited in place is not a load (see the next test)
            result = gates.run_gates("raw", settings, "raw_dup", recheck=True)
        finally:
            conn.execute(
                "delete from raw_trust.persons where ctid = (select max(ctid) from "
                "raw_trust.persons where person_id = 'T2')"
            )
            conn.execute(
                "update raw_trust.referrals set referral_date = '01/02/2024' where referral_id = 'R3'"
            )
    assert not result.passed
    message = gates.format_failures(result)
    failed = {(f.suite, f.expectation) for f in result.blocking_failures}
    assert ("raw__trust__persons", "expect_column_values_to_be_unique") in failed
    # the duplicate also breaks the reconciliation with the ledger
    assert any("ledger" in f.description for f in result.blocking_failures)
    assert "line 3" in message and "raw__trust__persons" in message and "unique" in message
    assert any("before the child's birth" in f.description for f in result.warnings)
    assert "line 4" in message  # R3 is on line 4 of referrals.csv
    for secret in ("Surname2", "Secretname", "9434765912", "ZZ9 9ZZ", "02/01/2015", "01/01/2010"):
        assert secret not in message
    docs = result.data_docs_path.parent
    html = " ".join(p.read_text(errors="replace") for p in docs.rglob("*.html"))
    for secret in ("Surname2", "Secretname", "9434765912", "02/01/2015"):
        assert secret not in html


def test_raw_gate_runs_a_suite_again_only_when_what_it_reads_changed(settings):
    """A suite that passed is not run again on the same loads (the trust's last snapshot is
    the newest batch of its tables every night after 2022); a load, a replay, rows added to
    raw or a changed suite file make it run again."""
    first = gates.run_gates("raw", settings, "raw_once")
    assert first.passed, gates.format_failures(first)
    again = gates.run_gates("raw", settings, "raw_twice")
    trust = {n for n in suites.raw_assets() if n.startswith("raw__trust__")}
    assert len(trust) == 13
    # the council and HR have loaded nothing here (no ledger rows): their suites always run
    assert again.passed and set(again.unchanged) == trust and not trust & set(again.suites)
    assert "suite(s) not run: passed before, data unchanged" in gates.format_failures(again)

    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        # rows added to raw by other means than the loader: that table's suite runs again
        conn.execute(
            "insert into raw_trust.persons select * from raw_trust.persons where person_id = 'T2'"
        )
        try:
            added = gates.run_gates("raw", settings, "raw_added")
            # a failed suite is not remembered as passed: on the same data it fails again
            still = gates.run_gates("raw", settings, "raw_still")
        finally:
            conn.execute(
                "delete from raw_trust.persons where ctid = (select max(ctid) from "
                "raw_trust.persons where person_id = 'T2')"
            )
        assert not added.passed
        assert "raw__trust__persons" not in added.unchanged
        assert "raw__trust__referrals" in added.unchanged
        assert {f.suite for f in added.blocking_failures} == {"raw__trust__persons"}
        assert not still.passed and trust & set(still.suites) == {"raw__trust__persons"}
        # back to the rows that passed: not run again
        back = gates.run_gates("raw", settings, "raw_back")
        assert back.passed and set(back.unchanged) == trust

        # a replay (the ledger changes): every suite of the system runs again
        conn.execute(
            "update ops.load_ledger set rows_replayed = rows_replayed + 0, updated_at = now()"
        )
        replayed = gates.run_gates("raw", settings, "raw_replayed")
    assert replayed.passed
    assert {"raw__trust__persons", "raw__trust__referrals"} <= set(replayed.suites)
    assert not any(n.startswith("raw__trust__") for n in replayed.unchanged)

    # a changed suite file runs again; --recheck runs everything
    suite_file = settings.expectations_dir / "gx" / "expectations" / "raw__trust__referrals.json"
    suite_file.write_text(suite_file.read_text() + "\n")
    changed = gates.run_gates("raw", settings, "raw_suite_changed")
    assert trust & set(changed.suites) == {"raw__trust__referrals"}
    forced = gates.run_gates("raw", settings, "raw_recheck", recheck=True)
    assert forced.unchanged == [] and set(forced.suites) == set(suites.raw_assets())


def test_raw_gate_tolerates_a_missing_ledger(settings):
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute("alter table ops.load_ledger rename to load_ledger_away")
        try:
            result = gates.run_gates("raw", settings, "raw_no_ledger")
        finally:
            conn.execute("alter table ops.load_ledger_away rename to load_ledger")
    assert result.passed, gates.format_failures(result)
    assert any("ops.load_ledger absent" in s for s in result.skipped)


# ---- mart gates ---------------------------------------------------------------------------------


def test_clean_night_passes_and_publishes(published):
    s = published
    make_mart(s, children=41, open_cases=29)
    before = schema_fingerprint("bi", s)
    started = time.perf_counter()
    outcome = gates.gate_and_publish(s, "clean_night", date(2024, 4, 1))
    TIMINGS["mart gate + publish"] = time.perf_counter() - started
    assert outcome["published"] is True
    assert outcome["warnings"] == 0, outcome["warning_messages"]
    assert count(s, "select count(*) from bi.dim_child") == 41
    assert count(s, "select count(*) from pg_namespace where nspname = 'mart_build'") == 0
    assert schema_fingerprint("bi", s) != before
    assert outcome["data_docs"] and outcome["data_docs"].endswith("index.html")


PROBLEMS = {
    "duplicate_key": (
        "insert into mart_build.dim_child select * from mart_build.dim_child limit 1",
        "child_key is unique in dim_child",
    ),
    "orphan_facts": (
        "update mart_build.fct_cp_plans set child_key = 'no-such-child' where cp_plan_key = "
        "(select min(cp_plan_key) from mart_build.fct_cp_plans)",
        "every child_key of fct_cp_plans is in dim_child",
    ),
    "halved_population": (
        "delete from mart_build.fct_child_month_end where child_key in (select child_key from "
        "mart_build.dim_child order by child_key limit 25); "
        "delete from mart_build.fct_allocations where child_key in (select child_key from "
        "mart_build.dim_child order by child_key limit 25); "
        "delete from mart_build.fct_referrals where child_key in (select child_key from "
        "mart_build.dim_child order by child_key limit 25); "
        "delete from mart_build.fct_cp_plans where child_key in (select child_key from "
        "mart_build.dim_child order by child_key limit 25); "
        "delete from mart_build.fct_cla_episodes where child_key in (select child_key from "
        "mart_build.dim_child order by child_key limit 25); "
        "delete from mart_build.fct_care_periods where child_key in (select child_key from "
        "mart_build.dim_child order by child_key limit 25); "
        "delete from mart_build.dim_child where child_key in (select child_key from "
        "mart_build.dim_child order by child_key limit 25)",
        "key volumes do not fall by half",
    ),
    "open_cases_halve": (
        "update mart_build.fct_child_month_end set is_open_case = false where child_key in "
        "(select child_key from mart_build.fct_child_month_end where is_open_case "
        "and month_end_date = '2024-03-31' order by child_key limit 20)",
        "open cases at the latest month end",
    ),
    "pii_column": (
        "alter table mart_build.dim_team add column surname text",
        "no column that looks like personal data",
    ),
    "pii_values": (
        "update mart_build.dim_team set team_code = '943 476 5919' where team_code = 'T1'",
        "look like NHS numbers or full postcodes",
    ),
    "full_date_of_birth": (
        "update mart_build.dim_child set birth_month = '2015-06-17' where child_key = "
        "(select min(child_key) from mart_build.dim_child)",
        "birth dates are months only",
    ),
    "missing_table": (
        "drop table mart_build.fct_referrals cascade",
        "every table of the BI contract",
    ),
    "dropped_column": (
        "alter table mart_build.dim_child drop column gender_code",
        "no table or column of the published mart is missing",
    ),
    "rate_out_of_range": (
        "update mart_build.fct_scorecard_monthly set value = 140, numerator = 14 "
        "where unit = 'pct' and month_end = '2024-02-29'",
        "scorecard figures in range",
    ),
    "scorecard_gap": (
        "delete from mart_build.fct_scorecard_monthly where month_end = '2024-02-29' "
        "and measure_id = 'unallocated_cases'",
        "the scorecard is complete",
    ),
}


ONE_AT_A_TIME = ["orphan_facts", "halved_population", "pii_column", "duplicate_key"]


def _night_with(s, problems: list[str], night: str) -> tuple[gates.GateFailed, dict]:
    """Build a clean mart, inject the problems, gate: returns the failure and bi before."""
    make_mart(s, children=40, open_cases=30)
    before = schema_fingerprint("bi", s)
    kept_before = kept_builds(s)
    with psycopg.connect(s.conninfo(), autocommit=True) as conn:
        for problem in problems:
            for statement in PROBLEMS[problem][0].split("; "):
                conn.execute(statement)
    with pytest.raises(gates.GateFailed) as failed:
        gates.gate_and_publish(s, night, date(2024, 4, 2))
    message = str(failed.value)
    assert "bi is unchanged" in message
    assert schema_fingerprint("bi", s) == before
    new = kept_builds(s) - kept_before
    assert len(new) == 1 and failed.value.kept in new
    assert count(s, "select count(*) from pg_namespace where nspname = 'mart_build'") == 0
    with psycopg.connect(s.conninfo()) as conn:
        logged = conn.execute(
            "select outcome, kept_schema from ops.publish_log order by publish_id desc limit 1"
        ).fetchone()
    assert logged == ("gate_failed", failed.value.kept)
    return failed.value, before


def _assert_named_blocking(failed: gates.GateFailed, expected: str) -> None:
    lines = [f.line() for f in failed.result.blocking_failures]
    assert any(expected in line for line in lines), str(failed)


@pytest.mark.parametrize("problem", ONE_AT_A_TIME)
def test_mart_gate_stops_the_problem_and_bi_is_unchanged(published, problem):
    failed, _ = _night_with(published, [problem], f"night_{problem}")
    _assert_named_blocking(failed, PROBLEMS[problem][1])
    assert PROBLEMS[problem][1] in str(failed)


def test_mart_gate_names_every_problem_of_a_bad_night(published):
    """The other problems, injected together: each one is named as a blocking failure."""
    problems = [p for p in PROBLEMS if p not in ONE_AT_A_TIME]
    failed, _ = _night_with(published, problems, "night_many_problems")
    for problem in problems:
        _assert_named_blocking(failed, PROBLEMS[problem][1])
    message = str(failed)
    assert "943 476 5919" not in message  # a suspected NHS number is never echoed
    assert "team_code" in message and "birth_month" in message


# ---- the command line ---------------------------------------------------------------------------


def test_cli_validate_and_publish(published, monkeypatch, capsys):
    from csc_warehouse.cli import main

    s = published
    for k, v in s.env.items():
        monkeypatch.setenv(k, v)
    assert main(["validate", "--layer", "mart", "--schema", "bi", "--all", "--run-id", "cli"]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "mart__dim_child" in out
    assert (s.output / "data-docs" / "cli" / "mart-bi" / "index.html").exists()
    make_mart(s, children=40, open_cases=30)
    with psycopg.connect(s.conninfo(), autocommit=True) as conn:
        conn.execute("alter table mart_build.fct_visits add column nhs_number text")
    assert main(["validate", "--layer", "mart"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "personal data" in out and "nhs_number" in out
    before = schema_fingerprint("bi", s)
    assert main(["publish", "--run-id", "cli_publish"]) == 1
    assert "bi is unchanged" in capsys.readouterr().out
    assert schema_fingerprint("bi", s) == before
    assert main(["publish", "--run-id", "cli_publish"]) == 1  # nothing left to publish
    with pytest.raises(SystemExit) as usage:
        main(["validate", "--layer", "nope"])
    assert usage.value.code == 2
    # emergencies: publish without gates, loudly, and the log says so
    make_mart(s, children=40, open_cases=30)
    assert main(["publish", "--skip-gates", "--run-id", "cli_emergency"]) == 0
    assert "WITHOUT THE QUALITY GATES" in capsys.readouterr().out
    with psycopg.connect(s.conninfo()) as conn:
        run = conn.execute("select run_id from ops.publish_log order by publish_id desc").fetchone()
    assert run[0] == "cli_emergency__skip_gates"


def test_gx_never_phones_home(monkeypatch):
    import os

    from csc_warehouse.gates import runner

    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "true")
    runner._gx()
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"
    assert suites.BUILD_SCHEMA == BUILD_SCHEMA
