{#-
    Schemas are named by layer, not prefixed with the target schema: staging, intermediate,
    reference (seeds), the mart schema and the case-level schema.

    Write-audit-publish: during a nightly run the marts are built into the *build* schemas
    (CSC_DBT_SCHEMA=mart_build, CSC_DBT_CASE_SCHEMA=case_build); the gates validate them and
    `csc-warehouse publish` swaps them into `bi` and `case_level` in one transaction.
    Ad-hoc builds default to `analytics` and `case_level`.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- elif custom_schema_name | trim == 'case_level' -%}
        {{ env_var('CSC_DBT_CASE_SCHEMA', 'case_level') | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
