{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['missing_id'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('missing', 'missing_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: the keys tonight's deltas touched (macros/staging/source_increments.sql) -#}
with

source as (

    {{ collapse_council_deltas(
        source('council', 'missing'), ['missing_id'], table_name='missing', incremental_key='missing_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        missing_id,
        person_id,
        {{ parse_date('started_on', 'yyyy-mm-dd') }} as start_date,
        {{ parse_date('ended_on', 'yyyy-mm-dd') }} as end_date,
        {{ clean_code('missing_or_away') }} as missing_or_away,
        {{ parse_boolean('rhi_offered') }} as is_rhi_offered,
        {{ parse_boolean('rhi_accepted') }} as is_rhi_accepted,
        _extract_date
    from source

)

select * from final
