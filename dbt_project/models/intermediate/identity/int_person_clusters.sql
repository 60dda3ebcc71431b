{#-
    Which source persons are one child: connected components of the non-conflicting matches
    (int_person_matches). A component that would hold two different valid NHS numbers (a
    chain of weaker matches joining two people who are certainly different) is rebuilt from
    the strong rules only (nhs_number, former_trust_id, upn), and if still inconsistent from
    NHS numbers alone; the weaker links dropped are listed in int_child_identity_conflicts.
-#}
with

persons as (

    select * from {{ ref('int_persons_unioned') }}

),

matches as (

    select * from {{ ref('int_person_matches') }}
    where not is_conflict

),

pass_1 as (

    {{ connected_components(
        "select person_key as node_id from " ~ ref('int_persons_unioned'),
        "select person_key_a as node_a, person_key_b as node_b from "
            ~ ref('int_person_matches') ~ " where not is_conflict"
    ) }}

),

pass_1_inconsistent as (

    select pass_1.component_id
    from pass_1
    inner join persons on pass_1.node_id = persons.person_key
    group by pass_1.component_id
    having count(distinct persons.nhs_number) > 1

),

pass_2_nodes as (

    select pass_1.node_id
    from pass_1
    inner join pass_1_inconsistent on pass_1.component_id = pass_1_inconsistent.component_id

),

pass_2 as (

    {{ connected_components(
        "select node_id from pass_2_nodes",
        "select m.person_key_a as node_a, m.person_key_b as node_b from matches as m"
            ~ " inner join pass_2_nodes as na on m.person_key_a = na.node_id"
            ~ " inner join pass_2_nodes as nb on m.person_key_b = nb.node_id"
            ~ " where m.match_rule_rank <= 3"
    ) }}

),

pass_2_inconsistent as (

    select pass_2.component_id
    from pass_2
    inner join persons on pass_2.node_id = persons.person_key
    group by pass_2.component_id
    having count(distinct persons.nhs_number) > 1

),

pass_3_nodes as (

    select pass_2.node_id
    from pass_2
    inner join pass_2_inconsistent on pass_2.component_id = pass_2_inconsistent.component_id

),

pass_3 as (

    {{ connected_components(
        "select node_id from pass_3_nodes",
        "select m.person_key_a as node_a, m.person_key_b as node_b from matches as m"
            ~ " inner join pass_3_nodes as na on m.person_key_a = na.node_id"
            ~ " inner join pass_3_nodes as nb on m.person_key_b = nb.node_id"
            ~ " where m.match_rule_rank = 1"
    ) }}

),

final as (

    select
        persons.person_key,
        persons.source_system,
        persons.person_id,
        persons.first_seen_on,
        coalesce(pass_3.component_id, pass_2.component_id, pass_1.component_id) as cluster_id,
        case
            when pass_3.node_id is not null then 3
            when pass_2.node_id is not null then 2
            else 1
        end as cluster_pass
    from persons
    inner join pass_1 on persons.person_key = pass_1.node_id
    left join pass_2 on persons.person_key = pass_2.node_id
    left join pass_3 on persons.person_key = pass_3.node_id

)

select * from final
