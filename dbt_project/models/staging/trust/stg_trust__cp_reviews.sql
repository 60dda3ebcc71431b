{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'cp_reviews') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'cp_reviews'), 'trust', 'cp_reviews', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        cp_plan_id,
        {{ parse_date('review_date', 'dd/mm/yyyy') }} as review_date,
        _extract_date
    from source

)

select * from final
