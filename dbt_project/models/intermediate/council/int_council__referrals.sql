{#-
    A referral (REF step): a CIN episode. OUTCOME is the closure reason (RC1-RC8) or TECH.
    The council records no NFA flag (is_nfa NULL).
-#}
with

steps as (

    select * from {{ ref('int_council__steps') }}
    where step_type = 'REF'

),

final as (

    select
        step_id as referral_id,
        person_id,
        child_id,
        start_date as referral_date,
        end_date as closure_date,
        outcome as closure_reason_code,
        is_technical_closure,
        null::boolean as is_nfa,
        team_code,
        attributes ->> 'source' as referral_source_code,
        attributes ->> 'primary_need' as primary_need_code
    from steps

)

select * from final
