{#-
    Traces a scorecard figure to children: one row per child-level measure, month end and
    child counted in its denominator (in_denominator true) or numerator, for the 24 month
    ends to the as-at month. The same rules as the fct_scorecard__* models:
    sum(in_numerator::int) for a point-in-time measure (unallocated cases, CP visits,
    placements, SW changes, disabled children, transition plans) equals the scorecard's
    numerator. For event measures (assessments, re-referrals, CP plans, CP reviews, EHCPs)
    a child with two events in the month is one row (in_numerator if any counts), so the
    row count can be below the scorecard's event count.
-#}
with

month_ends as (

    select
        date_day as month_end,
        month_start
    from {{ ref('dim_date') }}
    where
        is_month_end
        and date_day between date '2015-04-30' and {{ mart_as_at_date() }}
        and date_day > ({{ mart_as_at_date() }} - interval '24 months')::date

),

cp_visit_windows as (

    -- the last 10 working days to the month end: from the working day numbered wdn(d) - 9
    select
        month_ends.month_end,
        min(window_days.date_day) as window_start
    from month_ends
    inner join {{ ref('dim_date') }} as month_days
        on month_ends.month_end = month_days.date_day
    inner join {{ ref('dim_date') }} as window_days
        on
            window_days.working_day_number = month_days.working_day_number - 9
            and window_days.is_working_day
    group by month_ends.month_end

),

cp_visit_plans as (

    select
        cp_visit_windows.month_end,
        cp_visit_windows.window_start,
        cp_plans.child_key
    from cp_visit_windows
    inner join {{ ref('fct_cp_plans') }} as cp_plans
        on
            cp_visit_windows.month_end >= cp_plans.start_date
            and (cp_plans.end_date is null or cp_visit_windows.month_end < cp_plans.end_date)

),

cp_visits_seen as (

    select distinct
        cp_visit_plans.month_end,
        cp_visit_plans.child_key
    from cp_visit_plans
    inner join {{ ref('fct_visits') }} as visits
        on
            cp_visit_plans.child_key = visits.child_key
            and visits.visit_type_code = 'CPV'
            and visits.is_seen_alone
            and visits.visit_date between cp_visit_plans.window_start and cp_visit_plans.month_end

),

cp_visit_children as (

    -- the same rule as fct_scorecard__cp_visits: CP plans open on d, with a CPV visit at
    -- which the child was seen (alone) in the window (a join, not an EXISTS per plan)
    select distinct
        'cp_visits_in_timescale' as measure_id,
        cp_visit_plans.month_end,
        cp_visit_plans.child_key,
        cp_visits_seen.child_key is not null as in_numerator
    from cp_visit_plans
    left join cp_visits_seen
        on
            cp_visit_plans.month_end = cp_visits_seen.month_end
            and cp_visit_plans.child_key = cp_visits_seen.child_key

),

children as (

    select children.*
    from {{ ref('fct_child_month_end') }} as children
    inner join month_ends
        on children.month_end_date = month_ends.month_end

),

point_in_time as (

    select
        'unallocated_cases' as measure_id,
        month_end_date as month_end,
        child_key,
        not is_allocated_sw as in_numerator
    from children
    where is_open_case

    union all
    select
        'placement_3plus' as measure_id,
        month_end_date as month_end,
        child_key,
        coalesce(placement_count_12m, 0) >= 3 as in_numerator
    from children
    where is_cla
    union all
    select
        'placement_long_term' as measure_id,
        month_end_date as month_end,
        child_key,
        coalesce(current_placement_start_date <= (month_end_date - interval '2 years')::date, false)
            as in_numerator
    from children
    where
        is_cla
        and age_years < 16
        and care_period_start_date <= (month_end_date - interval '30 months')::date
    union all
    select
        'sw_changes_3plus' as measure_id,
        month_end_date as month_end,
        child_key,
        coalesce(social_worker_count_12m, 0) >= 3 as in_numerator
    from children
    where is_open_case
    union all
    select
        'disabled_children' as measure_id,
        month_end_date as month_end,
        child_key,
        true as in_numerator
    from children
    where is_cwd
    union all
    select
        'disabled_children_hidden' as measure_id,
        month_end_date as month_end,
        child_key,
        coalesce(has_hidden_disability, false) as in_numerator
    from children
    where is_cwd
    union all
    select
        'transition_plans_missing' as measure_id,
        month_end_date as month_end,
        child_key,
        not coalesce(has_agreed_transition_plan, false) as in_numerator
    from children
    where age_years between 14 and 25 and (is_cwd or has_active_ehcp)

),

events as (

    select
        'assessments_in_timescale' as measure_id,
        child_key,
        authorised_date as event_date,
        coalesce(is_authorised_within_45_working_days, false) as in_numerator
    from {{ ref('fct_assessments') }}
    union all
    select
        're_referrals' as measure_id,
        child_key,
        referral_date as event_date,
        coalesce(is_re_referral, false) as in_numerator
    from {{ ref('fct_referrals') }}
    union all
    select
        'repeat_cp_plans' as measure_id,
        child_key,
        start_date as event_date,
        coalesce(is_repeat_plan, false) as in_numerator
    from {{ ref('fct_cp_plans') }}
    union all
    select
        'repeat_cp_plans_2y' as measure_id,
        child_key,
        start_date as event_date,
        coalesce(is_repeat_within_2_years, false) as in_numerator
    from {{ ref('fct_cp_plans') }}
    union all
    select
        'long_cp_plans' as measure_id,
        child_key,
        end_date as event_date,
        coalesce(is_ended_after_2_years_or_more, false) as in_numerator
    from {{ ref('fct_cp_plans') }}
    union all
    select
        'cp_reviews_in_timescale' as measure_id,
        child_key,
        review_date as event_date,
        coalesce(is_in_timescale, false) as in_numerator
    from {{ ref('fct_cp_reviews') }}
    union all
    select
        'ehcps_in_20_weeks' as measure_id,
        child_key,
        issued_on as event_date,
        coalesce(is_issued_within_20_weeks, false) as in_numerator
    from {{ ref('fct_ehcps') }}

),

event_children as (

    select
        events.measure_id,
        month_ends.month_end,
        events.child_key,
        bool_or(events.in_numerator) as in_numerator
    from events
    inner join month_ends
        on events.event_date between month_ends.month_start and month_ends.month_end
    group by events.measure_id, month_ends.month_end, events.child_key

),

final as (

    select * from point_in_time
    union all
    select * from cp_visit_children
    union all
    select * from event_children

)

select
    measure_id::text as measure_id,
    month_end::date as month_end,
    child_key::text as child_key,
    in_numerator::boolean as in_numerator,
    true::boolean as in_denominator
from final
