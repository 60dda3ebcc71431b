{#- One row per transition plan (council TRANS steps); no practitioner names. -#}
with

plans as (

    select * from {{ ref('int_transition_plans') }}

),

children as (

    select * from {{ ref('int_children') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        plans.transition_plan_id::text as transition_plan_key,
        pseudonyms.child_key::text as child_key,
        plans.start_date::date as start_date,
        plans.end_date::date as end_date,
        plans.plan_agreed_on::date as plan_agreed_on,
        plans.adult_services_referral_on::date as adult_services_referral_on,
        (plans.plan_agreed_on is not null)::boolean as is_agreed,
        plans.team_code::text as team_key,
        {{ age_in_years('children.date_of_birth', 'plans.start_date') }}::int as age_at_start
    from plans
    inner join pseudonyms on plans.child_id = pseudonyms.child_id
    left join children on plans.child_id = children.child_id

)

select * from final
