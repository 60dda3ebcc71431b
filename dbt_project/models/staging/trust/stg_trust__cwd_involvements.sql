{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'cwd_involvements') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'cwd_involvements'), 'trust', 'cwd_involvements', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        involvement_id,
        person_id,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('end_date', 'dd/mm/yyyy') }} as end_date,
        {{ clean_code('primary_disability') }} as primary_disability_code,
        {{ clean_code('team_code') }} as team_code,
        _extract_date
    from source

)

select * from final
