with

source as (

    {{ collapse_council_deltas(source('council', 'allocations'), ['allocation_id']) }}

),

final as (

    select
        'council'::text as source_system,
        allocation_id,
        person_id,
        {{ clean_code('worker_id') }} as worker_id,
        {{ clean_code('role') }} as role_code,
        {{ parse_date('started_on', 'yyyy-mm-dd') }} as start_date,
        {{ parse_date('ended_on', 'yyyy-mm-dd') }} as end_date,
        _extract_date
    from source

)

select * from final
