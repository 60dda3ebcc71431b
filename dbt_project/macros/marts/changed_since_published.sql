{#-
    What an incremental mart rebuilds on a nightly build: the rows whose inputs changed since
    the mart it starts from was published (CSC_DBT_SEED_FROM set: the build starts from the
    published tables). fct_child_month_end (int_child_month_end_inputs) and fct_post_days
    (int_post_day_inputs) compare their inputs' changed_at with ops.publish_log's latest
    publication. Anywhere else (an ad-hoc build, no publication yet) everything counts as
    changed, so an incremental run rebuilds the whole table: the same rows as a full refresh.
-#}

{#- The latest publication time (text), or none: then everything is rebuilt. -#}
{% macro mart_published_at() -%}
    {%- if not execute or env_var('CSC_DBT_SEED_FROM', '') | trim == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if adapter.get_relation(target.database, 'ops', 'publish_log') is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query(
        "select published_at::text from ops.publish_log where outcome = 'published'"
        ~ " order by publish_id desc limit 1"
    ) -%}
    {{ return(result.rows[0][0] if result.rows | length > 0 else none) }}
{%- endmacro %}


{#- SQL: an inputs row's changed_at is later than the publication. -#}
{% macro changed_since_published(changed_at_column) -%}
    {%- set published_at = mart_published_at() -%}
    {{ return('true' if published_at is none
        else changed_at_column ~ " > '" ~ published_at ~ "'::timestamptz") }}
{%- endmacro %}
