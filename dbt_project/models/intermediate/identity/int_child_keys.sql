{{
    config(
        materialized='incremental',
        unique_key=['source_system', 'person_id'],
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}
{#-
    The stable child key. One row per source person ever seen; a row, once written, is
    never changed (append only): a child's child_id never changes once given.

    child_id = 'C' + the first 15 hex digits (upper case) of md5(source_system || ':' ||
    person_id) of the child's *earliest-seen member*: the member ordered first by
    (first_seen_on nulls last, source_system, person_id) in its identity cluster.

    Incremental run: a new source person whose cluster already holds keyed persons takes
    the child_id of the earliest-seen keyed member; a new person whose cluster holds none
    gets the key derived from the earliest-seen member of its cluster. A full refresh keys
    every cluster from its earliest-seen member. Both give the same keys as long as people
    join a child after its first member was seen, which is how records are created (a child
    reaches a new system after the old one). Two exceptions, listed for review in
    int_child_identity_conflicts (conflict_type 'keyed_children_merge'), never silently
    re-keyed:
      - merge case: a new record (or a new match) joins two children that already have
        keys. Incrementally both keys stay and the new record takes the earliest-seen
        member's; a full refresh would give the whole cluster one key.
      - split case: a match that made two records one child disappears (a record corrected
        in the source). Incrementally both keep the shared key; a full refresh splits them.
-#}
with

clusters as (

    select * from {{ ref('int_person_clusters') }}

),

{% if is_incremental() %}

    existing as (

        select
            source_system,
            person_id,
            child_id
        from {{ this }}

    ),

    new_persons as (

        select clusters.*
        from clusters
        left join existing
            on
                clusters.source_system = existing.source_system
                and clusters.person_id = existing.person_id
        where existing.person_id is null

    ),

    keyed_in_cluster as (

        select distinct on (clusters.cluster_id)
            clusters.cluster_id,
            existing.child_id
        from clusters
        inner join existing
            on
                clusters.source_system = existing.source_system
                and clusters.person_id = existing.person_id
        order by
            clusters.cluster_id,
            clusters.first_seen_on nulls last,
            clusters.source_system,
            clusters.person_id

    ),

    earliest_new_member as (

        select distinct on (cluster_id)
            cluster_id,
            source_system,
            person_id
        from new_persons
        order by cluster_id, first_seen_on nulls last, source_system, person_id

    ),

    final as (

        select
            new_persons.source_system,
            new_persons.person_id,
            coalesce(
                keyed_in_cluster.child_id,
                'C' || upper(left(md5(
                    earliest_new_member.source_system || ':'
                    || earliest_new_member.person_id
                ), 15))
            ) as child_id
        from new_persons
        left join keyed_in_cluster on new_persons.cluster_id = keyed_in_cluster.cluster_id
        inner join earliest_new_member on new_persons.cluster_id = earliest_new_member.cluster_id

    )

{% else %}

    earliest_member as (

        select distinct on (cluster_id)
            cluster_id,
            source_system,
            person_id
        from clusters
        order by cluster_id, first_seen_on nulls last, source_system, person_id

    ),

    final as (

        select
            clusters.source_system,
            clusters.person_id,
            'C' || upper(left(md5(
                earliest_member.source_system || ':'
                || earliest_member.person_id
            ), 15)) as child_id
        from clusters
        inner join earliest_member on clusters.cluster_id = earliest_member.cluster_id

    )

{% endif %}

select * from final
