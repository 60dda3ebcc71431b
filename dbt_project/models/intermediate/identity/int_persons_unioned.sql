{#-
    Every source person of both case-management systems in one shape, with the fields
    identity matching uses, normalised. One row per (source_system, person_id).

    first_seen_on: the earliest date of any record of the person in their own system
    (referrals/steps, CLA episodes, allocations, CWD involvements, EHCPs, placements). It
    orders the members of one child so that the child's key is the key of its earliest-seen
    member, whether keys are built incrementally or from scratch (int_child_keys).
-#}
with

trust_persons as (

    select * from {{ ref('stg_trust__persons') }}

),

council_people as (

    select * from {{ ref('stg_council__people') }}

),

activity as (

    select
        'trust' as source_system,
        person_id,
        referral_date as activity_date
    from {{ ref('stg_trust__referrals') }}
    union all
    select
        'trust' as source_system,
        person_id,
        start_date
    from {{ ref('stg_trust__cla_episodes') }}
    union all
    select
        'trust' as source_system,
        person_id,
        start_date
    from {{ ref('stg_trust__allocations') }}
    union all
    select
        'trust' as source_system,
        person_id,
        start_date
    from {{ ref('stg_trust__cwd_involvements') }}
    union all
    select
        'council' as source_system,
        person_id,
        start_date
    from {{ ref('stg_council__workflow_steps') }}
    union all
    select
        'council' as source_system,
        person_id,
        start_date
    from {{ ref('stg_council__allocations') }}
    union all
    select
        'council' as source_system,
        person_id,
        requested_on
    from {{ ref('stg_council__ehcps') }}
    union all
    select
        'council' as source_system,
        person_id,
        start_date
    from {{ ref('stg_council__placements') }}

),

first_seen as (

    select
        source_system,
        person_id,
        min(activity_date) as first_seen_on,
        max(activity_date) as last_seen_on
    from activity
    group by source_system, person_id

),

unioned as (

    select
        'trust' as source_system,
        person_id,
        nhs_number,
        upn,
        forename,
        surname,
        date_of_birth,
        gender_code,
        ethnicity_code,
        postcode,
        null::text as former_trust_id,
        date_of_death,
        updated_at as source_updated_at
    from trust_persons

    union all

    select
        'council' as source_system,
        person_id,
        nhs_number,
        upn,
        forename,
        surname,
        date_of_birth,
        gender_code,
        ethnicity_code,
        postcode,
        former_trust_id,
        date_of_death,
        last_modified as source_updated_at
    from council_people

),

final as (

    select
        unioned.source_system || ':' || unioned.person_id as person_key,
        unioned.source_system,
        unioned.person_id,
        unioned.nhs_number,
        nullif(upper(btrim(unioned.upn)), '') as upn,
        unioned.forename,
        unioned.surname,
        {{ normalise_name('unioned.forename') }} as forename_normalised,
        {{ normalise_name('unioned.surname') }} as surname_normalised,
        unioned.date_of_birth,
        unioned.gender_code,
        unioned.ethnicity_code,
        unioned.postcode,
        nullif(upper(btrim(unioned.former_trust_id)), '') as former_trust_id,
        unioned.date_of_death,
        unioned.source_updated_at,
        first_seen.first_seen_on,
        first_seen.last_seen_on
    from unioned
    left join first_seen
        on
            unioned.source_system = first_seen.source_system
            and unioned.person_id = first_seen.person_id

)

select * from final
