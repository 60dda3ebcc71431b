with

source as (

    {{ latest_snapshot(source('trust', 'cp_plans'), 'trust', 'cp_plans') }}

),

final as (

    select
        'trust'::text as source_system,
        cp_plan_id,
        referral_id,
        person_id,
        {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
        {{ parse_date('end_date', 'dd/mm/yyyy') }} as end_date,
        {{ clean_code('initial_category') }} as initial_category_code,
        {{ clean_code('latest_category') }} as latest_category_code,
        {{ clean_code('end_reason') }} as end_reason,
        coalesce({{ clean_code('end_reason') }} = 'TECH', false) as is_technical_closure,
        _extract_date
    from source

)

select * from final
