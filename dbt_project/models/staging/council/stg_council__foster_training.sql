with

source as (

    {{ collapse_council_deltas(source('council', 'foster_training'), ['training_id']) }}

),

final as (

    select
        'council'::text as source_system,
        training_id,
        carer_id,
        {{ clean_text('course') }} as course,
        {{ parse_date('completed_on', 'yyyy-mm-dd') }} as completed_on,
        _extract_date
    from source

)

select * from final
