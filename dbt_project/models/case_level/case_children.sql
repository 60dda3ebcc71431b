{#-
    Case-level (schema case_level; case-level roles only, never BI): the pseudonymous
    child_key next to the child_id and the identifying details, so worklists built from the
    marts can show a name to the team manager who acts on them.
-#}
with

children as (

    select * from {{ ref('int_children') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

child_identity as (

    select
        child_id,
        string_agg(source_system || ':' || person_id, ',' order by source_system, person_id)
            as source_person_ids
    from {{ ref('int_child_identity') }}
    group by child_id

),

final as (

    select
        pseudonyms.child_key,
        children.child_id,
        children.forename,
        children.surname,
        children.date_of_birth,
        children.nhs_number,
        children.upn,
        children.postcode,
        children.date_of_death,
        child_identity.source_person_ids,
        children.has_identity_conflict
    from children
    inner join pseudonyms on children.child_id = pseudonyms.child_id
    left join child_identity on children.child_id = child_identity.child_id

)

select * from final
