{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'cp_plans') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'cp_plans'), 'trust', 'cp_plans', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        cp_plan_id,
        {{ trust_cp_plan_columns() }},
        _extract_date
    from source

)

select * from final
