"""A regional warehouse (CSC_REGION): two authorities generated from the same seed (so their
case systems use the same ids: the hardest case for keeping them apart), one night each in
its own database, and the pooled BI views in the region database. Real Postgres, real
nights (load, gates, dbt build, publish), real postgres_fdw.

Night 1: authority B has a duplicated raw row (a blocking raw gate), so A publishes and B does
not; the regional night says so and exits 1, and the pooled views hold A alone. Then B's row
is put right and the regional DAG runs night 2 for both (`airflow dags test`); the other
tests look at what that published.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import date

import psycopg
import pytest
from psycopg import sql

from csc_warehouse.config import get_settings

NIGHT = date(2025, 6, 30)  # a Monday: every system delivers
NEXT_NIGHT = date(2025, 7, 1)


def _codes() -> tuple[str, str]:
    # two free three-digit codes: a parallel or aborted run never meets these databases
    first = 100 + secrets.randbelow(400) * 2
    return str(first), str(first + 1)


@pytest.fixture(scope="module")
def region(base_settings, tmp_path_factory):
    a, b = _codes()
    tmp = tmp_path_factory.mktemp("region")
    env = {
        **base_settings.env,
        "CSC_REGION": f"{a},{b}",
        "CSC_REGION_DATABASE": f"csc_region_test_{a}",
        "CSC_LANDING": str(tmp / "landing"),
        "CSC_OUTPUT": str(tmp / "output"),
        # the authorities' keys from the environment: the developer's secrets file is not touched
        f"CSC_PSEUDONYM_SECRET_{a}": secrets.token_hex(32),
        f"CSC_PSEUDONYM_SECRET_{b}": secrets.token_hex(32),
        # a short history: the council's first folder is a full extract (a go-live)
        "CSC_LOAD_COUNCIL_FIRST": "2025-06-28",
    }
    settings = get_settings(env)
    databases = [settings.la_database(a), settings.la_database(b), settings.region_database]

    def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        res = subprocess.run(
            [sys.executable, "-m", "csc_warehouse", *args],
            env={**os.environ, **env, "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if check and res.returncode != 0:
            raise AssertionError(f"{args} exited {res.returncode}:\n{res.stdout}\n{res.stderr}")
        return res

    cli("region", "prepare")
    cli(
        "region", "generate", "--scale", "0.01", "--same-seed",
        "--start", "2025-06-28", "--end", NIGHT.isoformat(), "--council-full-first",
    )  # fmt: skip
    # B's folders are loaded, then one HR row is duplicated in its batch: B's raw gate fails
    from csc_warehouse import region as region_mod

    loaded = region_mod.run_authority(
        settings, b, ["load", "--all-pending", "--quiet"], tmp / "logs"
    )
    assert loaded.exit_code == 0, loaded.log.read_text()
    with psycopg.connect(settings.for_la(b).conninfo(), autocommit=True) as conn:
        conn.execute(
            "insert into raw_hr.staff select * from raw_hr.staff where _extract_date = %s limit 1",
            (NIGHT,),
        )
    first = cli("region", "nightly", "--date", NIGHT.isoformat(), "--no-report", check=False)
    yield {"a": a, "b": b, "settings": settings, "cli": cli, "first": first, "env": env}
    with psycopg.connect(base_settings.conninfo("postgres"), autocommit=True) as conn:
        for name in databases:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def _region_rows(settings, query: str, params=()) -> list[tuple]:
    with psycopg.connect(settings.conninfo(settings.region_database)) as conn:
        return conn.execute(query, params).fetchall()


def test_one_authoritys_failed_night_stops_no_other(region):
    a, b, settings, first = region["a"], region["b"], region["settings"], region["first"]
    assert first.returncode == 1, first.stdout + first.stderr
    assert f"{b}: not published" in first.stderr
    status = dict(_region_rows(settings, "select la_code, extract_date from bi.region_authorities"))
    assert status == {a: NIGHT, b: None}
    # the pooled views hold what was published: A only
    assert _region_rows(settings, "select distinct la_code from bi.fct_referrals") == [(a,)]
    assert _region_rows(settings, "select count(*) > 0 from bi.dim_child") == [(True,)]


def test_the_regional_dag_runs_a_night_of_every_authority(region):
    """`airflow dags test csc_region_nightly` for the next night, after B's row is put right."""
    from csc_warehouse.tools import run_airflow

    a, b, settings, cli = region["a"], region["b"], region["settings"], region["cli"]
    # B's duplicated row is put right; the next night (the DAG's) publishes both
    with psycopg.connect(settings.for_la(b).conninfo(), autocommit=True) as conn:
        conn.execute(
            "delete from raw_hr.staff where ctid in (select max(ctid) from raw_hr.staff "
            "where _extract_date = %s group by employee_number having count(*) > 1)",
            (NIGHT,),
        )
    night = NEXT_NIGHT
    cli(
        "region", "generate", "--scale", "0.01", "--same-seed",
        "--start", night.isoformat(), "--end", night.isoformat(),
    )  # fmt: skip
    home = settings.output / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **{k: v for k, v in region["env"].items() if k.startswith("CSC_")},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.output / "cosmos"),
    }
    migrate = run_airflow(["db", "migrate"], settings, capture=True, **env)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    res = run_airflow(
        ["dags", "test", "csc_region_nightly", "2025-07-02T01:30:00+00:00"],
        settings,
        capture=True,
        **env,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-6000:]
    status = dict(_region_rows(settings, "select la_code, extract_date from bi.region_authorities"))
    assert status == {a: night, b: night}
    # each night ran as its authority: its log lines are in the task log, named
    assert f"[{a}] " in out and f"[{b}] " in out


def test_the_pooled_views_keep_the_authorities_apart(region):
    a, b, settings = region["a"], region["b"], region["settings"]

    # same seed: the same population, the same source ids, in both authorities
    counts = dict(_region_rows(settings, "select la_code, count(*) from bi.dim_child group by 1"))
    assert counts[a] == counts[b] > 0
    # ... but no child key in common: each authority has its own pseudonymisation key
    assert _region_rows(
        settings,
        "select count(*) from bi.dim_child as x join bi.dim_child as y "
        "on x.child_key = y.child_key and x.la_code < y.la_code",
    ) == [(0,)]
    # and its own UPNs (the generator's --la-code): the first three characters after the letter
    for la in (a, b):
        with psycopg.connect(settings.for_la(la).conninfo()) as conn:
            prefixes = conn.execute(
                "select distinct substr(upn, 2, 3) from staging.stg_council__people "
                "where upn is not null"
            ).fetchall()
        assert prefixes == [(la,)]

    # every pooled view starts with la_code, except the calendar (the same everywhere, once)
    first_columns = dict(
        _region_rows(
            settings,
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'bi' and ordinal_position = 1 "
            "and table_name <> 'region_authorities'",
        )
    )
    assert len(first_columns) > 30
    assert {t for t, c in first_columns.items() if c != "la_code"} == {"dim_date"}
    days = _region_rows(settings, "select count(*) = count(distinct date_day) from bi.dim_date")
    assert days == [(True,)]
    # the pooled views show each authority's own published rows, no more and no fewer
    for la in (a, b):
        with psycopg.connect(settings.for_la(la).conninfo()) as conn:
            own = conn.execute("select count(*) from bi.fct_referrals").fetchone()[0]
        pooled = _region_rows(
            settings, "select count(*) from bi.fct_referrals where la_code = %s", (la,)
        )
        assert pooled == [(own,)]


def test_each_authoritys_returns_carry_its_own_la_number(region):
    """The monthly returns DAG of an authority builds from its database, with its number."""
    from csc_warehouse.returns import build as returns_build

    b, settings = region["b"], region["settings"]
    result = returns_build.build_current("cin-census", settings.for_la(b))
    xml = next((settings.for_la(b).output / "returns").rglob("*.xml"))
    assert xml.name.startswith(f"cin_census_{b}_")
    assert f"<LEA>{b}</LEA>" in xml.read_text(encoding="utf-8")
    assert result["mart_as_at"] == NEXT_NIGHT.isoformat()


def test_the_region_holds_only_pseudonymous_bi(region):
    a, settings = region["a"], region["settings"]
    schemas = {
        r[0]
        for r in _region_rows(
            settings,
            "select nspname from pg_namespace where nspname !~ '^pg_' "
            "and nspname <> 'information_schema'",
        )
    }
    assert "case_level" not in schemas and "bi" in schemas
    reader = settings.role_password("csc_bi_reader")
    conninfo = settings.conninfo(settings.region_database, role="csc_bi_reader")
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("select count(*) > 0 from bi.fct_referrals").fetchone()[0]
        # the foreign tables behind the views are not the reader's to query
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL("select 1 from {}.dim_child").format(sql.Identifier(f"la_{a}")))
    assert reader is not None


def test_pool_is_idempotent_and_says_what_it_left_out(region):
    a, b, settings, cli = region["a"], region["b"], region["settings"], region["cli"]
    before = _region_rows(
        settings,
        "select table_name, string_agg(column_name, ',' order by ordinal_position) "
        "from information_schema.columns where table_schema = 'bi' group by 1 order by 1",
    )
    cli("region", "pool")
    after = _region_rows(
        settings,
        "select table_name, string_agg(column_name, ',' order by ordinal_position) "
        "from information_schema.columns where table_schema = 'bi' group by 1 order by 1",
    )
    assert after == before
    # a release that reached one authority only: its table is left out of that view, and said
    with psycopg.connect(settings.for_la(b).conninfo(), autocommit=True) as conn:
        conn.execute("alter table bi.fct_contacts add column new_measure integer")
    try:
        res = cli("region", "pool")
        assert f"{b}: bi.fct_contacts" in res.stderr
        assert _region_rows(settings, "select distinct la_code from bi.fct_contacts") in (
            [(a,)],
            [],
        )
        left = dict(_region_rows(settings, "select la_code, left_out from bi.region_authorities"))
        assert left == {a: [], b: ["bi.fct_contacts (its columns differ)"]}
    finally:
        with psycopg.connect(settings.for_la(b).conninfo(), autocommit=True) as conn:
            conn.execute("alter table bi.fct_contacts drop column new_measure")
        cli("region", "pool")


def test_region_settings():
    s = get_settings({"CSC_REGION": "931, 932", "CSC_LANDING": "/l", "CSC_OUTPUT": "/o"})
    assert s.region_las == ("931", "932")
    la = s.for_la("932")
    assert la.pg_database == "csc_la_932"
    assert str(la.landing) == "/l/932" and str(la.output) == "/o/932"
    assert la.la_code == "932" and la.region_las == ()
    with pytest.raises(ValueError, match="not one of CSC_REGION"):
        s.for_la("933")
    with pytest.raises(ValueError, match="three-digit"):
        _ = get_settings({"CSC_REGION": "931,E06000001"}).region_las
    with pytest.raises(ValueError, match="twice"):
        _ = get_settings({"CSC_REGION": "931,931"}).region_las
    with pytest.raises(ValueError, match="three-digit"):
        _ = get_settings({"CSC_LA_CODE": "93"}).la_code


def test_region_commands_need_a_region():
    res = subprocess.run(
        [sys.executable, "-m", "csc_warehouse", "region", "status"],
        env={k: v for k, v in os.environ.items() if k != "CSC_REGION"},
        capture_output=True,
        text=True,
    )
    assert res.returncode == 3
    assert "CSC_REGION is not set" in res.stderr
