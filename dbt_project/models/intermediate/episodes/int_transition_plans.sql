{#-
    Transition plans for disabled young people (council TRANS steps; the trust recorded
    none). A plan is agreed when plan_agreed_on is filled.
-#}
with

plans as (

    select * from {{ ref('int_council__transition_plans') }}

),

final as (

    select
        child_id,
        start_date,
        end_date,
        plan_agreed_on,
        adult_services_referral_on,
        lead_practitioner,
        team_code,
        'council'::text as source_system,
        transition_plan_id as source_id,
        person_id as source_person_id,
        md5('transition_plan:council:' || transition_plan_id) as transition_plan_id
    from plans
    where child_id is not null and start_date is not null

)

select * from final
