{#- Visits to children (statutory, CP, other) of both systems, worker ids linked via HR. -#}
with

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

worker_map as (

    select * from {{ ref('int_worker_source_map') }}

),

unioned as (

    select
        'trust' as source_system,
        visit_id as source_id,
        person_id,
        visit_date,
        visit_type_code,
        is_seen_alone,
        worker_id as source_worker_id,
        _extract_date
    from {{ ref('stg_trust__visits') }}

    union all

    select
        'council' as source_system,
        visit_id,
        person_id,
        visit_date,
        visit_type_code,
        is_seen_alone,
        worker_id,
        _extract_date
    from {{ ref('stg_council__visits') }}

),

final as (

    select
        child_identity.child_id,
        worker_map.worker_id,
        unioned.visit_date,
        unioned.visit_type_code,
        unioned.is_seen_alone,
        unioned.source_system,
        unioned.source_id,
        unioned.person_id as source_person_id,
        unioned._extract_date as source_extract_date,
        md5('visit:' || unioned.source_system || ':' || unioned.source_id) as visit_id
    from unioned
    inner join child_identity
        on
            unioned.source_system = child_identity.source_system
            and unioned.person_id = child_identity.person_id
    left join worker_map
        on
            unioned.source_system = worker_map.source_system
            and unioned.source_worker_id = worker_map.source_worker_id
    where unioned.visit_date is not null

)

select * from final
