{#-
    One row per child (child_id) with the attributes of its source records combined: the
    most recently updated record's value wins for each attribute (NULLs skipped; for the
    gender, a known one, male or female, wins over 0 not known and 9 not stated, which say
    only that this record does not know); dates of first and last involvement across every
    episode, plan and allocation.
-#}
with

persons as (

    select * from {{ ref('int_persons_unioned') }}

),

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

members as (

    select
        persons.*,
        child_identity.child_id
    from persons
    inner join child_identity on persons.person_key = child_identity.person_key

),

involvement as (

    select
        child_id,
        referral_date as start_date,
        least(coalesce(closure_date, {{ mart_as_at_date() }}), {{ mart_as_at_date() }}) as end_date
    from {{ ref('int_referrals_stitched') }}
    union all
    select
        child_id,
        start_date,
        least(coalesce(end_date, {{ mart_as_at_date() }}), {{ mart_as_at_date() }})
    from {{ ref('int_cla_episodes_unioned') }}
    union all
    select
        child_id,
        start_date,
        least(coalesce(end_date, {{ mart_as_at_date() }}), {{ mart_as_at_date() }})
    from {{ ref('int_cwd_involvements_stitched') }}
    union all
    select
        child_id,
        requested_on,
        least(coalesce(ceased_on, {{ mart_as_at_date() }}), {{ mart_as_at_date() }})
    from {{ ref('int_ehcps') }}

),

involvement_dates as (

    select
        child_id,
        min(start_date) as first_involvement_date,
        max(end_date) as last_involvement_date
    from involvement
    group by child_id

),

combined as (

    select
        child_id,
        (
            array_agg(forename order by source_updated_at desc nulls last, person_key asc)
            filter (where forename is not null)
        )[1] as forename,
        (
            array_agg(surname order by source_updated_at desc nulls last, person_key asc)
            filter (where surname is not null)
        )[1] as surname,
        (
            array_agg(date_of_birth order by source_updated_at desc nulls last, person_key asc)
            filter (where date_of_birth is not null)
        )[1] as date_of_birth,
        (
            array_agg(
                gender_code
                order by
                    gender_code in ('1', '2') desc,
                    source_updated_at desc nulls last,
                    person_key asc
            )
            filter (where gender_code is not null)
        )[1] as gender_code,
        (
            array_agg(ethnicity_code order by source_updated_at desc nulls last, person_key asc)
            filter (where ethnicity_code is not null)
        )[1] as ethnicity_code,
        (
            array_agg(postcode order by source_updated_at desc nulls last, person_key asc)
            filter (where postcode is not null)
        )[1] as postcode,
        (
            array_agg(nhs_number order by source_updated_at desc nulls last, person_key asc)
            filter (where nhs_number is not null)
        )[1] as nhs_number,
        (
            array_agg(upn order by source_updated_at desc nulls last, person_key asc)
            filter (where upn is not null)
        )[1] as upn,
        min(date_of_death) as date_of_death,
        array_agg(person_key order by first_seen_on nulls last, person_key) as source_person_keys,
        array_agg(distinct source_system) as source_systems
    from members
    group by child_id

),

disabilities as (

    select
        child_id,
        true as has_disability,
        bool_or(is_hidden) as has_hidden_disability,
        string_agg(disability_code, ',' order by disability_code) as disability_codes
    from {{ ref('int_child_disabilities') }}
    group by child_id

),

conflicts as (

    select distinct child_id
    from child_identity
    where is_conflict

),

final as (

    {#- postcode_district: the outward code (before the space, or all but the last 3) -#}
    select
        combined.*,
        disabilities.disability_codes,
        involvement_dates.first_involvement_date,
        involvement_dates.last_involvement_date,
        case
            when combined.postcode like '% %' then split_part(btrim(combined.postcode), ' ', 1)
            when
                length(combined.postcode) > 4
                then left(combined.postcode, length(combined.postcode) - 3)
        end as postcode_district,
        coalesce(disabilities.has_disability, false) as has_disability,
        coalesce(disabilities.has_hidden_disability, false) as has_hidden_disability,
        conflicts.child_id is not null as has_identity_conflict
    from combined
    left join disabilities on combined.child_id = disabilities.child_id
    left join involvement_dates on combined.child_id = involvement_dates.child_id
    left join conflicts on combined.child_id = conflicts.child_id

)

select * from final
