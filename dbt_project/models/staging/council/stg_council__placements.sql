{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['placement_id'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('placements', 'placement_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: the keys tonight's deltas touched (macros/staging/source_increments.sql) -#}
with

source as (

    {{ collapse_council_deltas(
        source('council', 'placements'), ['placement_id'], table_name='placements', incremental_key='placement_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        placement_id,
        person_id,
        carer_id,
        {{ parse_date('started_on', 'yyyy-mm-dd') }} as start_date,
        {{ parse_date('ended_on', 'yyyy-mm-dd') }} as end_date,
        _extract_date
    from source

)

select * from final
