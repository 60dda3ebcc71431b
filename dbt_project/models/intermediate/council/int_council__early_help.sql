{#-
    Early help episodes (EH steps; early help stayed with the council throughout, so these
    run through the trust years too): start, end, how it ended (COMPLETED, WITHDRAWN,
    ESCALATED to a referral; NULL while open), the team, and the contact that led to it.
-#}
with

steps as (

    select * from {{ ref('int_council__steps') }}
    where step_type = 'EH'

),

final as (

    select
        step_id as early_help_id,
        person_id,
        child_id,
        start_date,
        end_date,
        outcome as outcome_code,
        team_code,
        case when parent_step_type = 'CONTACT' then parent_step_id end as contact_id
    from steps

)

select * from final
