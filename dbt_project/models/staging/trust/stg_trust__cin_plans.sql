{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'cin_plans') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'cin_plans'), 'trust', 'cin_plans', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        cin_plan_id,
        referral_id,
        person_id,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('end_date', 'dd/mm/yyyy') }} as end_date,
        _extract_date
    from source

)

select * from final
