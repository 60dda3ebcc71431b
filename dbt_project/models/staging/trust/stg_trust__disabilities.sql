with

source as (

    {{ latest_snapshot(source('trust', 'disabilities'), 'trust', 'disabilities') }}

),

final as (

    select
        'trust'::text as source_system,
        person_id,
        {{ clean_code('disability') }} as disability_code,
        {{ parse_date('recorded_on', 'dd/mm/yyyy') }} as recorded_on,
        _extract_date
    from source

)

select * from final
