{#-
    The date the build is "as at": the night being built, not the day dbt happens to run.

    The nightly passes it as the session setting `csc.as_at_date` (PGOPTIONS="-c
    csc.as_at_date=2025-09-29", see csc_warehouse.orchestration.pipeline.as_at_env), not as a
    dbt var: a var that changes every night makes dbt re-parse the whole project every night
    (~10 s, once per cosmos task). `--vars "{as_at_date: ...}"` still wins when given (tests,
    one-off rebuilds); with neither, today.
-#}
{%- macro mart_as_at_date() -%}
    {%- set value = var('as_at_date', none) -%}
    {%- if value -%}
        date '{{ value }}'
    {%- else -%}
        coalesce(nullif(current_setting('csc.as_at_date', true), '')::date, current_date)
    {%- endif -%}
{%- endmacro -%}
