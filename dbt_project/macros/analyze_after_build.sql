{#-
    Post-hook of every model (dbt_project.yml): statistics for what the build wrote, before
    the next model reads it. A table dbt has just written has none until autovacuum gets to
    it, and the planner then guesses (docs/benchmarks.md, 2026-12-07 afternoon).

    An incremental staging model that took in nothing tonight (macros/staging/
    source_increments.sql: no key touched, or its snapshot unchanged) wrote nothing, and its
    statistics still hold: it is not analyzed again (at scale 1, 0.1-0.4 s a table on every
    night). The pre-hook's temporary tables say so; any other model is analyzed.
-#}
{% macro analyze_after_build() -%}
    {%- set touched = 'pg_temp.' ~ source_batches_temp('touched') -%}
    {%- set changed = 'pg_temp.' ~ source_batches_temp('changed') -%}
    do $analyze$
    declare
        written boolean := true;
    begin
        if to_regclass('{{ touched }}') is not null then
            execute 'select exists (select 1 from {{ touched }})' into written;
        elsif to_regclass('{{ changed }}') is not null then
            execute 'select is_changed from {{ changed }}' into written;
        end if;
        if written then
            execute 'analyze {{ this }}';
        end if;
    end
    $analyze$
{%- endmacro %}
