{#-
    The rows of the newest complete snapshot of a full-snapshot system (trust, hr): raw keeps
    every nightly snapshot, staging reads one.

    * When ops.load_ledger exists (the loader creates it): the newest batch whose ledger row
      for this table says the file was loaded (status loaded, quarantined = loaded with some
      rows held back, or replayed), ordered by (extract_date, batch_id). A folder that was
      rejected, is still waiting, or was superseded by a later delivery is skipped, so a
      broken night leaves yesterday's snapshot in place. The choice is made per table.
    * Without a ledger (a development database filled by hand): the newest
      (_extract_date, _batch_id) present in the raw table.

    Either way the filter is `(_extract_date, _batch_id) = (<one row>)`, which Postgres turns
    into `_extract_date = $1 and _batch_id = $2` with the subquery run once: the loader's BRIN
    index on _batch_id (or a future index on _extract_date) serves it; no window over the
    70+ snapshots.

    system / table_name are passed explicitly (not read off the relation) so the macro also
    renders inside dbt unit tests, where the source is a fixture CTE. Unit tests always take
    the ledger path and must give `source('ops', 'load_ledger')` as a `format: sql` fixture
    (it needs no table in the database to exist).
-#}
{#-
    only_when_changed: the model is incremental with snapshot_prepare as its pre-hook; an
    incremental run then reads the snapshot only if it changed since the model last took it
    in (macros/staging/source_increments.sql), and selects nothing otherwise.
-#}
{% macro latest_snapshot(source_relation, system, table_name, only_when_changed=false) -%}
    {#- source() always runs, so the ops source is a parent of every snapshot model -#}
    {%- set ledger = source('ops', 'load_ledger') -%}
    {%- if not execute -%}
        {%- set use_ledger = false -%}
    {%- elif model is defined and model.resource_type == 'unit_test' -%}
        {#- unit tests exercise the ledger path; they give the ledger as a `format: sql` fixture -#}
        {%- set use_ledger = true -%}
    {%- else -%}
        {%- set use_ledger = adapter.get_relation(
            database=target.database, schema='ops', identifier='load_ledger') is not none -%}
    {%- endif -%}
    {%- if use_ledger -%}
        {%- set newest_batch -%}
            select ledger.extract_date, ledger.batch_id
            from {{ ledger }} as ledger
            where {{ source_ledger_holds(system, table_name) }}
            order by ledger.extract_date desc, ledger.batch_id desc
            limit 1
        {%- endset -%}
    {%- else -%}
        {%- set newest_batch -%}
            select newest._extract_date, newest._batch_id
            from {{ source_relation }} as newest
            order by newest._extract_date desc, newest._batch_id desc
            limit 1
        {%- endset -%}
    {%- endif -%}
    select snapshot_row.*
    from {{ source_relation }} as snapshot_row
    where
        (snapshot_row._extract_date, snapshot_row._batch_id) = ({{ newest_batch }})
        and {{ snapshot_changed() if only_when_changed else 'true' }}
{%- endmacro %}
