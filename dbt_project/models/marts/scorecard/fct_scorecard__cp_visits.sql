{#-
    CP visits in timescale, as at each month end d (percentage 0-100).

      denominator  CP plans open on d (fct_cp_plans, stitched: a plan continuous across the
                   2022 transfer is one plan; open = start_date <= d and (end_date is null
                   or end_date > d)). The definition has no grace period: a plan started in
                   the last 10 working days counts like any other.
      numerator    ... with a CP visit (visit type CPV) at which the child was seen, in the
                   last 10 working days: the 10 working days up to and including d (d is not
                   always a working day: then the 10 before it). The systems record "seen"
                   only as seen alone (trust seen_alone, council SEEN_ALONE); a CPV visit
                   not marked seen does not count.

    Working days exclude weekends and bank holidays (dim_date.working_day_number): the
    window starts on the working day numbered wdn(d) - 9, and a visit on or after that day
    and on or before d counts. This is the same clock as the worklist: a visit is due 10
    working days after the last one, and on d a child is out of time exactly when that due
    date is before d.
-#}
with

calendar as (

    select
        date_day,
        is_working_day,
        working_day_number
    from {{ ref('dim_date') }}

),

month_ends as (

    select
        date_day as month_end,
        working_day_number
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

windows as (

    select
        month_ends.month_end,
        min(window_days.date_day) as window_start
    from month_ends
    inner join calendar as window_days
        on
            window_days.working_day_number = month_ends.working_day_number - 9
            and window_days.is_working_day
    group by month_ends.month_end

),

plans as (

    select
        cp_plan_key,
        child_key,
        start_date,
        end_date
    from {{ ref('fct_cp_plans') }}

),

seen_visits as (

    select
        child_key,
        visit_date
    from {{ ref('fct_visits') }}
    where visit_type_code = 'CPV' and is_seen_alone

),

open_plans as (

    select
        month_ends.month_end,
        windows.window_start,
        plans.cp_plan_key,
        plans.child_key
    from month_ends
    inner join windows
        on month_ends.month_end = windows.month_end
    inner join plans
        on
            month_ends.month_end >= plans.start_date
            and (plans.end_date is null or month_ends.month_end < plans.end_date)

),

visited_in_time as (

    {#- a join and distinct, not a correlated EXISTS per plan and month (a scan of the
        visits for each: minutes at scale 1) -#}

    select distinct
        open_plans.month_end,
        open_plans.cp_plan_key
    from open_plans
    inner join seen_visits
        on
            open_plans.child_key = seen_visits.child_key
            and seen_visits.visit_date between open_plans.window_start and open_plans.month_end

),

counted as (

    select
        month_ends.month_end,
        count(open_plans.cp_plan_key) as denominator,
        count(visited_in_time.cp_plan_key) as numerator
    from month_ends
    left join open_plans
        on month_ends.month_end = open_plans.month_end
    left join visited_in_time
        on
            open_plans.month_end = visited_in_time.month_end
            and open_plans.cp_plan_key = visited_in_time.cp_plan_key
    group by month_ends.month_end

)

select
    'cp_visits_in_timescale'::text as measure_id,
    'all'::text as breakdown,
    month_end::date as month_end,
    numerator::numeric as numerator,
    denominator::numeric as denominator,
    'ratio'::text as value_kind,
    round(100.0 * numerator / nullif(denominator, 0), 1)::numeric as value  -- noqa: RF04
from counted
