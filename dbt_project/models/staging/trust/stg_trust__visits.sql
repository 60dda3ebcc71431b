{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'visits') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'visits'), 'trust', 'visits', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        visit_id,
        person_id,
        {{ parse_date('visit_date', 'dd/mm/yyyy') }} as visit_date,
        {{ clean_code('visit_type') }} as visit_type_code,
        {{ parse_boolean('seen_alone') }} as is_seen_alone,
        {{ clean_text('worker_id') }} as worker_id,
        _extract_date
    from source

)

select * from final
