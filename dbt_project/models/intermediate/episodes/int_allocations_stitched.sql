{#-
    Allocations of a child to a worker (roles SW allocated social worker, PA personal
    adviser, CWDW disabled children's worker; council also EHW, LP), both systems, one row
    per source allocation (a "segment"), worker ids linked through HR (int_worker_source_map)
    into one worker_id.

    Stitching (allocation_id): an allocation that ended because of a system transfer and an
    allocation of the same role starting in the other system within 5 working days are ONE
    allocation, whatever the two worker ids (a technical transfer is not a change of social
    worker, even when the new system's record names someone else or a worker HR cannot
    link). An allocation "ended by the transfer" is one that ended on the closure date of a
    technically closed CIN episode record of the child in the same system, or in a transfer
    window (is_transfer_end). The stitched allocation's worker identity
    (allocated_worker_id) is the worker of its first segment: count distinct
    allocated_worker_id for "different social workers in 12 months".
-#}
with

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

worker_map as (

    select * from {{ ref('int_worker_source_map') }}

),

tech_closures as (

    select distinct
        'trust' as source_system,
        person_id,
        closure_date
    from {{ ref('stg_trust__referrals') }}
    where coalesce(is_technical_closure, closure_reason_code = 'TECH', false)
    union
    select distinct
        'council' as source_system,
        person_id,
        closure_date
    from {{ ref('int_council__referrals') }}
    where is_technical_closure

),

unioned as (

    select
        'trust' as source_system,
        allocations.allocation_id as source_id,
        allocations.person_id,
        allocations.worker_id as source_worker_id,
        allocations.team_code,
        allocations.role_code,
        allocations.start_date,
        allocations.end_date
    from {{ ref('stg_trust__allocations') }} as allocations

    union all

    select
        'council' as source_system,
        allocation_id,
        person_id,
        worker_id,
        null::text,
        role_code,
        start_date,
        end_date
    from {{ ref('stg_council__allocations') }}

),

enriched as (

    select
        unioned.source_system,
        unioned.source_id,
        unioned.person_id,
        child_identity.child_id,
        worker_map.worker_id,
        unioned.role_code,
        unioned.start_date,
        unioned.end_date,
        coalesce(unioned.team_code, workers.team_code) as team_code,
        (
            tech_closures.closure_date is not null
            or {{ is_transfer_end('unioned.end_date', 'unioned.source_system', service='either') }}
        ) as is_technical_closure
    from unioned
    inner join child_identity
        on
            unioned.source_system = child_identity.source_system
            and unioned.person_id = child_identity.person_id
    left join worker_map
        on
            unioned.source_system = worker_map.source_system
            and unioned.source_worker_id = worker_map.source_worker_id
    left join {{ ref('int_workers') }} as workers on worker_map.worker_id = workers.worker_id
    left join tech_closures
        on
            unioned.source_system = tech_closures.source_system
            and unioned.person_id = tech_closures.person_id
            and unioned.end_date = tech_closures.closure_date
    where unioned.start_date is not null

),

stitched as (

    {{ stitch_spells('enriched', ['child_id', 'role_code'], 'start_date', 'end_date',
        'is_technical_closure', order_by=['source_system', 'source_id']) }}

),

final as (

    select
        child_id,
        worker_id,
        team_code,
        role_code,
        start_date,
        end_date,
        is_stitched_start as is_continuation_after_transfer,
        stitch_seq as segment_sequence,
        source_system,
        source_id,
        person_id as source_person_id,
        md5('allocation_segment:' || source_system || ':' || source_id) as allocation_segment_id,
        md5('allocation:' || first_value(source_system || ':' || source_id) over allocation_window)
            as allocation_id,
        first_value(worker_id) over allocation_window as allocated_worker_id,
        first_value(start_date) over allocation_window as allocation_start_date,
        last_value(end_date) over allocation_window as allocation_end_date,
        stitch_seq < count(*) over allocation_window as is_ended_by_transfer
    from stitched
    window allocation_window as (
        partition by child_id, role_code, stitch_group
        order by stitch_seq
        rows between unbounded preceding and unbounded following
    )

)

select * from final
