{#- An involvement of the disabled children's service (CWD step). -#}
with

steps as (

    select * from {{ ref('int_council__steps') }}
    where step_type = 'CWD'

),

final as (

    select
        step_id as involvement_id,
        person_id,
        child_id,
        start_date,
        end_date,
        outcome as end_reason,
        is_technical_closure,
        team_code,
        attributes ->> 'primary_disability' as primary_disability_code
    from steps

)

select * from final
