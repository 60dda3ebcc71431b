{#-
    The current state of a council delta table (mode delta: every I / U / D row ever
    delivered is kept in raw). Keeps, per key, the latest row by
    (last_modified, _extract_date, _batch_id, _line_number) and drops the key when that row
    is a D (entered in error). So: I then U -> the U's values; I, U, D -> gone; a D for a key
    never inserted -> nothing; I, D, then I again -> present (the re-insert is latest).

    One `distinct on (key)` pass (a sort or an index scan on the key, which the loader
    indexes for council tables); no self-join. Renders a select over the raw columns
    (change_type and last_modified included) for the model to rename.

    table_name (the contract table): read only rows of loaded deliveries (a superseded
    delivery's rows are not the source's any more). incremental_key: in an incremental run
    of the model, only the keys tonight's changes touched (source_increments.sql).
-#}
{% macro collapse_council_deltas(
    source_relation, key_columns, table_name=none, incremental_key=none
) -%}
    {%- if key_columns is string -%}{%- set key_columns = [key_columns] -%}{%- endif -%}
    {%- set newest_first = key_columns + [
        last_modified_sort_key('delta_row.last_modified') ~ ' desc nulls last',
        'delta_row._extract_date desc',
        'delta_row._batch_id desc',
        'delta_row._line_number desc',
    ] -%}
    select latest_row.*
    from (
        select distinct on ({{ key_columns | join(', ') }}) delta_row.*
        from {{ source_relation }} as delta_row
        {{ council_delta_where(table_name, incremental_key) }}
        order by {{ newest_first | join(', ') }}
    ) as latest_row
    where latest_row.change_type is distinct from 'D'
{%- endmacro %}



{#-
    LAST_MODIFIED as a sortable text key: the delivered `yyyy-mm-ddTHH:MM:SS` itself when it
    has that fixed shape (compared in the "C" collation, that orders like the timestamp and
    costs one regex per row), else the value parse_timestamp reads, printed in that shape
    (the expensive path only for odd rows, e.g. unpadded digits). NULL when unreadable
    (sorted last, i.e. as the oldest).
-#}
{% macro last_modified_sort_key(col) -%}
    (
        case
            when ({{ col }}) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$'
                then ({{ col }})::text
            else to_char({{ parse_timestamp(col, 'yyyy-mm-dd') }}, 'YYYY-MM-DD"T"HH24:MI:SS')
        end
    ) collate "C"
{%- endmacro %}
