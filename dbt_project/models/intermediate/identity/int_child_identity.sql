{#-
    One row per current source person (source_system, person_id) with its child_id and how
    it was matched: match_rule is the strongest rule linking the person to another record of
    the same child (nhs_number, former_trust_id, upn, name_dob; 'none' for a child known
    through one record only), matched_* the record it was matched to by that rule, and
    is_conflict when the person is in any conflict listed in int_child_identity_conflicts.
-#}
with

persons as (

    select * from {{ ref('int_persons_unioned') }}

),

clusters as (

    select * from {{ ref('int_person_clusters') }}

),

keys as (

    select * from {{ ref('int_child_keys') }}

),

matches as (

    select * from {{ ref('int_person_matches') }}

),

used_matches as (

    {#- non-conflicting matches that survived inside the final cluster, from both ends -#}

    select
        ends.person_key,
        ends.other_key,
        ends.match_rule,
        ends.match_rule_rank,
        ends.match_rule_detail
    from (
        select
            person_key_a as person_key,
            person_key_b as other_key,
            match_rule,
            match_rule_rank,
            match_rule_detail
        from matches
        where not is_conflict
        union all
        select
            person_key_b,
            person_key_a,
            match_rule,
            match_rule_rank,
            match_rule_detail
        from matches
        where not is_conflict
    ) as ends
    inner join clusters as c1 on ends.person_key = c1.person_key
    inner join clusters as c2 on ends.other_key = c2.person_key
    where
        c1.cluster_id = c2.cluster_id
        and (
            c1.cluster_pass = 1
            or ends.match_rule_rank <= case c1.cluster_pass when 2 then 3 else 1 end
        )

),

best_match as (

    select distinct on (used_matches.person_key)
        used_matches.person_key,
        used_matches.match_rule,
        used_matches.match_rule_detail,
        other.source_system as matched_source_system,
        other.person_id as matched_person_id
    from used_matches
    inner join persons as other on used_matches.other_key = other.person_key
    order by used_matches.person_key, used_matches.match_rule_rank, used_matches.other_key

),

conflicted as (

    select person_key_a as person_key from {{ ref('int_child_identity_conflicts') }}
    union
    select person_key_b from {{ ref('int_child_identity_conflicts') }}

),

final as (

    select
        persons.person_key,
        persons.source_system,
        persons.person_id,
        keys.child_id,
        best_match.match_rule_detail,
        best_match.matched_source_system,
        best_match.matched_person_id,
        clusters.cluster_id,
        persons.first_seen_on,
        coalesce(best_match.match_rule, 'none') as match_rule,
        conflicted.person_key is not null as is_conflict
    from persons
    inner join clusters on persons.person_key = clusters.person_key
    inner join keys
        on persons.source_system = keys.source_system and persons.person_id = keys.person_id
    left join best_match on persons.person_key = best_match.person_key
    left join conflicted on persons.person_key = conflicted.person_key

)

select * from final
