{#- A CP review (CPREV step), linked to its plan by PARENT_STEP_ID. -#}
with

steps as (

    select * from {{ ref('int_council__steps') }}
    where step_type = 'CPREV'

),

final as (

    select
        step_id as cp_review_id,
        parent_step_id as cp_plan_id,
        person_id,
        child_id,
        start_date as review_date,
        team_code
    from steps

)

select * from final
