{#-
    Identity questions for a person to resolve, never guessed by the warehouse. One row per
    pair of source records (a < b), conflict_type:
      nhs_number_dob_mismatch      same NHS number, different dates of birth (not merged)
      upn_dob_mismatch             same UPN, different dates of birth (not merged)
      former_trust_id_nhs_mismatch FORMER_TRUST_ID points at a trust record with another
                                   NHS number (not merged)
      ambiguous_name_dob           one record matches two or more records of the other
                                   system by name and date of birth (none merged)
      inconsistent_cluster         a weaker link dropped because it chained two different
                                   NHS numbers into one child
      keyed_children_merge         one identity cluster holds two child_ids already given
                                   (stable keys are never changed: see int_child_keys)
-#}
with

matches as (

    select * from {{ ref('int_person_matches') }}

),

clusters as (

    select * from {{ ref('int_person_clusters') }}

),

keys as (

    select * from {{ ref('int_child_keys') }}

),

pair_conflicts as (

    select
        person_key_a,
        person_key_b,
        conflict_type,
        match_rule
    from matches
    where is_conflict

),

dropped_links as (

    select
        matches.person_key_a,
        matches.person_key_b,
        'inconsistent_cluster' as conflict_type,
        matches.match_rule
    from matches
    inner join clusters as ca on matches.person_key_a = ca.person_key
    inner join clusters as cb on matches.person_key_b = cb.person_key
    where
        not matches.is_conflict
        and ca.cluster_id != cb.cluster_id

),

cluster_keys as (

    select distinct on (clusters.cluster_id, keys.child_id)
        clusters.cluster_id,
        keys.child_id,
        clusters.person_key
    from clusters
    inner join keys
        on clusters.source_system = keys.source_system and clusters.person_id = keys.person_id
    order by
        clusters.cluster_id,
        keys.child_id,
        clusters.first_seen_on nulls last,
        clusters.source_system,
        clusters.person_id

),

key_merges as (

    select
        least(k1.person_key, k2.person_key) as person_key_a,
        greatest(k1.person_key, k2.person_key) as person_key_b,
        'keyed_children_merge' as conflict_type,
        null::text as match_rule
    from cluster_keys as k1
    inner join cluster_keys as k2
        on k1.cluster_id = k2.cluster_id and k1.child_id < k2.child_id

),

unioned as (

    select * from pair_conflicts
    union all
    select * from dropped_links
    union all
    select * from key_merges

),

final as (

    select
        unioned.conflict_type,
        unioned.match_rule,
        unioned.person_key_a,
        unioned.person_key_b,
        md5(unioned.conflict_type || '|' || unioned.person_key_a || '|' || unioned.person_key_b)
            as conflict_id,
        split_part(unioned.person_key_a, ':', 1) as source_system_a,
        substr(unioned.person_key_a, strpos(unioned.person_key_a, ':') + 1) as person_id_a,
        split_part(unioned.person_key_b, ':', 1) as source_system_b,
        substr(unioned.person_key_b, strpos(unioned.person_key_b, ':') + 1) as person_id_b
    from unioned

)

select * from final
