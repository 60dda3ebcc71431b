with

source as (

    {{ collapse_council_deltas(source('council', 'foster_carers'), ['carer_id']) }}

),

final as (

    select
        'council'::text as source_system,
        carer_id,
        {{ clean_text('household') }} as household,
        {{ parse_date('approved_on', 'yyyy-mm-dd') }} as approved_on,
        {{ parse_date('deregistered_on', 'yyyy-mm-dd') }} as deregistered_on,
        {{ parse_integer('places') }} as places,
        {{ parse_date('dbs_checked_on', 'yyyy-mm-dd') }} as dbs_checked_on,
        {{ parse_date('medical_on', 'yyyy-mm-dd') }} as medical_on,
        {{ parse_boolean('references_complete') }} as is_references_complete,
        {{ parse_date('last_review_on', 'yyyy-mm-dd') }} as last_review_on,
        {{ parse_date('tsd_completed_on', 'yyyy-mm-dd') }} as tsd_completed_on,
        {{ clean_code('supervising_worker_id') }} as supervising_worker_id,
        _extract_date
    from source

)

select * from final
