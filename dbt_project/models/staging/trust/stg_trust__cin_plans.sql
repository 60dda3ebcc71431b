with

source as (

    {{ latest_snapshot(source('trust', 'cin_plans'), 'trust', 'cin_plans') }}

),

final as (

    select
        'trust'::text as source_system,
        cin_plan_id,
        referral_id,
        person_id,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('end_date', 'dd/mm/yyyy') }} as end_date,
        _extract_date
    from source

)

select * from final
