{#-
    The council's workflow steps with the child they belong to and the steps they hang off,
    resolved once for the per-type models: referral_step_id (the REF the step belongs to:
    itself for a REF, else the nearest REF up the PARENT_STEP_ID chain, up to 3 levels),
    and parent_step_type.
-#}
with

steps as (

    select * from {{ ref('stg_council__workflow_steps') }}

),

child_identity as (

    select * from {{ ref('int_child_identity') }}
    where source_system = 'council'

),

final as (

    select
        steps.step_id,
        steps.person_id,
        child_identity.child_id,
        steps.step_type,
        steps.start_date,
        steps.end_date,
        steps.outcome,
        steps.parent_step_id,
        parent.step_type as parent_step_type,
        steps.team_code,
        steps.attributes,
        steps._extract_date,
        steps.outcome = 'TECH' as is_technical_closure,
        case
            when steps.step_type = 'REF' then steps.step_id
            when parent.step_type = 'REF' then parent.step_id
            when grandparent.step_type = 'REF' then grandparent.step_id
            when great_grandparent.step_type = 'REF' then great_grandparent.step_id
        end as referral_step_id
    from steps
    left join child_identity on steps.person_id = child_identity.person_id
    left join steps as parent on steps.parent_step_id = parent.step_id
    left join steps as grandparent on parent.parent_step_id = grandparent.step_id
    left join steps as great_grandparent on grandparent.parent_step_id = great_grandparent.step_id

)

select * from final
