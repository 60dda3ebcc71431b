{#-
    Council deltas, incrementally: a night's cost follows the night's changes.

    raw_council keeps every I / U / D row ever delivered. The staging models that collapse
    them (stg_council__*, the current state) or list their versions (*_history) would read
    the whole history every night. Instead, an incremental run recomputes only the keys
    that tonight's batches touched, each from *all* its raw rows, so the result is the same
    as a full rebuild:

      * ops.load_ledger says which batches hold a table's rows (status loaded, quarantined,
        replayed: a superseded delivery's rows are not read at all, by either path);
      * staging.council_delta_batches records, per model, the (batch_id, rows_raw) it has
        taken in. A batch whose entry differs (new; a replay added rows; superseded since)
        is a changed batch, and every key with a raw row in a changed batch is recomputed;
      * the pre-hook deletes those keys from the table; the model selects them again from
        raw (a key whose latest row is now a D stays deleted); the post-hook records the
        ledger as it was read when the run began. A batch that arrives during the run is
        simply taken in by the next one: recomputing a key is idempotent.

    Without a ledger (a database filled by hand) every run recomputes every key.
-#}

{#- true when ops.load_ledger can say which batches are loaded (never in a unit test) -#}
{% macro council_ledger_exists() -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- if model is defined and model.resource_type == 'unit_test' -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='ops',
        identifier='load_ledger') is not none) }}
{%- endmacro %}


{#-
    on-run-start: the table of what each model has taken in, made once before the models run
    (made by the models' own hooks, two running at once would race to create it).
-#}
{% macro council_delta_state_table() -%}
    {%- set schema = generate_schema_name('staging', none) -%}
    {%- if execute and adapter.check_schema_exists(target.database, schema) -%}
        {%- call statement('council_delta_state_table') -%}
            create table if not exists {{ adapter.quote(schema) }}.council_delta_batches (
                model_name text not null,
                batch_id bigint not null,
                rows_raw bigint not null,
                primary key (model_name, batch_id)
            );
            comment on table {{ adapter.quote(schema) }}.council_delta_batches is
                'The council batches (and their row counts) each incremental council staging model has taken in (macros/staging/council_increments.sql).';
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}


{%- macro council_delta_state() -%}
    {{ api.Relation.create(database=this.database, schema=this.schema,
        identifier='council_delta_batches') }}
{%- endmacro %}


{%- macro council_delta_temp(suffix) -%}
    {{ adapter.quote(this.identifier ~ '__' ~ suffix) }}
{%- endmacro %}


{#-
    SQL condition on a raw row (alias row_alias): its delivery is loaded (not superseded),
    and, in an incremental run, its key is one tonight's changes touched.
-#}
{% macro council_delta_rows(row_alias, table_name, key_column=none) -%}
    {%- set conditions = [] -%}
    {%- if council_ledger_exists() -%}
        {%- do conditions.append(
            row_alias ~ "._batch_id in (select ledger.batch_id from ops.load_ledger as ledger"
            ~ " where ledger.system = 'council' and lower(ledger.table_name) = lower('"
            ~ table_name ~ "') and ledger.status in ('loaded', 'quarantined', 'replayed'))"
        ) -%}
    {%- endif -%}
    {#- a unit test has no `this` (and is never incremental here) -#}
    {%- if key_column and this is not none and is_incremental() -%}
        {%- do conditions.append(
            row_alias ~ "." ~ key_column ~ " in (select touched." ~ key_column ~ " from "
            ~ council_delta_temp('touched') ~ " as touched)"
        ) -%}
    {%- endif -%}
    {{- conditions | join(' and ') if conditions else 'true' -}}
{%- endmacro %}


{#- pre-hook: read the ledger, find the touched keys, delete them from the table -#}
{% macro council_delta_prepare(table_name, key_column) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set state = council_delta_state() -%}
    {%- set raw = source('council', table_name) -%}
    {#- the state table is made by the on-run-start hook (council_delta_state_table) -#}
    {%- if council_ledger_exists() %}
        create temporary table {{ council_delta_temp('ledger') }} on commit drop as
        select ledger.batch_id, ledger.rows_raw
        from ops.load_ledger as ledger
        where
            ledger.system = 'council'
            and lower(ledger.table_name) = lower('{{ table_name }}')
            and ledger.status in ('loaded', 'quarantined', 'replayed');
    {%- else %}
        create temporary table {{ council_delta_temp('ledger') }} (
            batch_id bigint, rows_raw bigint
        ) on commit drop;
    {%- endif %}
    {%- if is_incremental() %}
        {%- if council_ledger_exists() %}
            create temporary table {{ council_delta_temp('touched') }} on commit drop as
            with taken_in as (
                select state_row.batch_id, state_row.rows_raw
                from {{ state }} as state_row
                where state_row.model_name = '{{ this.identifier }}'
            ),
            changed as (
                (select batch_id, rows_raw from {{ council_delta_temp('ledger') }}
                    except select batch_id, rows_raw from taken_in)
                union
                (select batch_id, rows_raw from taken_in
                    except select batch_id, rows_raw from {{ council_delta_temp('ledger') }})
            )
            select distinct delta_row.{{ key_column }}
            from {{ raw }} as delta_row
            where delta_row._batch_id in (select changed.batch_id from changed);
        {%- else %}
            create temporary table {{ council_delta_temp('touched') }} on commit drop as
            select distinct delta_row.{{ key_column }} from {{ raw }} as delta_row;
        {%- endif %}
        analyze {{ council_delta_temp('touched') }};
        delete from {{ this }} as built
        where built.{{ key_column }} in (
            select touched.{{ key_column }} from {{ council_delta_temp('touched') }} as touched
        );
    {%- endif %}
{%- endmacro %}


{#- post-hook: what this run took in (the ledger as read when it began) -#}
{% macro council_delta_record() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set state = council_delta_state() -%}
    delete from {{ state }} where model_name = '{{ this.identifier }}';
    insert into {{ state }} (model_name, batch_id, rows_raw)
    select '{{ this.identifier }}', batch_id, rows_raw from {{ council_delta_temp('ledger') }};
{%- endmacro %}
