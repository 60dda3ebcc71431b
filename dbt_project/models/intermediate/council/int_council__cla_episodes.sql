{#-
    A looked-after episode (LAC step, like a 903 episode: a new row at every change of
    placement or legal status). OUTCOME is the REC code or TECH.
-#}
with

steps as (

    select * from {{ ref('int_council__steps') }}
    where step_type = 'LAC'

),

final as (

    select
        step_id as episode_id,
        referral_step_id as referral_id,
        person_id,
        child_id,
        start_date,
        end_date,
        outcome as reason_ceased_code,
        is_technical_closure,
        team_code,
        attributes ->> 'rne' as rne_code,
        attributes ->> 'legal_status' as legal_status_code,
        attributes ->> 'cin_code' as cin_code,
        attributes ->> 'placement_type' as placement_type_code,
        attributes ->> 'placement_provider' as placement_provider_code,
        upper(attributes ->> 'placement_postcode') as placement_postcode,
        upper(attributes ->> 'home_postcode') as home_postcode
    from steps

)

select * from final
