with

source as (

    {{ collapse_council_deltas(source('council', 'ehcp'), ['ehcp_id']) }}

),

final as (

    select
        'council'::text as source_system,
        ehcp_id,
        person_id,
        {{ parse_date('requested_on', 'yyyy-mm-dd') }} as requested_on,
        {{ parse_date('issued_on', 'yyyy-mm-dd') }} as issued_on,
        {{ parse_date('ceased_on', 'yyyy-mm-dd') }} as ceased_on,
        _extract_date
    from source

)

select * from final
