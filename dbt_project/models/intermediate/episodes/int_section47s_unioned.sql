{#- Section 47 enquiries of both systems with their initial conference (ICPC) date. -#}
with

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

referral_map as (

    select * from {{ ref('int_referrals_source_map') }}

),

unioned as (

    select
        'trust' as source_system,
        s47.s47_id as source_id,
        s47.person_id,
        child_identity.child_id,
        s47.referral_id as source_referral_id,
        s47.start_date,
        s47.icpc_date,
        s47.is_icpc_required
    from {{ ref('stg_trust__section47s') }} as s47
    left join child_identity
        on child_identity.source_system = 'trust' and s47.person_id = child_identity.person_id

    union all

    select
        'council' as source_system,
        s47_id,
        person_id,
        child_id,
        referral_id,
        start_date,
        icpc_date,
        is_icpc_required
    from {{ ref('int_council__section47s') }}

),

final as (

    select
        unioned.child_id,
        referral_map.referral_id,
        unioned.start_date,
        unioned.icpc_date,
        unioned.source_system,
        unioned.source_id,
        unioned.person_id as source_person_id,
        md5('s47:' || unioned.source_system || ':' || unioned.source_id) as s47_id,
        coalesce(unioned.is_icpc_required, unioned.icpc_date is not null) as is_icpc_required
    from unioned
    left join referral_map
        on
            unioned.source_system = referral_map.source_system
            and unioned.source_referral_id = referral_map.source_referral_id
    where unioned.child_id is not null and unioned.start_date is not null

)

select * from final
