{#-
    on-run-start: an incremental model kept from night to night (staging, intermediate) whose
    table no longer has exactly the columns its YAML declares - a release changed the model -
    is dropped, so tonight builds it in full instead of failing on on_schema_change='fail'.

    Opt-in with meta `rebuild_when_columns_change: true`: models that are a function of raw
    and can be rebuilt at any time (the staging models, the fingerprint tables).
    int_child_keys is not: its keys must never change silently (docs/identity.md).
    Only models selected for this run are checked; --full-refresh rebuilds them anyway.
-#}
{% macro drop_changed_incremental_tables() %}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return('') }}
    {%- endif -%}
    {%- set dropped = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.unique_id in selected_resources
        and node.config.materialized == 'incremental'
        and node.config.meta.get('rebuild_when_columns_change') -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- if relation is not none -%}
            {%- set columns = adapter.get_columns_in_relation(relation)
                | map(attribute='name') | list -%}
            {%- if columns != (node.columns.keys() | list) -%}
                {%- do adapter.drop_relation(relation) -%}
                {%- do dropped.append(relation | string) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if dropped -%}
        {%- do adapter.commit() -%}
        {#- print, not log: the nightly runs dbt with --quiet and reports this line -#}
        {{ print('rebuilt in full, their columns changed: ' ~ dropped | join(', ')) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
