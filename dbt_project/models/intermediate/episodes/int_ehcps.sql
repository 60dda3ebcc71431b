{#-
    Education, health and care plans (council only). weeks_to_issue: whole weeks from
    request to issue; issued within 20 weeks when issued_on <= requested_on + 140 days.
-#}
with

ehcps as (

    select * from {{ ref('stg_council__ehcps') }}

),

child_identity as (

    select * from {{ ref('int_child_identity') }}
    where source_system = 'council'

),

final as (

    select
        child_identity.child_id,
        ehcps.requested_on,
        ehcps.issued_on,
        ehcps.ceased_on,
        'council'::text as source_system,
        ehcps.ehcp_id as source_id,
        ehcps.person_id as source_person_id,
        md5('ehcp:council:' || ehcps.ehcp_id) as ehcp_id,
        case
            when ehcps.issued_on is not null and ehcps.requested_on is not null
                then ((ehcps.issued_on - ehcps.requested_on) / 7)::int
        end as weeks_to_issue,
        case
            when ehcps.issued_on is not null and ehcps.requested_on is not null
                then ehcps.issued_on <= ehcps.requested_on + 140
        end as is_issued_within_20_weeks
    from ehcps
    inner join child_identity on ehcps.person_id = child_identity.person_id

)

select * from final
