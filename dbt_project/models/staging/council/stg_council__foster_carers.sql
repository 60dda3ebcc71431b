{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['carer_id'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('foster_carers', 'carer_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: the keys tonight's deltas touched (macros/staging/source_increments.sql) -#}
with

source as (

    {{ collapse_council_deltas(
        source('council', 'foster_carers'), ['carer_id'], table_name='foster_carers', incremental_key='carer_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        carer_id,
        {{ clean_text('household') }} as household,
        {{ parse_date('approved_on', 'yyyy-mm-dd') }} as approved_on,
        {{ parse_date('deregistered_on', 'yyyy-mm-dd') }} as deregistered_on,
        {{ parse_integer('places') }} as places,
        {{ parse_date('dbs_checked_on', 'yyyy-mm-dd') }} as dbs_checked_on,
        {{ parse_date('medical_on', 'yyyy-mm-dd') }} as medical_on,
        {{ parse_boolean('references_complete') }} as is_references_complete,
        {{ parse_date('last_review_on', 'yyyy-mm-dd') }} as last_review_on,
        {{ parse_date('tsd_completed_on', 'yyyy-mm-dd') }} as tsd_completed_on,
        {{ clean_code('supervising_worker_id') }} as supervising_worker_id,
        _extract_date
    from source

)

select * from final
