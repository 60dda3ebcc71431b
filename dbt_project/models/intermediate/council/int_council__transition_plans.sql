{#- A transition plan for a disabled young person aged 14-25 (TRANS step). -#}
with

steps as (

    select * from {{ ref('int_council__steps') }}
    where step_type = 'TRANS'

),

final as (

    select
        step_id as transition_plan_id,
        person_id,
        child_id,
        start_date,
        end_date,
        {{ parse_date("attributes ->> 'plan_agreed_on'", ['yyyy-mm-dd', 'dd/mm/yyyy']) }}
            as plan_agreed_on,
        {{ parse_date(
            "attributes ->> 'adult_services_referral_on'", ['yyyy-mm-dd', 'dd/mm/yyyy']
        ) }}
            as adult_services_referral_on,
        attributes ->> 'lead_practitioner' as lead_practitioner,
        team_code
    from steps

)

select * from final
