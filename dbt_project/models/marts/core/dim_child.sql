{#-
    One row per child: the pseudonymous child_key and what BI may know about the child.
    Month and year of birth only, postcode district only, no names or identifiers.
-#}
with

children as (

    select * from {{ ref('int_children') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

genders as (

    select distinct
        gender_code,
        gender_label
    from {{ ref('dfe_gender_map') }}

),

ethnicities as (

    select * from {{ ref('dfe_ethnicity') }}

),

final as (

    select
        pseudonyms.child_key::text as child_key,
        {{ month_start('children.date_of_birth') }}::date as birth_month,
        date_part('year', children.date_of_birth)::int as birth_year,
        children.gender_code::text as gender_code,
        coalesce(genders.gender_label, 'Not known')::text as gender_label,
        children.ethnicity_code::text as ethnicity_code,
        ethnicities.ethnic_group::text as ethnic_group,
        children.postcode_district::text as postcode_district,
        children.has_disability::boolean as has_disability,
        children.has_hidden_disability::boolean as has_hidden_disability,
        children.disability_codes::text as disability_codes,
        {{ month_start('children.date_of_death') }}::date as death_month,
        children.first_involvement_date::date as first_involvement_date,
        children.last_involvement_date::date as last_involvement_date,
        ('trust' = any(children.source_systems))::boolean as is_known_to_trust,
        ('council' = any(children.source_systems))::boolean as is_known_to_council,
        children.has_identity_conflict::boolean as has_identity_conflict
    from children
    inner join pseudonyms on children.child_id = pseudonyms.child_id
    left join genders on children.gender_code = genders.gender_code
    left join ethnicities on children.ethnicity_code = ethnicities.code

)

select * from final
