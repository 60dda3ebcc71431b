with

source as (

    {{ collapse_council_deltas(
        source('council', 'disabilities'),
        ['person_id', 'disability_code', 'start_date'],
        table_name='disabilities'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        person_id,
        {{ clean_code('disability_code') }} as disability_code,
        {{ parse_date('start_date', 'yyyy-mm-dd') }} as start_date,
        {{ parse_date('end_date', 'yyyy-mm-dd') }} as end_date,
        {{ parse_boolean('hidden') }} as is_hidden_flag,
        _extract_date
    from source

)

select * from final
