with

source as (

    {{ latest_snapshot(source('trust', 'cp_plans'), 'trust', 'cp_plans') }}

),

final as (

    select
        'trust'::text as source_system,
        cp_plan_id,
        {{ trust_cp_plan_columns() }},
        _extract_date
    from source

)

select * from final
