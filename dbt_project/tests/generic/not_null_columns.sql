{#-
    Every listed column is NOT NULL: one test per model (or seed, or source table) instead of
    one `not_null` per column. Each dbt test is a node with its own compile, query and result,
    and the project's ~350 per-column not_null tests were ~3 s of every build on any data;
    this reads the relation once. A failure returns one row per column that has NULLs, with
    how many (`dbt test --store-failures` keeps them).
-#}
{% test not_null_columns(model, columns) %}

select
    nulls.column_name,
    nulls.null_rows
from (
    select
        -- count(*) filter (where <column> is null) for each column, in order
        array[
            count(*) filter (where {{ columns | join(" is null), count(*) filter (where ") }} is null)
        ] as null_counts
    from {{ model }}
) as counted
cross join lateral unnest(
    array['{{ columns | join("', '") }}'],
    counted.null_counts
) as nulls (column_name, null_rows)
where nulls.null_rows > 0

{% endtest %}
