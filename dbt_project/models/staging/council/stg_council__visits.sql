with

source as (

    {{ collapse_council_deltas(source('council', 'visits'), ['visit_id']) }}

),

final as (

    select
        'council'::text as source_system,
        visit_id,
        person_id,
        {{ parse_date('visit_date', 'yyyy-mm-dd') }} as visit_date,
        {{ clean_code('visit_type') }} as visit_type_code,
        {{ parse_boolean('seen_alone') }} as is_seen_alone,
        {{ clean_code('worker_id') }} as worker_id,
        _extract_date
    from source

)

select * from final
