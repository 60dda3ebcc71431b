{#-
    Staging that follows the night: a night's cost follows the night's changes.

    Raw keeps every delivery (council: every I / U / D row; trust and hr: every snapshot).
    Staging models that read it would otherwise recompute from the whole history every
    night. These macros let them take in only what is new, with the same result as a full
    rebuild:

      * ops.load_ledger says which batches hold a table's rows (status loaded, quarantined,
        replayed); a superseded delivery's rows are not read at all, by either path;
      * staging.source_batches_taken_in records, per model, the (batch_id, rows_raw) it has
        taken in. A batch whose entry differs (new; a replay added rows; superseded since)
        is a changed batch;
      * the post-hook records the ledger as it was read when the run began; a batch that
        arrives during the run is taken in by the next one.

    Council deltas (council_delta_prepare, council_delta_rows): every key with a raw row in
    a changed batch is deleted by the pre-hook and recomputed from *all* its raw rows (a key
    whose latest row is now a D stays deleted).

    Snapshots (snapshot_prepare, snapshot_changed): a model reading the newest snapshot of a
    trust or hr table is rebuilt when that snapshot changed (a new night, a correction, a
    replay) and left as it is otherwise (the trust, frozen since 2022, never again); a model
    reading every snapshot (a history) when any of them changed.

    Without a ledger (a database filled by hand) every run recomputes everything.
-#}

{#- true when ops.load_ledger can say which batches are loaded (never in a unit test) -#}
{% macro source_ledger_exists() -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- if model is defined and model.resource_type == 'unit_test' -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='ops',
        identifier='load_ledger') is not none) }}
{%- endmacro %}


{#-
    SQL condition on ops.load_ledger (alias `ledger`): the row of a file of `table_name` in
    `system` whose rows are loaded (quarantined: loaded with some rows held back; replayed).
    A rejected, waiting or superseded delivery is not the source's.
-#}
{% macro source_ledger_holds(system, table_name) -%}
    ledger.system = '{{ system }}'
    and lower(ledger.table_name) = lower('{{ table_name }}')
    and ledger.status in ('loaded', 'quarantined', 'replayed')
{%- endmacro %}


{#-
    on-run-start: the table of what each model has taken in, made once before the models run
    (made by the models' own hooks, two running at once would race to create it).
-#}
{% macro source_batches_state_table() -%}
    {%- set schema = generate_schema_name('staging', none) -%}
    {%- if execute and adapter.check_schema_exists(target.database, schema) -%}
        {%- call statement('source_batches_state_table') -%}
            create table if not exists {{ adapter.quote(schema) }}.source_batches_taken_in (
                model_name text not null,
                batch_id bigint not null,
                rows_raw bigint not null,
                primary key (model_name, batch_id)
            );
            comment on table {{ adapter.quote(schema) }}.source_batches_taken_in is
                'The source batches (and their row counts) each incremental staging model has taken in (macros/staging/source_increments.sql).';
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}


{%- macro source_batches_state() -%}
    {{ api.Relation.create(database=this.database, schema=this.schema,
        identifier='source_batches_taken_in') }}
{%- endmacro %}


{%- macro source_batches_temp(suffix) -%}
    {{ adapter.quote(this.identifier ~ '__' ~ suffix) }}
{%- endmacro %}


{#-
    Pre-hook SQL: the temporary table `<model>__ledger`, the (batch_id, rows_raw) of the
    loaded files of the table as the ledger says now (newest_only: the newest one, the
    snapshot latest_snapshot reads); empty without a ledger. source_batches_record stores it.
-#}
{% macro source_batches_read_ledger(system, table_name, newest_only=false) -%}
    {%- if source_ledger_exists() %}
        create temporary table {{ source_batches_temp('ledger') }} on commit drop as
        select ledger.batch_id, ledger.rows_raw
        from ops.load_ledger as ledger
        where {{ source_ledger_holds(system, table_name) }}
        {{ 'order by ledger.extract_date desc, ledger.batch_id desc limit 1'
            if newest_only else '' }};
    {%- else %}
        create temporary table {{ source_batches_temp('ledger') }} (
            batch_id bigint, rows_raw bigint
        ) on commit drop;
    {%- endif %}
{%- endmacro %}


{#-
    SQL select of the changed batches (batch_id, rows_raw): those whose entry in `<model>__ledger`
    differs from what the model last took in (new, replayed into), and those it took in that
    the ledger no longer holds (superseded).
-#}
{% macro source_batches_changed() -%}
    (
        select batch_id, rows_raw from {{ source_batches_temp('ledger') }}
        except
        select batch_id, rows_raw from {{ source_batches_state() }}
        where model_name = '{{ this.identifier }}'
    )
    union
    (
        select batch_id, rows_raw from {{ source_batches_state() }}
        where model_name = '{{ this.identifier }}'
        except
        select batch_id, rows_raw from {{ source_batches_temp('ledger') }}
    )
{%- endmacro %}


{#-
    SQL condition on a raw row (alias row_alias): its delivery is loaded (not superseded),
    and, in an incremental run, its key is one tonight's changes touched.
-#}
{% macro council_delta_rows(row_alias, table_name, key_column=none) -%}
    {%- set conditions = [] -%}
    {%- if source_ledger_exists() -%}
        {%- do conditions.append(
            row_alias ~ "._batch_id in (select ledger.batch_id from ops.load_ledger as ledger"
            ~ " where " ~ source_ledger_holds('council', table_name) ~ ")"
        ) -%}
    {%- endif -%}
    {#- a unit test has no `this` (and is never incremental here) -#}
    {%- if key_column and this is not none and is_incremental() -%}
        {%- do conditions.append(
            row_alias ~ "." ~ key_column ~ " in (select touched." ~ key_column ~ " from "
            ~ source_batches_temp('touched') ~ " as touched)"
        ) -%}
    {%- endif -%}
    {{- conditions | join(' and ') if conditions else 'true' -}}
{%- endmacro %}


{#-
    The where clause collapse_council_deltas and council_delta_versions put on the raw rows
    (alias delta_row); none without table_name.
-#}
{% macro council_delta_where(table_name, incremental_key) -%}
    {{- 'where ' ~ council_delta_rows('delta_row', table_name, incremental_key)
        if table_name else '' -}}
{%- endmacro %}


{#- pre-hook: read the ledger, find the touched keys, delete them from the table -#}
{% macro council_delta_prepare(table_name, key_column) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set raw = source('council', table_name) -%}
    {#- the state table is made by the on-run-start hook (source_batches_state_table) -#}
    {{ source_batches_read_ledger('council', table_name) }}
    {%- if is_incremental() %}
        {#- without a ledger every key counts as touched -#}
        {%- set in_changed_batch = 'delta_row._batch_id in (select changed.batch_id from ('
            ~ source_batches_changed() ~ ') as changed)' if source_ledger_exists() else 'true' -%}
        create temporary table {{ source_batches_temp('touched') }} on commit drop as
        select distinct delta_row.{{ key_column }}
        from {{ raw }} as delta_row
        where {{ in_changed_batch }};
        analyze {{ source_batches_temp('touched') }};
        delete from {{ this }} as built
        where built.{{ key_column }} in (
            select touched.{{ key_column }} from {{ source_batches_temp('touched') }} as touched
        );
    {%- endif %}
{%- endmacro %}


{#- post-hook: what this run took in (the ledger as read when it began) -#}
{% macro source_batches_record() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set state = source_batches_state() -%}
    delete from {{ state }} where model_name = '{{ this.identifier }}';
    insert into {{ state }} (model_name, batch_id, rows_raw)
    select '{{ this.identifier }}', batch_id, rows_raw from {{ source_batches_temp('ledger') }};
{%- endmacro %}


{#-
    pre-hook of a snapshot model (trust, hr): has its input changed since the model last took
    it in? every_batch=false: the newest loaded snapshot of the table (the one
    latest_snapshot reads); true: every loaded snapshot (a history). If it has, the table is
    emptied and the model reads it again in full; if not, the model selects nothing.
-#}
{% macro snapshot_prepare(system, table_name, every_batch=false) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {{ source_batches_read_ledger(system, table_name, newest_only=not every_batch) }}
    {%- if is_incremental() %}
        {#- without a ledger the input always counts as changed -#}
        {%- set is_changed = 'exists (' ~ source_batches_changed() ~ ')'
            if source_ledger_exists() else 'true' -%}
        create temporary table {{ source_batches_temp('changed') }} on commit drop as
        select {{ is_changed }} as is_changed;
        delete from {{ this }}
        where (select changed.is_changed from {{ source_batches_temp('changed') }} as changed);
    {%- endif %}
{%- endmacro %}


{#-
    SQL condition for a snapshot model's rows: true on a full build; in an incremental run,
    whether the input changed (snapshot_prepare). It has no column in it, so PostgreSQL
    checks it once, before reading anything.
-#}
{% macro snapshot_changed() -%}
    {%- if this is not none and is_incremental() -%}
        (select changed.is_changed from {{ source_batches_temp('changed') }} as changed)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
