{#-
    History of a source table across nights, from the append-only raw layer (the warehouse's
    equivalent of dbt snapshots: raw keeps every delivered row, so the history can be rebuilt
    at any time, backfills included). One row per version of a record:

      valid_from   the extract date of the night the version was delivered
      valid_to     the extract date of the night it was replaced, deleted or (trust) missing
                   from the snapshot; NULL while it is current
      version_number  1, 2, ... per key

    "As known on D": valid_from <= D and (valid_to is null or valid_to > D), and for council
    tables not is_deleted. Two versions delivered the same night give a zero-length version
    (valid_from = valid_to) that no date selects.
-#}

{#- council (mode delta): every I / U / D row is a version, in the order collapse uses -#}
{#- table_name / incremental_key: as collapse_council_deltas -#}
{% macro council_delta_versions(
    source_relation, key_columns, table_name=none, incremental_key=none
) -%}
    {%- if key_columns is string -%}{%- set key_columns = [key_columns] -%}{%- endif -%}
    {%- set keys = key_columns | join(', ') -%}
    {%- set version_order = [
        last_modified_sort_key('delta_row.last_modified'),
        'delta_row._extract_date',
        'delta_row._batch_id',
        'delta_row._line_number',
    ] | join(', ') -%}
    select
        delta_row.*,
        coalesce(delta_row.change_type = 'D', false) as is_deleted,
        delta_row._extract_date as valid_from,
        {#- a version delivered late but older (LAST_MODIFIED) than the current one never
            becomes current: it lasts no time -#}
        case
            when lead(delta_row._extract_date) over version_window is not null
                then greatest(
                    delta_row._extract_date, lead(delta_row._extract_date) over version_window
                )
        end as valid_to,
        row_number() over version_window as version_number
    from {{ source_relation }} as delta_row
    {{ council_delta_where(table_name, incremental_key) }}
    window version_window as (partition by {{ keys }} order by {{ version_order }})
{%- endmacro %}


{#-
    trust (full snapshots): a version starts when a key first appears, when its values change
    between two snapshots, or when it comes back after missing from one; it ends at the next
    version or at the first snapshot the key is missing from. Of two deliveries of one night
    the newer batch counts. compare_columns: the delivered columns whose change makes a version.
-#}
{#- only_when_changed: as latest_snapshot's, with snapshot_prepare(..., every_batch=true) -#}
{% macro snapshot_versions(
    source_relation, key_columns, compare_columns, only_when_changed=false
) -%}
    {%- if key_columns is string -%}{%- set key_columns = [key_columns] -%}{%- endif -%}
    {%- set keys = key_columns | join(', ') -%}
    with

    snapshot_batches as (
        select distinct on (batch_row._extract_date)
            batch_row._extract_date,
            batch_row._batch_id
        from {{ source_relation }} as batch_row
        where {{ snapshot_changed() if only_when_changed else 'true' }}
        order by batch_row._extract_date, batch_row._batch_id desc
    ),

    snapshots as (
        select
            _extract_date,
            _batch_id,
            row_number() over (order by _extract_date) as snapshot_number,
            lead(_extract_date) over (order by _extract_date) as next_extract_date
        from snapshot_batches
    ),

    snapshot_rows as (
        select
            snapshot_row.*,
            snapshots.snapshot_number,
            md5(row({{ compare_columns | join(', ') }})::text) as row_hash
        from {{ source_relation }} as snapshot_row
        inner join snapshots
            on
                snapshot_row._extract_date = snapshots._extract_date
                and snapshot_row._batch_id = snapshots._batch_id
    ),

    {#- islands: consecutive snapshots holding the key share one #}
    islands as (
        select
            snapshot_rows.*,
            snapshot_rows.snapshot_number - row_number() over (
                partition by {{ keys }} order by snapshot_rows.snapshot_number
            ) as island
        from snapshot_rows
    ),

    previous as (
        select
            islands.*,
            lag(islands.row_hash) over (
                partition by {{ keys }}, islands.island order by islands.snapshot_number
            ) as previous_hash
        from islands
    ),

    changes as (
        select
            previous.*,
            case when previous.previous_hash = previous.row_hash then 0 else 1 end
                as is_version_start
        from previous
    ),

    numbered as (
        select
            changes.*,
            sum(is_version_start) over (
                partition by {{ keys }} order by snapshot_number
                rows between unbounded preceding and current row
            ) as version_number
        from changes
    ),

    versions as (
        select
            numbered.*,
            max(snapshot_number) over (
                partition by {{ keys }}, version_number
            ) as last_snapshot_number
        from numbered
    )

    select
        versions.*,
        versions._extract_date as valid_from,
        last_snapshot.next_extract_date as valid_to
    from versions
    inner join snapshots as last_snapshot
        on versions.last_snapshot_number = last_snapshot.snapshot_number
    where versions.is_version_start = 1
{%- endmacro %}
