{#-
    One row per child protection plan, continuous across a system transfer (a technical
    closure and its reopening within 5 working days are one plan, from the first start to
    the last end). plan_sequence counts the child's plans ever (1 = first); is_repeat_plan:
    a second or subsequent plan; is_repeat_within_2_years: its previous plan ended in the 2
    years before this one started. duration_days: to the end, or to the as-at date when open.

    For worklists (as at the build date): last_review_date / next_review_due_date (the
    first review 3 months after the start, later ones 6 months after the previous review)
    and last_cp_visit_date / next_cp_visit_due_date (a CP visit - visit type CPV - every 10
    working days; the first due 10 working days after the start).
-#}
with

plans as (

    select * from {{ ref('int_cp_plans_stitched') }}

),

children as (

    select * from {{ ref('int_children') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

working_days as (

    select
        working_day_number,
        min(date_day) as date_day
    from dates
    group by working_day_number

),

reviews as (

    select
        cp_plan_id,
        max(review_date) as last_review_date
    from {{ ref('int_cp_reviews_unioned') }}
    where review_date <= {{ mart_as_at_date() }}
    group by cp_plan_id

),

cp_visits as (

    select
        plan_records.cp_plan_id,
        max(visits.visit_date) as last_cp_visit_date
    from plans as plan_records
    inner join {{ ref('int_visits_unioned') }} as visits
        on
            plan_records.child_id = visits.child_id
            and visits.visit_type_code = 'CPV'
            and plan_records.start_date <= visits.visit_date
            and visits.visit_date <= coalesce(plan_records.end_date, {{ mart_as_at_date() }})
            and visits.visit_date <= {{ mart_as_at_date() }}
    group by plan_records.cp_plan_id

),

final as (

    select
        plans.cp_plan_id::text as cp_plan_key,
        pseudonyms.child_key::text as child_key,
        plans.referral_id::text as referral_key,
        plans.start_date::date as start_date,
        plans.end_date::date as end_date,
        plans.initial_category_code::text as initial_category_code,
        plans.latest_category_code::text as latest_category_code,
        plans.end_reason::text as end_reason,
        plans.plan_sequence::int as plan_sequence,
        (plans.plan_sequence > 1)::boolean as is_repeat_plan,
        coalesce(
            plans.previous_plan_end_date >= (plans.start_date - interval '2 years')::date, false
        )::boolean as is_repeat_within_2_years,
        plans.previous_plan_end_date::date as previous_plan_end_date,
        (coalesce(plans.end_date, {{ mart_as_at_date() }}) - plans.start_date)::int
            as duration_days,
        coalesce(
            plans.end_date >= (plans.start_date + interval '2 years')::date, false
        )::boolean as is_ended_after_2_years_or_more,
        (plans.end_date is null or plans.end_date > {{ mart_as_at_date() }})::boolean as is_open,
        {{ age_in_years('children.date_of_birth', 'plans.start_date') }}::int as age_at_start,
        reviews.last_review_date::date as last_review_date,
        (
            case
                when reviews.last_review_date is null then plans.start_date + interval '3 months'
                else reviews.last_review_date + interval '6 months'
            end
        )::date as next_review_due_date,
        cp_visits.last_cp_visit_date::date as last_cp_visit_date,
        visit_due.date_day::date as next_cp_visit_due_date,
        plans.is_stitched::boolean as is_stitched,
        plans.record_count::int as record_count,
        array_to_string(plans.source_systems, ',')::text as source_systems
    from plans
    inner join pseudonyms on plans.child_id = pseudonyms.child_id
    left join children on plans.child_id = children.child_id
    left join reviews on plans.cp_plan_id = reviews.cp_plan_id
    left join cp_visits on plans.cp_plan_id = cp_visits.cp_plan_id
    left join dates as last_visit_day
        on coalesce(cp_visits.last_cp_visit_date, plans.start_date) = last_visit_day.date_day
    left join working_days as visit_due
        on last_visit_day.working_day_number + 10 = visit_due.working_day_number

)

select * from final
