"""The expectation suites: raw suites generated from the contracts, mart suites from the model.

This module is the single source of the suites. ``csc-warehouse validate --regenerate-suites``
(``csc_warehouse.gates.runner.write_context``) writes them as JSON into the GX file context
``expectations/gx/expectations/`` (committed); a night only reads the JSON. A test checks that
the committed JSON is what this module generates.

Severity: every expectation is **blocking** (GX ``severity: critical``: the night stops before
publish) or a **warning** (GX ``severity: warning``: published, reported). The choice and its
reason are written beside each expectation here and into its ``meta``::

    {"severity": "blocking" | "warning", "why": "...", "requires": ["ops.load_ledger"]}

``requires`` names relations an expectation reads besides its own table; when one of them is
absent (a fresh warehouse without a ledger, a table not every build has) the expectation is
reported as skipped, never as a failure.

Personal data: no expectation that would show values (``partial_unexpected_list``) is ever
put on a ``pii`` column of a contract; checks that touch those columns are SQL checks that
return batch ids, line numbers and counts only. Raw checks show ``_batch_id``/``_line_number``
of unexpected rows (the checkpoint's ``unexpected_index_column_names``).

SQL text here goes through SQLAlchemy ``text()`` and Python ``str.format`` inside GX: it holds
no ``{`` ``}`` (regex repetition is spelt out) and no ``:name``.
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from dataclasses import dataclass, field

os.environ["GX_ANALYTICS_ENABLED"] = "false"  # before great_expectations is imported

import great_expectations.expectations as gxe  # noqa: E402

from csc_warehouse.contracts import SYSTEMS, load_contract  # noqa: E402

BLOCKING = "critical"  # GX's severity name for a blocking expectation
WARNING = "warning"
BUILD_SCHEMA = "mart_build"  # = csc_warehouse.publish.BUILD_SCHEMA (not imported: no psycopg)
PUBLISHED_SCHEMA = "bi"
RAW_INDEX_COLUMNS = ["_batch_id", "_line_number"]

# ---- helpers ---------------------------------------------------------------------------------


def _sev(expectation, severity: str, why: str, requires: list[str] | None = None):
    expectation.severity = severity
    meta = {"severity": "blocking" if severity == BLOCKING else "warning", "why": why}
    if requires:
        meta["requires"] = sorted(set(requires))
    expectation.meta = meta
    return expectation


def _rows(description: str, query: str, severity: str, why: str, requires=None):
    """An UnexpectedRowsExpectation: the query returns the offending rows (never PII)."""
    if "{" in query or "}" in query:
        raise ValueError(f"no braces in gate SQL (GX formats it): {description}")
    with contextlib.redirect_stdout(io.StringIO()):  # GX prints a note about {batch}
        expectation = gxe.UnexpectedRowsExpectation(
            description=description, unexpected_rows_query=query
        )
    return _sev(
        expectation,
        severity,
        why,
        requires,
    )


def stable_id(suite: str, expectation) -> str:
    """The same expectation keeps its id when the suites are regenerated."""
    cfg = expectation.configuration
    what = cfg.kwargs.get("column") or cfg.kwargs.get("column_list") or expectation.description
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"csc-warehouse/gx/{suite}/{cfg.type}/{what}"))


def _sql_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


# ---- raw layer -------------------------------------------------------------------------------

# Date columns that may lie after the extract date: planned ends and announced leavers/starters.
FUTURE_DATES_ALLOWED = {
    ("hr", "posts", "established_to"),
    ("hr", "staff", "start_date"),
    ("hr", "staff", "leaving_date"),
}
EARLIEST_PLAUSIBLE_DATE = "1900-01-01"
PRE_BIRTH_DAYS = 280  # pre-birth referrals are real: up to 40 weeks before the birth


def raw_asset_name(system: str, table: str) -> str:
    return f"raw__{system}__{table}"


def raw_relation(system: str, table: str) -> str:
    return f"raw_{system}.{table}"


def raw_asset_query(system: str, table: str) -> str:
    """The newest batch of the table: the rows the latest delivery added."""
    rel = raw_relation(system, table)
    return f"select * from {rel} where _batch_id = (select max(_batch_id) from {rel})"


def _parse_date(expr: str) -> str:
    """Raw dates are text as delivered: ISO (council, Excel dates) or dd/mm/yyyy (trust, HR)."""
    return (
        f"(case when {expr} ~ '^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "
        f"then to_date(substr({expr}, 1, 10), 'YYYY-MM-DD') "
        f"when {expr} ~ '^[0-9][0-9]/[0-9][0-9]/[0-9][0-9][0-9][0-9]' "
        f"then to_date(substr({expr}, 1, 10), 'DD/MM/YYYY') end)"
    )


def raw_expectations(system: str, table_name: str) -> list:
    contract = load_contract(system)
    table = contract.tables[table_name]
    keys = table.key_db_names
    pii = {c.db_name for c in table.columns if c.pii}
    if pii & set(keys):
        raise ValueError(f"{system}.{table_name}: a key column is personal data")
    out = []
    for key in keys:
        out.append(
            _sev(
                gxe.ExpectColumnValuesToNotBeNull(column=key, description=f"{key} is never empty"),
                BLOCKING,
                "a record without its key cannot be tracked",
            )
        )
    unique_cols = list(keys)
    if contract.mode == "delta":
        # a delta may carry the same key twice in one night, with different LAST_MODIFIED
        unique_cols.append("last_modified")
    if len(unique_cols) == 1:
        out.append(
            _sev(
                gxe.ExpectColumnValuesToBeUnique(
                    column=unique_cols[0], description=f"{unique_cols[0]} is unique in the batch"
                ),
                BLOCKING,
                "a duplicated key makes every count downstream wrong",
            )
        )
    else:
        out.append(
            _sev(
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=unique_cols,
                    description=f"({', '.join(unique_cols)}) is unique in the batch",
                ),
                BLOCKING,
                "a duplicated key makes every count downstream wrong",
            )
        )
    for column in table.columns:
        if column.type == "code" and column.codes and column.db_name not in keys:
            if column.pii:
                continue  # never list values of personal data
            out.append(
                _sev(
                    gxe.ExpectColumnValuesToBeInSet(
                        column=column.db_name,
                        value_set=list(column.codes),
                        description=f"{column.db_name} holds a code of the contract",
                    ),
                    WARNING,
                    "the loader quarantines unknown codes; one here means a replay or a "
                    "contract change let it through",
                )
            )
    dates = [c for c in table.columns if c.type in ("date", "timestamp")]
    if dates:
        values = ", ".join(
            f"('{c.db_name}', {_parse_date('r.' + c.db_name)}, "
            f"{'false' if (system, table_name, c.db_name) in FUTURE_DATES_ALLOWED else 'true'})"
            for c in dates
        )
        out.append(
            _rows(
                "dates are plausible: none after the extract date (planned ends and HR "
                f"start/leaving dates excepted), none before {EARLIEST_PLAUSIBLE_DATE}",
                "select r._batch_id, r._line_number, v.column_name, "
                "case when v.d < date '"
                + EARLIEST_PLAUSIBLE_DATE
                + "' then 'before "
                + EARLIEST_PLAUSIBLE_DATE
                + "' else 'after the extract date' end as problem "
                f"from ({raw_asset_query(system, table_name)}) as r "
                f"cross join lateral (values {values}) as v(column_name, d, no_future) "
                f"where v.d < date '{EARLIEST_PLAUSIBLE_DATE}' "
                "or (v.no_future and v.d > r._extract_date)",
                WARNING,
                "an impossible date is a data entry error to correct at source",
            )
        )
    rel = raw_relation(system, table_name)
    out.append(
        _rows(
            f"raw rows of the newest loaded batch match the ledger for {table.file}"
            + (f" ({table.sheet})" if table.sheet else ""),
            "with l as (select batch_id, rows_raw from ops.load_ledger "
            f"where system = '{system}' and table_name = '{table_name}' "
            "and status in ('loaded', 'quarantined', 'replayed') "
            "order by batch_id desc limit 1) "
            "select l.batch_id, l.rows_raw as ledger_rows, "
            f"(select count(*) from {rel} as r where r._batch_id = l.batch_id) as raw_rows "
            "from l where l.rows_raw <> "
            f"(select count(*) from {rel} as r where r._batch_id = l.batch_id) "
            "union all "
            "select r._batch_id, null, count(*) "
            f"from ({raw_asset_query(system, table_name)}) as r "
            "where not exists (select 1 from ops.load_ledger as x "
            f"where x.batch_id = r._batch_id and x.table_name = '{table_name}') "
            "group by r._batch_id",
            BLOCKING,
            "rows lost or added between the file and raw",
            requires=["ops.load_ledger"],
        )
    )
    return out


def raw_cross_checks() -> dict[tuple[str, str], list]:
    """Plausibility across tables: no referral before the child's birth (less 40 weeks)."""
    council_people = (
        "select distinct on (person_id) person_id, date_of_birth from raw_council.people "
        "where change_type <> 'D' order by person_id, last_modified desc, _batch_id desc, "
        "_line_number desc"
    )
    why = "an impossible date is a data entry error to correct at source"
    return {
        ("trust", "referrals"): [
            _rows(
                "no referral before the child's birth (pre-birth referrals up to 40 weeks)",
                "select r._batch_id, r._line_number, r.referral_id from "
                f"({raw_asset_query('trust', 'referrals')}) as r "
                "join raw_trust.persons as p on p.person_id = r.person_id "
                "and p._batch_id = r._batch_id "
                f"where {_parse_date('r.referral_date')} "
                f"< {_parse_date('p.dob')} - {PRE_BIRTH_DAYS}",
                WARNING,
                why,
            )
        ],
        ("council", "workflow_steps"): [
            _rows(
                "no referral step before the child's birth (pre-birth referrals up to 40 weeks)",
                "select s._batch_id, s._line_number, s.step_id from "
                f"({raw_asset_query('council', 'workflow_steps')}) as s "
                f"join ({council_people}) as p on p.person_id = s.person_id "
                "where s.step_type = 'REF' "
                f"and {_parse_date('s.started_on')} "
                f"< {_parse_date('p.date_of_birth')} - {PRE_BIRTH_DAYS}",
                WARNING,
                why,
            )
        ],
    }


def raw_suites() -> dict[str, list]:
    """suite name -> expectations, one suite per raw table (every table of every contract)."""
    suites: dict[str, list] = {}
    cross = raw_cross_checks()
    for system in SYSTEMS:
        for table in load_contract(system).tables:
            name = raw_asset_name(system, table)
            suites[name] = raw_expectations(system, table) + cross.get((system, table), [])
    return suites


def raw_assets() -> dict[str, str]:
    """asset name -> query (the newest batch of each raw table)."""
    return {
        raw_asset_name(system, table): raw_asset_query(system, table)
        for system in SYSTEMS
        for table in load_contract(system).tables
    }


def raw_table_of(asset_name: str) -> tuple[str, str]:
    _, system, table = asset_name.split("__")
    return system, table


# ---- mart layer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MartTable:
    """What the gates know of a BI table: its grain and its references."""

    key: tuple[str, ...]
    # column -> (parent table, parent column, severity)
    refs: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # documented in docs/data-model.md: must be in every build (False: validated when present)
    required: bool = True


def _child(extra: dict | None = None) -> dict[str, tuple[str, str, str]]:
    refs = {"child_key": ("dim_child", "child_key", BLOCKING)}
    refs.update(extra or {})
    return refs


_TEAM = {"team_key": ("dim_team", "team_key", BLOCKING)}
_REFERRAL = {"referral_key": ("fct_referrals", "referral_key", WARNING)}

# The BI contract's tables (docs/data-model.md, "Marts"), their grain and references. A table
# with required=False is validated when the build has it (fct_scorecard_monthly, and models
# the data model does not list).
MART_TABLES: dict[str, MartTable] = {
    "dim_child": MartTable(("child_key",)),
    "dim_worker": MartTable(
        ("worker_key",), {**_TEAM, "post_key": ("dim_post", "post_key", BLOCKING)}
    ),
    "dim_team": MartTable(("team_key",)),
    "dim_date": MartTable(("date_day",)),
    "dim_post": MartTable(("post_key",), dict(_TEAM)),
    "dim_foster_carer": MartTable(
        ("carer_key",),
        {"supervising_worker_key": ("dim_worker", "worker_key", BLOCKING)},
        required=False,
    ),
    "fct_referrals": MartTable(("referral_key",), _child(_TEAM)),
    "fct_assessments": MartTable(("assessment_key",), _child({**_REFERRAL, **_TEAM})),
    "fct_section47s": MartTable(("s47_key",), _child(_REFERRAL)),
    "fct_cp_plans": MartTable(("cp_plan_key",), _child(_REFERRAL)),
    "fct_cp_reviews": MartTable(
        ("cp_review_key",), _child({"cp_plan_key": ("fct_cp_plans", "cp_plan_key", WARNING)})
    ),
    "fct_cin_plans": MartTable(("cin_plan_key",), _child(_REFERRAL)),
    "fct_cla_episodes": MartTable(
        ("episode_key",),
        _child({"care_period_key": ("fct_care_periods", "care_period_key", WARNING)}),
    ),
    "fct_care_periods": MartTable(("care_period_key",), _child()),
    "fct_placements": MartTable(
        ("placement_key",),
        _child({"carer_key": ("dim_foster_carer", "carer_key", BLOCKING)}),
        required=False,
    ),
    "fct_allocations": MartTable(
        ("allocation_segment_key",),
        _child(
            {
                "worker_key": ("dim_worker", "worker_key", BLOCKING),
                "allocated_worker_key": ("dim_worker", "worker_key", BLOCKING),
                **_TEAM,
            }
        ),
    ),
    "fct_visits": MartTable(
        ("visit_key",), _child({"worker_key": ("dim_worker", "worker_key", BLOCKING)})
    ),
    "fct_missing": MartTable(("missing_key",), _child()),
    "fct_contacts": MartTable(("contact_key",), _child({**_TEAM, **_REFERRAL})),
    "fct_early_help": MartTable(
        ("early_help_key",),
        _child({**_TEAM, "contact_key": ("fct_contacts", "contact_key", WARNING)}),
    ),
    "fct_cwd_involvements": MartTable(("cwd_involvement_key",), _child(_TEAM)),
    "fct_ehcps": MartTable(("ehcp_key",), _child()),
    "fct_transition_plans": MartTable(("transition_plan_key",), _child(_TEAM)),
    "fct_post_days": MartTable(
        ("post_key", "date_day"), {"post_key": ("dim_post", "post_key", BLOCKING), **_TEAM}
    ),
    "fct_child_month_end": MartTable(
        ("child_key", "month_end_date"),
        _child({**_TEAM, "allocated_worker_key": ("dim_worker", "worker_key", BLOCKING)}),
    ),
    "fct_scorecard_monthly": MartTable(
        ("measure_id", "breakdown", "month_end", "period"), required=False
    ),
}
REQUIRED_TABLES = [t for t, spec in MART_TABLES.items() if spec.required]

# Column names that are personal data wherever they appear (the BI contract: no names, NHS
# numbers, UPNs, full postcodes or full dates of birth; a postcode *district* is allowed).
# A bare "name" is not in the list: BI rightly holds month_name, measure_name and the like.
PII_COLUMN_REGEX = (
    "(^|_)(forename|surname|first_name|last_name|full_name|given_name|family_name|"
    "middle_name|preferred_name|worker_name|child_name|person_name|nhs|nhs_no|nhs_number|"
    "upn|former_upn|uln|date_of_birth|dob|birth_date|postcode|post_code|address|email|"
    "phone|telephone|mobile)($|_)"
)
PII_COLUMN_ALLOWED_REGEX = "(postcode_district|post_code_district)$"
# Values: NHS numbers (10 digits, or 3-3-4), full UK postcodes. Spelt without braces.
NHS_NUMBER_REGEX = "^[0-9][0-9][0-9] ?[0-9][0-9][0-9] ?[0-9][0-9][0-9][0-9]$"  # 10 digits or 3 3 4
FULL_POSTCODE_REGEX = "^[A-Za-z][A-Za-z]?[0-9][A-Za-z0-9]? ?[0-9][A-Za-z][A-Za-z]$"
PII_SAMPLE_ROWS = 5000

# Volumes compared with the published mart: (label, table, filter). A night where one of them
# falls by half or more is stopped; a move of more than VOLUME_WARN_CHANGE is reported.
VOLUME_CHECKS = [
    ("children", "dim_child", None),
    ("referrals", "fct_referrals", None),
    ("CP plans", "fct_cp_plans", None),
    ("CLA episodes", "fct_cla_episodes", None),
    ("allocations", "fct_allocations", None),
    (
        "open cases at the latest month end",
        "fct_child_month_end",
        "is_open_case and month_end_date = (select max(month_end_date) from {rel})",
    ),
]
VOLUME_BLOCK_BELOW = 0.5
VOLUME_WARN_CHANGE = 0.1
VOLUME_MIN_PUBLISHED = 10  # tiny counts move by half on their own


def mart_asset_name(table: str) -> str:
    return f"mart__{table}"


SCHEMA_SUITE = "mart__schema"


def mart_asset_query(table: str, schema: str = BUILD_SCHEMA) -> str:
    return f"select * from {schema}.{table}"


def schema_asset_query(schema: str = BUILD_SCHEMA) -> str:
    return (
        "select table_name, column_name, data_type from information_schema.columns "
        f"where table_schema = '{schema}'"
    )


def mart_assets(schema: str = BUILD_SCHEMA) -> dict[str, str]:
    assets = {SCHEMA_SUITE: schema_asset_query(schema)}
    for table in MART_TABLES:
        assets[mart_asset_name(table)] = mart_asset_query(table, schema)
    return assets


def _count_sql(relation: str, condition: str | None) -> str:
    """A count as an expression, evaluated only when the relation exists (query_to_xml)."""
    where = f" where {condition.replace('{rel}', relation)}" if condition else ""
    inner = f"select count(*) as n from {relation}{where}".replace("'", "''")
    return (
        f"case when to_regclass('{relation}') is not null then "
        f"(xpath('/row/n/text()', query_to_xml('{inner}', true, true, '')))[1]::text::bigint "
        "end"
    )


def _volume_query(schema: str, fall_below: float | None, change: float | None) -> str:
    rows = []
    for label, table, condition in VOLUME_CHECKS:
        rows.append(
            f"select '{label}' as volume, {_count_sql(f'{schema}.{table}', condition)} as build, "
            f"{_count_sql(f'{PUBLISHED_SCHEMA}.{table}', condition)} as published"
        )
    test = (
        f"v.build < {fall_below} * v.published"
        if fall_below is not None
        else f"abs(v.build - v.published) > {change} * v.published"
    )
    return (
        "select v.volume, v.build, v.published from ("
        + " union all ".join(rows)
        + f") as v where v.published >= {VOLUME_MIN_PUBLISHED} and {test}"
    )


def _pii_values_query(schema: str) -> str:
    """Text columns whose sampled values look like NHS numbers or full postcodes, and
    date columns named like a birth date that hold a day other than the 1st."""
    sample = (
        "'select count(*) as n from (select ' || quote_ident(c.column_name) || ' as v from ' "
        "|| quote_ident(c.table_schema) || '.' || quote_ident(c.table_name) "
        f"|| ' limit {PII_SAMPLE_ROWS}) as s where "
    )
    text_test = f"v ~ ''{NHS_NUMBER_REGEX}'' or v ~ ''{FULL_POSTCODE_REGEX}'''"
    date_test = "extract(day from v) <> 1'"
    return (
        "select x.table_name, x.column_name, x.kind, x.n as sampled_rows_matching from ("
        "select c.table_name, c.column_name, "
        "case when c.data_type = 'date' then 'full date of birth' "
        "else 'NHS number or full postcode' end as kind, "
        "(xpath('/row/n/text()', query_to_xml("
        "case when c.data_type = 'date' then " + sample + date_test + " "
        "else " + sample + text_test + " end"
        ", true, true, '')))[1]::text::bigint as n "
        "from information_schema.columns as c "
        f"join information_schema.tables as t on t.table_schema = c.table_schema "
        "and t.table_name = c.table_name and t.table_type = 'BASE TABLE' "
        f"where c.table_schema = '{schema}' and ("
        "c.data_type in ('text', 'character varying', 'character') "
        "or (c.data_type = 'date' and c.column_name ~ 'birth|dob'))"
        ") as x where x.n > 0"
    )


def schema_expectations(schema: str = BUILD_SCHEMA) -> list:
    s, bi = schema, PUBLISHED_SCHEMA
    return [
        _rows(
            "every table of the BI contract (docs/data-model.md) is in the build",
            "select t.table_name from (values "
            + ", ".join(f"({_sql_list([r])})" for r in REQUIRED_TABLES)
            + ") as t(table_name) where not exists (select 1 from information_schema.tables as x "
            f"where x.table_schema = '{s}' and x.table_name = t.table_name)",
            BLOCKING,
            "a missing model would silently empty a BI report",
        ),
        _rows(
            "no table or column of the published mart is missing from the build",
            "select p.table_name, p.column_name from information_schema.columns as p "
            f"where p.table_schema = '{bi}' and not exists (select 1 from "
            "information_schema.columns as b "
            f"where b.table_schema = '{s}' and b.table_name = p.table_name "
            "and b.column_name = p.column_name)",
            BLOCKING,
            "the BI contract: nothing changes shape without a version bump",
        ),
        _rows(
            "no column of the published mart changes its data type",
            "select p.table_name, p.column_name, p.data_type as published_type, "
            "b.data_type as build_type from information_schema.columns as p "
            "join information_schema.columns as b on b.table_name = p.table_name "
            f"and b.column_name = p.column_name and b.table_schema = '{s}' "
            f"where p.table_schema = '{bi}' and b.data_type <> p.data_type",
            WARNING,
            "a changed type can break a BI report; dbt contracts should have caught it",
        ),
        _rows(
            "the BI schema holds no column that looks like personal data",
            "select table_name, column_name from information_schema.columns "
            f"where table_schema = '{s}' and column_name ~* '{PII_COLUMN_REGEX}' "
            f"and column_name !~* '{PII_COLUMN_ALLOWED_REGEX}'",
            BLOCKING,
            "only pseudonymous keys reach BI (no names, NHS numbers, UPNs, postcodes, "
            "dates of birth)",
        ),
        _rows(
            "no text column holds values that look like NHS numbers or full postcodes, and "
            f"birth dates are months only (first {PII_SAMPLE_ROWS} rows of each column)",
            _pii_values_query(s),
            BLOCKING,
            "personal data under an innocent column name must not reach BI",
        ),
        _rows(
            "key volumes do not fall by half or more against the published mart",
            _volume_query(s, VOLUME_BLOCK_BELOW, None),
            BLOCKING,
            "a night where the population or open cases halve is a broken night",
        ),
        _rows(
            f"key volumes move by no more than {VOLUME_WARN_CHANGE:.0%} against the published mart",
            _volume_query(s, None, VOLUME_WARN_CHANGE),
            WARNING,
            "a large move overnight is worth a look before people act on it",
        ),
        _rows(
            "children and dates are not empty",
            f"select t.table_name from (values ('dim_child'), ('dim_date')) as t(table_name) "
            f"where to_regclass('{s}.' || t.table_name) is not null and "
            "(xpath('/row/n/text()', query_to_xml('select count(*) as n from (select 1 from "
            f"{s}.' || t.table_name || ' limit 1) as x', true, true, '')))[1]::text::int = 0",
            BLOCKING,
            "an empty dimension empties every report",
        ),
    ]


def _key_expectations(table: str, key: tuple[str, ...]) -> list:
    out = [
        _sev(
            gxe.ExpectColumnValuesToNotBeNull(column=k, description=f"{k} is never empty"),
            BLOCKING,
            "a row without its key cannot be joined",
        )
        for k in key
    ]
    if len(key) == 1:
        out.append(
            _sev(
                gxe.ExpectColumnValuesToBeUnique(
                    column=key[0], description=f"{key[0]} is unique in {table}"
                ),
                BLOCKING,
                "a duplicated key double-counts in every BI report",
            )
        )
    else:
        out.append(
            _sev(
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=list(key),
                    description=f"({', '.join(key)}) is unique in {table}",
                ),
                BLOCKING,
                "a duplicated key double-counts in every BI report",
            )
        )
    return out


def mart_suites(schema: str = BUILD_SCHEMA) -> dict[str, list]:
    """suite name -> expectations: the schema suite and one suite per BI table."""
    s = schema
    suites: dict[str, list] = {SCHEMA_SUITE: schema_expectations(s)}
    for table, spec in MART_TABLES.items():
        exps = _key_expectations(table, spec.key)
        for column, (parent, parent_column, severity) in spec.refs.items():
            if parent == table:
                continue
            exps.append(
                _rows(
                    f"every {column} of {table} is in {parent}",
                    f"select f.{column}, count(*) as n from {s}.{table} as f "
                    f"where f.{column} is not null and not exists (select 1 from "
                    f"{s}.{parent} as p where p.{parent_column} = f.{column}) "
                    f"group by f.{column}",
                    severity,
                    "orphan facts drop out of every BI join"
                    if severity == BLOCKING
                    else "a fact pointing at a missing episode loses its context",
                    requires=[f"{s}.{parent}"],
                )
            )
        suites[mart_asset_name(table)] = exps
    suites[mart_asset_name("fct_child_month_end")].append(
        _rows(
            "counts of the child month end are not negative",
            "select child_key, month_end_date from "
            f"{s}.fct_child_month_end where unallocated_working_days < 0 "
            "or social_worker_count_12m < 0 or placement_count_12m < 0 or age_years < 0",
            BLOCKING,
            "an impossible figure must not reach BI",
        )
    )
    sc = f"{s}.fct_scorecard_monthly"
    suites[mart_asset_name("fct_scorecard_monthly")] += [
        _rows(
            "scorecard figures in range: percentages within 0-100 with numerator <= "
            "denominator, counts, days and caseloads not negative",
            f"select measure_id, breakdown, month_end, period, value from {sc} "
            "where value < 0 or numerator < 0 or denominator < 0 "
            "or (unit = 'pct' and (value > 100 or numerator > denominator))",
            BLOCKING,
            "an impossible figure must not reach the scorecard",
        ),
        _rows(
            "the scorecard is complete: every measure and breakdown for every month end and period",
            "with k as (select distinct measure_id, breakdown, period from "
            f"{sc}), "
            "m as (select (date_trunc('month', d) + interval '1 month' - interval '1 day')::date "
            f"as month_end from generate_series((select min(month_end) from {sc}), "
            f"(select max(month_end) from {sc}), interval '1 month') as d) "
            "select k.measure_id, k.breakdown, k.period, m.month_end from k cross join m "
            f"where not exists (select 1 from {sc} as x where x.measure_id = k.measure_id "
            "and x.breakdown = k.breakdown and x.period = k.period "
            "and x.month_end = m.month_end) order by m.month_end, k.measure_id",
            BLOCKING,
            "a gap in the scorecard is a wrong report for the director and scrutiny",
        ),
        _rows(
            "every measure with a target (seed scorecard_targets) is in the scorecard",
            "select t.measure_id from reference.scorecard_targets as t "
            f"where not exists (select 1 from {sc} as x where x.measure_id = t.measure_id)",
            WARNING,
            "a measure the service set a target for is missing from the report",
            requires=["reference.scorecard_targets"],
        ),
    ]
    return suites


def all_suites(schema: str = BUILD_SCHEMA) -> dict[str, dict[str, list]]:
    """layer -> suite name -> expectations."""
    return {"raw": raw_suites(), "mart": mart_suites(schema)}


def suite_table(suite_name: str) -> str | None:
    """The table a mart suite validates (None for the schema suite)."""
    if suite_name == SCHEMA_SUITE:
        return None
    return suite_name.removeprefix("mart__")
