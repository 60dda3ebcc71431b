"""The expectation suites: raw suites generated from the contracts, the mart suite by hand.

Every expectation carries its severity: ``critical`` (blocking: the night stops before
publish) or ``warning`` (published, reported). The choice is made here, beside each
expectation, and written into the suite JSON under ``expectations/gx/expectations/``.

Raw suites validate the newest batch of each raw table (what tonight's load added). Mart
suites validate the build schema (``mart_build``) before it is published; their SQL names the
schema, so validating another schema (a kept failed build, or ``bi``) rewrites it.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from csc_warehouse.contracts import SYSTEMS, load_contract

CRITICAL = "critical"
WARNING = "warning"
MART_SCHEMA_TOKEN = "mart_build"
PII_COLUMN_REGEX = (
    r"(^|_)(forename|surname|first_name|last_name|full_name|worker_name|nhs|nhs_no|"
    r"nhs_number|upn|date_of_birth|dob|postcode|address)($|_)"
)


def raw_asset_name(system: str, table: str) -> str:
    return f"raw__{system}__{table}"


def raw_asset_query(system: str, table: str) -> str:
    """The newest batch of the table (the rows tonight's load added)."""
    rel = f"raw_{system}.{table}"
    return f"select * from {rel} where _batch_id = (select max(_batch_id) from {rel})"


def _sev(expectation, severity: str, why: str):
    expectation.severity = severity
    expectation.meta = {"severity": "blocking" if severity == CRITICAL else "warning", "why": why}
    return expectation


def raw_expectations(system: str, table_name: str) -> list:
    contract = load_contract(system)
    table = contract.tables[table_name]
    keys = table.key_db_names
    out = []
    for key in keys:
        out.append(
            _sev(
                gxe.ExpectColumnValuesToNotBeNull(column=key),
                CRITICAL,
                "a record without its key cannot be tracked",
            )
        )
    unique_cols = list(keys)
    if contract.mode == "delta":
        # a key may legitimately change twice in one night: unique with its LAST_MODIFIED
        unique_cols.append("last_modified")
    if len(unique_cols) == 1:
        out.append(
            _sev(
                gxe.ExpectColumnValuesToBeUnique(column=unique_cols[0]),
                CRITICAL,
                "a duplicated key makes every count downstream wrong",
            )
        )
    else:
        out.append(
            _sev(
                gxe.ExpectCompoundColumnsToBeUnique(column_list=unique_cols),
                CRITICAL,
                "a duplicated key makes every count downstream wrong",
            )
        )
    for column in table.columns:
        if column.type == "code" and column.codes and column.db_name not in keys:
            out.append(
                _sev(
                    gxe.ExpectColumnValuesToBeInSet(
                        column=column.db_name, value_set=list(column.codes)
                    ),
                    WARNING,
                    "the loader quarantines unknown codes; one here means a replay or "
                    "a contract change let it through",
                )
            )
    # row counts consistent with the ledger: raw rows of the batch = rows_loaded (+replayed)
    out.append(
        _sev(
            gxe.UnexpectedRowsExpectation(
                description=f"raw rows of the newest batch match the ledger for {table.file}",
                unexpected_rows_query=(
                    "select l.batch_id, l.rows_raw, b.n from ops.load_ledger as l "
                    "join (select _batch_id, count(*) as n from "
                    f"({raw_asset_query(system, table_name)}) as nb group by _batch_id) as b "
                    "on b._batch_id = l.batch_id "
                    f"where lower(l.table_name) = '{table.name}' and l.status in ('loaded', "
                    "'quarantined', 'replayed') and b.n <> l.rows_raw"
                ),
            ),
            CRITICAL,
            "rows lost or added between the file and raw",
        )
    )
    return out


def raw_cross_checks() -> dict[tuple[str, str], list]:
    """Plausibility across tables: no referral before birth, none in the future."""
    return {
        ("trust", "referrals"): [
            _sev(
                gxe.UnexpectedRowsExpectation(
                    description="no referral before the child's birth or after the extract date",
                    unexpected_rows_query=(
                        "select r.referral_id, r._line_number from "
                        f"({raw_asset_query('trust', 'referrals')}) as r "
                        "join raw_trust.persons as p on p.person_id = r.person_id "
                        "and p._batch_id = r._batch_id "
                        "where to_date(r.referral_date, 'DD/MM/YYYY') "
                        "< to_date(p.dob, 'DD/MM/YYYY') - 280 "
                        "or to_date(r.referral_date, 'DD/MM/YYYY') > r._extract_date"
                    ),
                ),
                WARNING,
                "an impossible date points at a data entry error to correct at source",
            )
        ],
        ("council", "workflow_steps"): [
            _sev(
                gxe.UnexpectedRowsExpectation(
                    description="no step starting after the extract date",
                    unexpected_rows_query=(
                        "select s.step_id, s._line_number from "
                        f"({raw_asset_query('council', 'workflow_steps')}) as s "
                        "where s.started_on::date > s._extract_date"
                    ),
                ),
                WARNING,
                "a future date is a data entry error",
            )
        ],
    }


def raw_suites() -> dict[str, list]:
    """suite name -> expectations, one suite per raw table."""
    suites: dict[str, list] = {}
    cross = raw_cross_checks()
    for system in SYSTEMS:
        for table in load_contract(system).tables:
            name = raw_asset_name(system, table)
            suites[name] = raw_expectations(system, table) + cross.get((system, table), [])
    return suites


# ---- the mart ------------------------------------------------------------------------------
MART_KEYS = {
    "dim_child": "child_key",
    "dim_worker": "worker_key",
    "dim_team": "team_key",
    "dim_date": "date_day",
}
CHILD_FACTS = [
    "fct_referrals",
    "fct_assessments",
    "fct_section47s",
    "fct_cp_plans",
    "fct_cin_plans",
    "fct_cla_episodes",
    "fct_care_periods",
    "fct_allocations",
    "fct_visits",
    "fct_missing",
    "fct_child_month_end",
]


def mart_suites() -> dict[str, list]:
    """suite name (= table in the build schema) -> expectations."""
    s = MART_SCHEMA_TOKEN
    suites: dict[str, list] = {}
    for table, key in MART_KEYS.items():
        suites[table] = [
            _sev(gxe.ExpectColumnValuesToNotBeNull(column=key), CRITICAL, "keys are not null"),
            _sev(gxe.ExpectColumnValuesToBeUnique(column=key), CRITICAL, "keys are unique"),
        ]
    suites["dim_child"] += [
        _sev(
            gxe.UnexpectedRowsExpectation(
                description="the BI schema holds no column that looks like personal data",
                unexpected_rows_query=(
                    "select table_name, column_name from information_schema.columns "
                    f"where table_schema = '{s}' and column_name ~ '{PII_COLUMN_REGEX}' "
                    "and column_name !~ 'postcode_district$' "
                    f"and exists (select 1 from {s}.dim_child limit 1)"
                ),
            ),
            CRITICAL,
            "only pseudonymous keys reach BI",
        ),
        _sev(
            gxe.UnexpectedRowsExpectation(
                description="children do not fall by half or more against the published mart",
                unexpected_rows_query=(
                    "select b.n as build_children, p.n as published_children from "
                    f"(select count(*) as n from {s}.dim_child) as b, "
                    "(select count(*) as n from bi.dim_child) as p "
                    "where to_regclass('bi.dim_child') is not null and b.n < 0.5 * p.n"
                ),
            ),
            CRITICAL,
            "a night where the population halves is a broken night",
        ),
    ]
    suites["fct_child_month_end"] = [
        _sev(
            gxe.UnexpectedRowsExpectation(
                description="open cases at the latest month end do not halve against the "
                "published mart",
                unexpected_rows_query=(
                    "with b as (select count(*) filter (where is_open_case) as n "
                    f"from {s}.fct_child_month_end as x "
                    "where x.month_end_date = (select max(y.month_end_date) "
                    f"from {s}.fct_child_month_end as y)), "
                    "p as (select count(*) filter (where is_open_case) as n "
                    "from bi.fct_child_month_end "
                    "where month_end_date = (select max(month_end_date) "
                    "from bi.fct_child_month_end)) "
                    "select b.n, p.n from b, p where b.n < 0.5 * p.n"
                ),
            ),
            CRITICAL,
            "a night where open cases halve is a broken night",
        ),
    ]
    for fact in CHILD_FACTS:
        suites.setdefault(fact, [])
        suites[fact].append(
            _sev(
                gxe.UnexpectedRowsExpectation(
                    description=f"every child_key of {fact} is in dim_child",
                    unexpected_rows_query=(
                        f"select f.child_key from {s}.{fact} as f "
                        f"left join {s}.dim_child as d on d.child_key = f.child_key "
                        "where d.child_key is null limit 20"
                    ),
                ),
                CRITICAL,
                "orphan facts would silently drop out of every join in BI",
            )
        )
    suites["fct_scorecard_monthly"] = [
        _sev(
            gxe.UnexpectedRowsExpectation(
                description="rates are between 0 and 100 %, counts and caseloads not negative",
                unexpected_rows_query=(
                    f"select measure_id, month_end, value from {s}.fct_scorecard_monthly as x "
                    "where value < 0 or numerator < 0 or "
                    "(unit = 'pct' and (value > 100 or numerator > denominator))"
                ),
            ),
            CRITICAL,
            "an impossible figure must not reach the scorecard",
        ),
        _sev(
            gxe.UnexpectedRowsExpectation(
                description="the scorecard is complete: every measure for every month",
                unexpected_rows_query=(
                    f"with m as (select distinct measure_id from {s}.fct_scorecard_monthly), "
                    f"d as (select distinct month_end from {s}.fct_scorecard_monthly "
                    "where period = 'month') "
                    "select m.measure_id, d.month_end from m cross join d "
                    f"where not exists (select 1 from {s}.fct_scorecard_monthly as x "
                    "where x.measure_id = m.measure_id "
                    "and x.month_end = d.month_end and x.period = 'month')"
                ),
            ),
            WARNING,
            "a missing month leaves a gap in the trend",
        ),
    ]
    return suites
