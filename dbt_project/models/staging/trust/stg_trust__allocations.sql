{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'allocations') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'allocations'), 'trust', 'allocations', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        allocation_id,
        person_id,
        {{ clean_text('worker_id') }} as worker_id,
        {{ clean_code('team_code') }} as team_code,
        {{ clean_code('role') }} as role_code,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('end_date', 'dd/mm/yyyy') }} as end_date,
        _extract_date
    from source

)

select * from final
