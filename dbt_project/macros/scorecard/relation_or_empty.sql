{#-
    relation_or_empty(relation, empty_select): the relation if it exists in the warehouse,
    else an empty derived table with the columns of `empty_select` (which must select the
    columns the caller uses and return no row). For optional operational tables such as
    ops.load_ledger, absent in a warehouse whose loader has not run yet.
-#}
{% macro relation_or_empty(relation, empty_select) -%}
    {%- if execute and adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier,
    ) is none -%}
        ({{ empty_select }}) as empty_relation
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
