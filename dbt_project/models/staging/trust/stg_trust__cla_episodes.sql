{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'cla_episodes') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'cla_episodes'), 'trust', 'cla_episodes', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        episode_id,
        person_id,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('end_date', 'dd/mm/yyyy') }} as end_date,
        {{ clean_code('rne') }} as rne_code,
        {{ clean_code('legal_status') }} as legal_status_code,
        {{ clean_code('cin_code') }} as cin_code,
        {{ clean_code('placement_type') }} as placement_type_code,
        {{ clean_code('placement_provider') }} as placement_provider_code,
        {{ clean_code('placement_postcode') }} as placement_postcode,
        {{ clean_code('home_postcode') }} as home_postcode,
        {{ clean_code('reason_ceased') }} as reason_ceased_code,
        coalesce({{ clean_code('reason_ceased') }} = 'TECH', false) as is_technical_closure,
        _extract_date
    from source

)

select * from final
