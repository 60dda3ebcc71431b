{#-
    Write-audit-publish with incremental marts.

    The nightly build lands in empty build schemas (mart_build, case_build), so an incremental
    mart would have no base and be rebuilt from the whole history every night. This on-run-start
    hook gives each incremental model of a build schema the state BI has tonight: a copy of
    its published table (bi, case_level), so the model then merges only what changed.

    CSC_DBT_SEED_FROM names the pairs, "build:published,build:published" (set by
    csc_warehouse.publish.build_env(); absent for ad-hoc builds, which do nothing here).
    A model is seeded only when
      * its build table does not exist yet (idempotent: each cosmos layer task runs the hook),
      * the run is not --full-refresh, and the model allows incremental runs,
      * its published table exists with exactly the columns the model declares (a release
        that changes a mart's columns rebuilds that mart in full, with no error).
    The copy keeps the published table's indexes and comments; dbt's relation cache learns
    of it, so the incremental materialisation sees an existing table.
-#}
{% macro seed_build_from_published() %}
    {%- set pairs = env_var('CSC_DBT_SEED_FROM', '') | trim -%}
    {%- if not execute or pairs == '' or flags.FULL_REFRESH -%}
        {{ return('') }}
    {%- endif -%}
    {%- set published_for = {} -%}
    {%- for pair in pairs.split(',') -%}
        {%- set parts = pair.split(':') -%}
        {%- do published_for.update({parts[0] | trim: parts[1] | trim}) -%}
    {%- endfor -%}
    {%- set seeded = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.config.materialized == 'incremental'
        and node.schema in published_for
        and node.config.full_refresh is not false -%}
        {%- set build = api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias, type='table'
        ) -%}
        {%- set published = api.Relation.create(
            database=node.database, schema=published_for[node.schema],
            identifier=node.alias, type='table'
        ) -%}
        {%- if adapter.get_relation(build.database, build.schema, build.identifier) is none -%}
            {%- set columns = adapter.get_columns_in_relation(published) | map(attribute='name')
                | list -%}
            {%- if columns and columns == (node.columns.keys() | list) -%}
                {%- call statement('seed_' ~ node.alias) -%}
                    create table {{ build }} (like {{ published }} including all);
                    insert into {{ build }} select * from {{ published }};
                    analyze {{ build }};
                {%- endcall -%}
                {%- do adapter.cache_added(build) -%}
                {%- do seeded.append(build | string) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if seeded -%}
        {%- do adapter.commit() -%}
        {#- print, not log: the nightly runs dbt with --quiet and reports this line -#}
        {{ print('seeded from the published mart: ' ~ seeded | join(', ')) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
