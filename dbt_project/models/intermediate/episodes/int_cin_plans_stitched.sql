{#-
    Child in need plans of both systems, stitched across a transfer. The trust's CIN plans
    carry no closure reason: a trust plan ending in the 2022 transfer window (or a council
    plan ending in the 2016 one), like a council step with OUTCOME TECH, is treated as
    possibly technical (macro is_transfer_end); it is stitched only when a plan starts in
    the other system within 5 working days.
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
        plan_records.cin_plan_id as source_id,
        plan_records.person_id,
        child_identity.child_id,
        plan_records.referral_id as source_referral_id,
        plan_records.start_date,
        plan_records.end_date,
        {{ is_transfer_end('plan_records.end_date', "'trust'") }} as is_technical_closure
    from {{ ref('stg_trust__cin_plans') }} as plan_records
    left join child_identity
        on
            child_identity.source_system = 'trust'
            and plan_records.person_id = child_identity.person_id

),

council as (

    select
        'council' as source_system,
        cin_plan_id as source_id,
        person_id,
        child_id,
        referral_id as source_referral_id,
        start_date,
        end_date,
        coalesce(is_technical_closure, false)
        or {{ is_transfer_end('end_date', "'council'") }} as is_technical_closure
    from {{ ref('int_council__cin_plans') }}

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
        md5('cin_plan:' || min(source_system || ':' || source_id) filter (where stitch_seq = 1))
            as cin_plan_id,
        min(start_date) as start_date,
        (array_agg(end_date order by stitch_seq desc))[1] as end_date,
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
        grouped.cin_plan_id,
        grouped.child_id,
        referral_map.referral_id,
        grouped.start_date,
        grouped.end_date,
        grouped.record_count,
        grouped.is_stitched,
        grouped.source_ids,
        grouped.source_systems,
        grouped.source_person_ids
    from grouped
    left join referral_map
        on
            grouped.first_source_system = referral_map.source_system
            and grouped.first_source_referral_id = referral_map.source_referral_id

)

select * from final
