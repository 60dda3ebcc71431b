{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['allocation_id'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('allocations', 'allocation_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: the keys tonight's deltas touched (macros/staging/source_increments.sql) -#}
with

source as (

    {{ collapse_council_deltas(
        source('council', 'allocations'), ['allocation_id'], table_name='allocations', incremental_key='allocation_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        allocation_id,
        person_id,
        {{ clean_code('worker_id') }} as worker_id,
        {{ clean_code('role') }} as role_code,
        {{ parse_date('started_on', 'yyyy-mm-dd') }} as start_date,
        {{ parse_date('ended_on', 'yyyy-mm-dd') }} as end_date,
        _extract_date
    from source

)

select * from final
