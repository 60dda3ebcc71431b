{#-
    One row per allocation segment (a source allocation record: one worker, one system).
    allocation_key groups the segments of one allocation continuous across a system
    transfer (a technical transfer is not a change of worker): count distinct
    allocated_worker_key (the worker of the allocation's first segment) for "different
    social workers in the last 12 months"; use worker_key (who held the case on the day)
    for caseloads.
-#}
with

allocations as (

    select * from {{ ref('int_allocations_stitched') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        allocations.allocation_segment_id::text as allocation_segment_key,
        allocations.allocation_id::text as allocation_key,
        pseudonyms.child_key::text as child_key,
        {{ pseudonymise('allocations.worker_id', 'worker:') }}::text as worker_key,
        {{ pseudonymise('allocations.allocated_worker_id', 'worker:') }}::text
            as allocated_worker_key,
        allocations.team_code::text as team_key,
        allocations.role_code::text as role_code,
        allocations.start_date::date as start_date,
        allocations.end_date::date as end_date,
        allocations.allocation_start_date::date as allocation_start_date,
        allocations.allocation_end_date::date as allocation_end_date,
        allocations.segment_sequence::int as segment_sequence,
        allocations.is_ended_by_transfer::boolean as is_ended_by_transfer,
        allocations.is_continuation_after_transfer::boolean as is_continuation_after_transfer,
        (allocations.end_date is null or allocations.end_date > {{ mart_as_at_date() }})::boolean
            as is_open,
        allocations.source_system::text as source_system
    from allocations
    inner join pseudonyms on allocations.child_id = pseudonyms.child_id

)

select * from final
