{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'missing') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'missing'), 'trust', 'missing', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        missing_id,
        person_id,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('end_date', 'dd/mm/yyyy') }} as end_date,
        {{ clean_code('missing_or_away') }} as missing_or_away,
        {{ parse_boolean('rhi_offered') }} as is_rhi_offered,
        {{ parse_boolean('rhi_accepted') }} as is_rhi_accepted,
        _extract_date
    from source

)

select * from final
