{#-
    A child protection plan (CPP step): COMPLETED_ON is the plan's end, OUTCOME TECH a
    technical closure.
-#}
with

steps as (

    select * from {{ ref('int_council__steps') }}
    where step_type = 'CPP'

),

final as (

    select
        step_id as cp_plan_id,
        referral_step_id as referral_id,
        person_id,
        child_id,
        start_date,
        end_date,
        outcome as end_reason,
        is_technical_closure,
        team_code,
        attributes ->> 'initial_category' as initial_category_code,
        coalesce(attributes ->> 'latest_category', attributes ->> 'initial_category')
            as latest_category_code
    from steps

)

select * from final
