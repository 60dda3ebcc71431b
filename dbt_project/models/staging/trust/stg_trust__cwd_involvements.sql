with

source as (

    {{ latest_snapshot(source('trust', 'cwd_involvements'), 'trust', 'cwd_involvements') }}

),

final as (

    select
        'trust'::text as source_system,
        involvement_id,
        person_id,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('end_date', 'dd/mm/yyyy') }} as end_date,
        {{ clean_code('primary_disability') }} as primary_disability_code,
        {{ clean_code('team_code') }} as team_code,
        _extract_date
    from source

)

select * from final
