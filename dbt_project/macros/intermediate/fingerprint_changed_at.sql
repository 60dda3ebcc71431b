{#-
    The select that ends a fingerprint model (int_child_month_end_inputs, int_post_day_inputs):
    one row per key of the CTE `fingerprints` (key_column, inputs_hash) with changed_at, the
    start of the dbt run that first saw this fingerprint. An incremental run keeps the
    previous changed_at while the fingerprint is the same; a full refresh stamps every row
    (the next incremental run of the fact then rebuilds everything: correct, only slower).
-#}
{% macro fingerprint_changed_at(key_column) -%}
    {%- set this_run = "'" ~ run_started_at ~ "'::timestamptz" -%}
    {%- set changed_at = this_run -%}
    {%- set previous = '' -%}
    {%- if is_incremental() -%}
        {%- set changed_at = 'case when previous.inputs_hash = fingerprints.inputs_hash'
            ~ ' then previous.changed_at else ' ~ this_run ~ ' end' -%}
        {%- set previous = 'left join ' ~ this ~ ' as previous on fingerprints.'
            ~ key_column ~ ' = previous.' ~ key_column -%}
    {%- endif -%}
    select
        fingerprints.{{ key_column }}::text as {{ key_column }},
        fingerprints.inputs_hash::text as inputs_hash,
        ({{ changed_at }})::timestamptz as changed_at
    from fingerprints
    {{ previous }}
{%- endmacro %}
