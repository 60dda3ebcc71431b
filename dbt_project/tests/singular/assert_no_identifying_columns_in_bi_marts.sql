{#-
    The BI contract: no names, NHS numbers, UPNs, full postcodes or full dates of birth in
    the mart schema. Fails for any column of a mart table whose name says it holds one
    (dim_date's calendar names are not personal data and are skipped).
-#}
{#- the same names as the mart gate's (gates/suites.py PII_COLUMN_REGEX): a bare `name` is a
    label (measure_name, team_name), not a person -#}
{%- set identifying = [
    'forename', 'surname', 'first_name', 'last_name', 'full_name', 'given_name',
    'family_name', 'child_name', 'person_name', 'worker_name', 'nhs', 'nhs_number', 'nhs_no',
    'upn', 'dob', 'date_of_birth', 'birth_date', 'postcode', 'household',
    'lead_practitioner', 'username', 'address', 'email',
] -%}

{#- the mart schema: where dim_child is built (the nightly build schema, or analytics) -#}
{%- set mart_schema = ref('dim_child').schema -%}
-- runs after the last mart model, so every BI table is there to be checked:
-- depends_on: {{ ref('fct_scorecard_monthly') }}
select
    mart_columns.table_name,
    mart_columns.column_name
from information_schema.columns as mart_columns
where
    mart_columns.table_schema = '{{ mart_schema }}'
    and mart_columns.table_name not in ('dim_date')
    and mart_columns.column_name ~ '(^|_)({{ identifying | join("|") }})$'
