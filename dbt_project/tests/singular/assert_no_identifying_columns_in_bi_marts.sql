{#-
    The BI contract: no names, NHS numbers, UPNs, full postcodes or full dates of birth in
    the mart schema. Fails for any column of a mart table whose name says it holds one
    (dim_date's calendar names are not personal data and are skipped).
-#}
{%- set identifying = [
    'forename', 'surname', 'name', 'nhs', 'nhs_number', 'nhs_no', 'upn', 'dob',
    'date_of_birth', 'postcode', 'household', 'lead_practitioner', 'username',
] -%}
{#- the mart schema: where dim_child is built (the nightly build schema, or analytics) -#}
{%- set mart_schema = ref('dim_child').schema -%}
select
    mart_columns.table_name,
    mart_columns.column_name
from information_schema.columns as mart_columns
where
    mart_columns.table_schema = '{{ mart_schema }}'
    and mart_columns.table_name not in ('dim_date')
    and mart_columns.column_name ~ '(^|_)({{ identifying | join("|") }})$'
