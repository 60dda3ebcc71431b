{#- Missing / away from placement episodes of both systems, with return interviews. -#}
with

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

unioned as (

    select
        'trust' as source_system,
        missing_id as source_id,
        person_id,
        start_date,
        end_date,
        missing_or_away,
        is_rhi_offered,
        is_rhi_accepted
    from {{ ref('stg_trust__missing') }}

    union all

    select
        'council' as source_system,
        missing_id,
        person_id,
        start_date,
        end_date,
        missing_or_away,
        is_rhi_offered,
        is_rhi_accepted
    from {{ ref('stg_council__missing') }}

),

final as (

    select
        child_identity.child_id,
        unioned.start_date,
        unioned.end_date,
        unioned.missing_or_away,
        unioned.is_rhi_offered,
        unioned.is_rhi_accepted,
        unioned.source_system,
        unioned.source_id,
        unioned.person_id as source_person_id,
        md5('missing:' || unioned.source_system || ':' || unioned.source_id) as missing_id
    from unioned
    inner join child_identity
        on
            unioned.source_system = child_identity.source_system
            and unioned.person_id = child_identity.person_id
    where unioned.start_date is not null

)

select * from final
