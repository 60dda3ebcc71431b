with

source as (

    {{ collapse_council_deltas(source('council', 'placements'), ['placement_id']) }}

),

final as (

    select
        'council'::text as source_system,
        placement_id,
        person_id,
        carer_id,
        {{ parse_date('started_on', 'yyyy-mm-dd') }} as start_date,
        {{ parse_date('ended_on', 'yyyy-mm-dd') }} as end_date,
        _extract_date
    from source

)

select * from final
