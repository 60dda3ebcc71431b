{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'referrals') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'referrals'), 'trust', 'referrals', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        referral_id,
        person_id,
        {{ parse_date('referral_date', 'dd/mm/yyyy') }} as referral_date,
        {{ clean_code('source') }} as referral_source_code,
        {{ clean_code('primary_need') }} as primary_need_code,
        {{ parse_date('closure_date', 'dd/mm/yyyy') }} as closure_date,
        {{ clean_code('closure_reason') }} as closure_reason_code,
        coalesce({{ clean_code('closure_reason') }} = 'TECH', false) as is_technical_closure,
        {{ parse_boolean('nfa') }} as is_nfa,
        {{ clean_code('team_code') }} as team_code,
        _extract_date
    from source

)

select * from final
