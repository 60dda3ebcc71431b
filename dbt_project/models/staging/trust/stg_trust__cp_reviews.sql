with

source as (

    {{ latest_snapshot(source('trust', 'cp_reviews'), 'trust', 'cp_reviews') }}

),

final as (

    select
        'trust'::text as source_system,
        cp_plan_id,
        {{ parse_date('review_date', 'dd/mm/yyyy') }} as review_date,
        _extract_date
    from source

)

select * from final
