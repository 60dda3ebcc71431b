{#-
    Every source CP plan record (trust cp_plans, council CPP steps) of a known child ends up
    in exactly one stitched plan, and the stitched plans' record counts add up.
-#}
with

members as (

    select unnest(source_ids) as source_key
    from {{ ref('int_cp_plans_stitched') }}

),

sources as (

    select 'trust:' || plan_records.cp_plan_id as source_key
    from {{ ref('stg_trust__cp_plans') }} as plan_records
    inner join {{ ref('int_child_identity') }} as child_identity
        on
            child_identity.source_system = 'trust'
            and plan_records.person_id = child_identity.person_id
    where plan_records.start_date is not null
    union all
    select 'council:' || cp_plan_id
    from {{ ref('int_council__cp_plans') }}
    where child_id is not null and start_date is not null

),

counted as (

    select
        coalesce(sources.source_key, members.source_key) as source_key,
        count(distinct members.source_key) as in_plans,
        count(members.source_key) as times_used
    from sources
    full outer join members on sources.source_key = members.source_key
    group by coalesce(sources.source_key, members.source_key)

)

select *
from counted
where in_plans != 1 or times_used != 1
