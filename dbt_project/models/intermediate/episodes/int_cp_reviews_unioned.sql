{#-
    CP reviews of both systems, attached to the stitched plan their source plan belongs to,
    numbered within the stitched plan (review 1 is the first review of the plan, even when
    the plan crossed a transfer). due_date: the first review is due within 3 months of the
    plan's start, later ones within 6 months of the previous review.
-#}
with

plans as (

    select * from {{ ref('int_cp_plans_stitched') }}

),

plan_map as (

    select
        plans.cp_plan_id,
        plans.child_id,
        plans.start_date as plan_start_date,
        members.source_key
    from plans
    cross join lateral unnest(plans.source_ids) as members (source_key)

),

unioned as (

    select
        'trust' as source_system,
        reviews.cp_plan_id || ':' || reviews.review_date::text as source_id,
        'trust:' || reviews.cp_plan_id as plan_source_key,
        reviews.review_date
    from {{ ref('stg_trust__cp_reviews') }} as reviews

    union all

    select
        'council' as source_system,
        cp_review_id,
        'council:' || cp_plan_id as plan_source_key,
        review_date
    from {{ ref('int_council__cp_reviews') }}

),

joined as (

    select
        plan_map.cp_plan_id,
        plan_map.child_id,
        plan_map.plan_start_date,
        unioned.review_date,
        unioned.source_system,
        unioned.source_id,
        md5('cp_review:' || unioned.source_system || ':' || unioned.source_id) as cp_review_id
    from unioned
    inner join plan_map on unioned.plan_source_key = plan_map.source_key
    where unioned.review_date is not null

),

final as (

    select
        cp_review_id,
        cp_plan_id,
        child_id,
        review_date,
        source_system,
        source_id,
        row_number() over (partition by cp_plan_id order by review_date, cp_review_id)::int
            as review_sequence,
        (
            coalesce(
                lag(review_date) over (partition by cp_plan_id order by review_date, cp_review_id),
                plan_start_date
            )
            + case
                when
                    lag(review_date)
                        over (partition by cp_plan_id order by review_date, cp_review_id)
                    is null then interval '3 months'
                else interval '6 months'
            end
        )::date as due_date
    from joined

)

select
    *,
    review_date <= due_date as is_in_timescale
from final
