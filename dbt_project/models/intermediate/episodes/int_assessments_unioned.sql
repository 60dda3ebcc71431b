{#-
    Single assessments of both systems (not stitched: an assessment is a piece of work in
    one system), with the stitched CIN episode they belong to.
-#}
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
        assessments.assessment_id as source_id,
        assessments.person_id,
        child_identity.child_id,
        assessments.referral_id as source_referral_id,
        assessments.start_date,
        assessments.authorised_date,
        assessments.factor_codes,
        null::text as team_code
    from {{ ref('stg_trust__assessments') }} as assessments
    left join child_identity
        on
            child_identity.source_system = 'trust'
            and assessments.person_id = child_identity.person_id

    union all

    select
        'council' as source_system,
        assessment_id,
        person_id,
        child_id,
        referral_id,
        start_date,
        authorised_date,
        factor_codes,
        team_code
    from {{ ref('int_council__assessments') }}

),

final as (

    select
        unioned.child_id,
        referral_map.referral_id,
        unioned.start_date,
        unioned.authorised_date,
        unioned.team_code,
        unioned.source_system,
        unioned.source_id,
        unioned.person_id as source_person_id,
        md5('assessment:' || unioned.source_system || ':' || unioned.source_id) as assessment_id,
        coalesce(unioned.factor_codes, '{}'::text[]) as factor_codes
    from unioned
    left join referral_map
        on
            unioned.source_system = referral_map.source_system
            and unioned.source_referral_id = referral_map.source_referral_id
    where unioned.child_id is not null and unioned.start_date is not null

)

select * from final
