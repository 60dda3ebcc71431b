{#-
    Case-level worklist: identity conflicts to resolve (int_child_identity_conflicts) with
    the two records' details side by side. Fixing the source record (or its NHS number)
    resolves the conflict on the next run.
-#}
with

conflicts as (

    select * from {{ ref('int_child_identity_conflicts') }}

),

persons as (

    select * from {{ ref('int_persons_unioned') }}

),

keys as (

    select * from {{ ref('int_child_keys') }}

),

final as (

    select
        conflicts.conflict_id,
        conflicts.conflict_type,
        conflicts.match_rule,
        conflicts.source_system_a,
        conflicts.person_id_a,
        keys_a.child_id as child_id_a,
        a.forename as forename_a,
        a.surname as surname_a,
        a.date_of_birth as date_of_birth_a,
        a.nhs_number as nhs_number_a,
        a.upn as upn_a,
        conflicts.source_system_b,
        conflicts.person_id_b,
        keys_b.child_id as child_id_b,
        b.forename as forename_b,
        b.surname as surname_b,
        b.date_of_birth as date_of_birth_b,
        b.nhs_number as nhs_number_b,
        b.upn as upn_b
    from conflicts
    left join persons as a on conflicts.person_key_a = a.person_key
    left join persons as b on conflicts.person_key_b = b.person_key
    left join keys as keys_a
        on a.source_system = keys_a.source_system and a.person_id = keys_a.person_id
    left join keys as keys_b
        on b.source_system = keys_b.source_system and b.person_id = keys_b.person_id

)

select * from final
