{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'assessments') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'assessments'), 'trust', 'assessments', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        assessment_id,
        referral_id,
        person_id,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('authorised_date', 'dd/mm/yyyy') }} as authorised_date,
        {{ split_code_list('factors', ';') }} as factor_codes,
        _extract_date
    from source

)

select * from final
