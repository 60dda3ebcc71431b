{#-
    Child protection plans of both systems, one row per plan, a technical closure (end
    reason / OUTCOME TECH) and the plan reopened in the other system within 5 working days
    stitched into one continuous plan: not a new plan, and its length runs from the first
    start to the last end (the "long CP plans" measure). Initial category from the first
    record, latest category and end reason from the last.
-#}
with

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

referral_map as (

    select * from {{ ref('int_referrals_source_map') }}

),

trust as (

    select
        'trust' as source_system,
        plan_records.cp_plan_id as source_id,
        plan_records.person_id,
        child_identity.child_id,
        plan_records.referral_id as source_referral_id,
        plan_records.start_date,
        plan_records.end_date,
        plan_records.initial_category_code,
        plan_records.latest_category_code,
        plan_records.end_reason,
        coalesce(plan_records.is_technical_closure, plan_records.end_reason = 'TECH', false)
            as is_technical_closure,
        null::text as team_code
    from {{ ref('stg_trust__cp_plans') }} as plan_records
    left join child_identity
        on
            child_identity.source_system = 'trust'
            and plan_records.person_id = child_identity.person_id

),

council as (

    select
        'council' as source_system,
        cp_plan_id as source_id,
        person_id,
        child_id,
        referral_id as source_referral_id,
        start_date,
        end_date,
        initial_category_code,
        latest_category_code,
        end_reason,
        coalesce(is_technical_closure, false) as is_technical_closure,
        team_code
    from {{ ref('int_council__cp_plans') }}

),

unioned as (

    select * from trust
    where child_id is not null and start_date is not null
    union all
    select * from council
    where child_id is not null and start_date is not null

),

stitched as (

    {{ stitch_spells('unioned', 'child_id', 'start_date', 'end_date', 'is_technical_closure',
        order_by=['source_system', 'source_id']) }}

),

grouped as (

    select
        child_id,
        md5('cp_plan:' || min(source_system || ':' || source_id) filter (where stitch_seq = 1))
            as cp_plan_id,
        min(start_date) as start_date,
        (array_agg(end_date order by stitch_seq desc))[1] as end_date,
        (array_agg(initial_category_code order by stitch_seq))[1] as initial_category_code,
        (array_agg(latest_category_code order by stitch_seq desc))[1] as latest_category_code,
        (array_agg(end_reason order by stitch_seq desc))[1] as end_reason,
        (array_agg(is_technical_closure order by stitch_seq desc))[1]
            as is_ended_by_technical_closure,
        (array_agg(source_system order by stitch_seq))[1] as first_source_system,
        (array_agg(source_referral_id order by stitch_seq))[1] as first_source_referral_id,
        count(*)::int as record_count,
        count(*) > 1 as is_stitched,
        array_agg(source_system || ':' || source_id order by stitch_seq) as source_ids,
        array_agg(source_system order by stitch_seq) as source_systems,
        array_agg(person_id order by stitch_seq) as source_person_ids
    from stitched
    group by child_id, stitch_group

),

final as (

    select
        grouped.cp_plan_id,
        grouped.child_id,
        referral_map.referral_id,
        grouped.start_date,
        grouped.end_date,
        grouped.initial_category_code,
        grouped.latest_category_code,
        grouped.end_reason,
        grouped.is_ended_by_technical_closure,
        grouped.record_count,
        grouped.is_stitched,
        grouped.source_ids,
        grouped.source_systems,
        grouped.source_person_ids,
        row_number() over (
            partition by grouped.child_id order by grouped.start_date, grouped.cp_plan_id
        )::int as plan_sequence,
        lag(grouped.end_date) over (
            partition by grouped.child_id order by grouped.start_date, grouped.cp_plan_id
        ) as previous_plan_end_date
    from grouped
    left join referral_map
        on
            grouped.first_source_system = referral_map.source_system
            and grouped.first_source_referral_id = referral_map.source_referral_id

)

select * from final
