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
                {#-
                    The indexes and key constraints are built after the rows are in: one
                    sorted build per index instead of an insert into each per row (at scale 1
                    the three marts took 6 s to copy with their indexes in place).
                -#}
                {%- call statement('seed_' ~ node.alias) -%}
                    create table {{ build }} (like {{ published }} including all excluding indexes);
                    insert into {{ build }} select * from {{ published }};
                    do $seed$
                    declare
                        item record;
                        retargeted text;
                    begin
                        for item in
                            select constraint_row.conname, pg_get_constraintdef(constraint_row.oid) as definition
                            from pg_constraint as constraint_row
                            where constraint_row.conrelid = '{{ published }}'::regclass
                                and constraint_row.contype in ('p', 'u', 'x')
                            order by constraint_row.conname
                        loop
                            execute format('alter table %s add constraint %I %s',
                                '{{ build }}', item.conname, item.definition);
                        end loop;
                        for item in
                            select pg_get_indexdef(index_row.indexrelid) as definition
                            from pg_index as index_row
                            where index_row.indrelid = '{{ published }}'::regclass
                                and not exists (
                                    select 1 from pg_constraint as constraint_row
                                    where constraint_row.conindid = index_row.indexrelid
                                )
                            order by index_row.indexrelid
                        loop
                            retargeted := replace(item.definition,
                                ' ON {{ published.schema }}.{{ published.identifier }} ',
                                ' ON {{ build.schema }}.{{ build.identifier }} ');
                            if retargeted = item.definition then
                                raise exception 'seed_build_from_published: cannot move % to {{ build }}',
                                    item.definition;
                            end if;
                            execute retargeted;
                        end loop;
                    end
                    $seed$;
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
