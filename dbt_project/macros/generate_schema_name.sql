{#-
    Schemas are named by layer, not prefixed with the target schema: staging, intermediate,
    reference (seeds) and the mart schema. The mart's schema is the *build* schema during a
    nightly run (write-audit-publish: CSC_DBT_SCHEMA=mart_build_<run>) and is published to
    the BI schema only after the gates pass.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
