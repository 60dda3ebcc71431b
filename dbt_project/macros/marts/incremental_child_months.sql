{#-
    Helpers of the incremental fct_child_month_end (one row per child per month end).

    On a nightly build (CSC_DBT_SEED_FROM set: the fact starts from the published one) the
    fact rebuilds only
      * the children whose inputs changed since that mart was published
        (int_child_month_end_inputs.changed_at later than ops.publish_log's latest
        publication), every month end of theirs; and
      * the month ends after the last one the mart holds, for every child.
    Anywhere else (an ad-hoc build, no publication yet) every child counts as changed, so an
    incremental run rebuilds the whole table - the same rows as a full refresh
    (changed_since_published.sql).
-#}

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
