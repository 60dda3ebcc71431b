{#-
    Helpers of the incremental fct_child_month_end (one row per child per month end).

    On a nightly build (CSC_DBT_SEED_FROM set: the fact starts from the published one) the
    fact rebuilds only
      * the children whose inputs changed since that mart was published
        (int_child_month_end_inputs.changed_at later than ops.publish_log's latest
        publication), every month end of theirs; and
      * the month ends after the last one the mart holds, for every child.
    Anywhere else (an ad-hoc build, no publication yet) every child counts as changed, so an
    incremental run rebuilds the whole table - the same rows as a full refresh.
-#}

{#- The latest publication time (text), or none: then every child is rebuilt. -#}
{% macro child_months_published_at() -%}
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
{%- if result.rows | length == 0 -%}
{{ return(none) }}
{%- endif -%}
{{ return(result.rows[0][0]) }}
{%- endmacro %}

{#- SQL: the inputs row (alias `inputs`) changed since the publication. -#}
{% macro child_months_changed(changed_at_column) -%}
{%- set published_at = child_months_published_at() -%}
{%- if published_at is none -%}
        true
    {%- else -%}
{{ changed_at_column }} > '{{ published_at }}'::timestamptz
{%- endif -%}
{%- endmacro %}

{#-
    SQL filter on an episode-like input: rows that can matter tonight - those of a child to
    rebuild, and those still open after the last month end built (they can be open on a new
    month end). `true` on a full build.
-#}
{% macro child_months_input_scope(child_column, end_column) -%}
{%- if is_incremental() -%}
        (
            {{ child_column }} in (select rebuild.child_id from rebuild)
{%- if end_column %}
                or {{ end_column }} is null
                or {{ end_column }} > (select built_until.month_end_date from built_until)
            {%- endif %}
        )
    {%- else -%}
true
{%- endif -%}
{%- endmacro %}

{#- SQL filter on a (child, month end) pair: a child to rebuild or a new month end. -#}
{% macro child_months_pair_scope(child_column, month_end_column) -%}
{%- if is_incremental() -%}
        (
            {{ child_column }} in (select rebuild.child_id from rebuild)
            or {{ month_end_column }} > (select built_until.month_end_date from built_until)
        )
    {%- else -%}
true
{%- endif -%}
{%- endmacro %}
