{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'disabilities') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'disabilities'), 'trust', 'disabilities', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        person_id,
        {{ clean_code('disability') }} as disability_code,
        {{ parse_date('recorded_on', 'dd/mm/yyyy') }} as recorded_on,
        _extract_date
    from source

)

select * from final
