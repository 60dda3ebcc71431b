{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'section47') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'section47'), 'trust', 'section47', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        s47_id,
        referral_id,
        person_id,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('icpc_date', 'dd/mm/yyyy') }} as icpc_date,
        {{ parse_boolean('icpc_required') }} as is_icpc_required,
        _extract_date
    from source

)

select * from final
