{#-
    A single assessment (ASMT step): COMPLETED_ON is the date it was authorised; factors
    from the attributes.
-#}
with

steps as (

    select * from {{ ref('int_council__steps') }}
    where step_type = 'ASMT'

),

final as (

    select
        step_id as assessment_id,
        referral_step_id as referral_id,
        person_id,
        child_id,
        start_date,
        end_date as authorised_date,
        team_code,
        array(select jsonb_array_elements_text(coalesce(attributes -> 'factors', '[]'::jsonb)))
            as factor_codes
    from steps

)

select * from final
