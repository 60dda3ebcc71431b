{#- One row per child in need plan, continuous across a system transfer. -#}
with

plans as (

    select * from {{ ref('int_cin_plans_stitched') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        plans.cin_plan_id::text as cin_plan_key,
        pseudonyms.child_key::text as child_key,
        plans.referral_id::text as referral_key,
        plans.start_date::date as start_date,
        plans.end_date::date as end_date,
        (plans.end_date is null or plans.end_date > {{ mart_as_at_date() }})::boolean as is_open,
        plans.is_stitched::boolean as is_stitched,
        plans.record_count::int as record_count,
        array_to_string(plans.source_systems, ',')::text as source_systems
    from plans
    inner join pseudonyms on plans.child_id = pseudonyms.child_id

)

select * from final
