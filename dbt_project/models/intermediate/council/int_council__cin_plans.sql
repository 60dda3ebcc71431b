{#- A child in need plan (CIN step). -#}
with

steps as (

    select * from {{ ref('int_council__steps') }}
    where step_type = 'CIN'

),

final as (

    select
        step_id as cin_plan_id,
        referral_step_id as referral_id,
        person_id,
        child_id,
        start_date,
        end_date,
        outcome as end_reason,
        is_technical_closure,
        team_code
    from steps

)

select * from final
