{#-
    Unallocated cases and unallocated days, as at each month end d.

    Population: open cases (an open CIN episode, fct_child_month_end.is_open_case).
    A case is unallocated when no allocation with role SW is open on the month end.
    Breakdowns: all; CP, CLA, CIN (fct_child_month_end.case_category: on a CP plan, else
    looked after, else CIN - they partition the open cases); and 'disabled': open cases of
    disabled children - open to the disabled children's service on the date, or with a
    disability recorded in either system (dim_child.has_disability, hidden disabilities such
    as autism included: the children the old front door missed). 'disabled' overlaps the
    other three. A child open only to the disabled children's service (no CIN episode) is
    not an open case, so it is in no breakdown.

      unallocated_cases      numerator = unallocated open cases, denominator = open cases,
                             value = the count (target 0)
      unallocated_days_mean  numerator = sum of working days unallocated, denominator =
                             unallocated cases, value = mean. Working days unallocated: from
                             fct_child_month_end.unallocated_since (the later of the last SW
                             allocation's end and the case's opening) to the month end,
                             dim_date.working_day_number(d) - working_day_number(since):
                             weekends and bank holidays are not working days
      unallocated_days_max   value = the longest (numerator = value, no denominator)
-#}
with

month_ends as (

    select date_day as month_end
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

cases as (

    select
        children.month_end_date as month_end,
        children.case_category,
        children.is_allocated_sw,
        (children.is_cwd or coalesce(child_dim.has_disability, false)) as is_disabled,
        greatest(month_day.working_day_number - since_day.working_day_number, 0)
            as unallocated_working_days
    from {{ ref('fct_child_month_end') }} as children
    left join {{ ref('dim_child') }} as child_dim
        on children.child_key = child_dim.child_key
    left join {{ ref('dim_date') }} as month_day
        on children.month_end_date = month_day.date_day
    left join {{ ref('dim_date') }} as since_day
        on children.unallocated_since = since_day.date_day
    where children.is_open_case

),

case_breakdowns as (

    select
        month_end,
        'all' as breakdown,
        is_allocated_sw,
        unallocated_working_days
    from cases
    union all
    select
        month_end,
        case_category as breakdown,
        is_allocated_sw,
        unallocated_working_days
    from cases
    where case_category in ('CP', 'CLA', 'CIN')
    union all
    select
        month_end,
        'disabled' as breakdown,
        is_allocated_sw,
        unallocated_working_days
    from cases
    where is_disabled

),

breakdown_list as (

    select breakdown
    from (values ('all'), ('CP'), ('CLA'), ('CIN'), ('disabled')) as breakdowns (breakdown)

),

grid as (

    select
        month_ends.month_end,
        breakdown_list.breakdown
    from month_ends
    cross join breakdown_list

),

counted as (

    select
        grid.month_end,
        grid.breakdown,
        count(case_breakdowns.month_end) as open_cases,
        count(*) filter (where not case_breakdowns.is_allocated_sw) as unallocated_cases,
        coalesce(
            sum(case_breakdowns.unallocated_working_days)
            filter (where not case_breakdowns.is_allocated_sw),
            0
        ) as unallocated_days_total,
        max(case_breakdowns.unallocated_working_days)
        filter (where not case_breakdowns.is_allocated_sw) as unallocated_days_max
    from grid
    left join case_breakdowns
        on
            grid.month_end = case_breakdowns.month_end
            and grid.breakdown = case_breakdowns.breakdown
    group by grid.month_end, grid.breakdown

),

final as (

    select
        'unallocated_cases' as measure_id,
        breakdown,
        month_end,
        unallocated_cases::numeric as numerator,
        open_cases::numeric as denominator,
        unallocated_cases::numeric as value,  -- noqa: RF04
        'count' as value_kind
    from counted
    union all
    select
        'unallocated_days_mean' as measure_id,
        breakdown,
        month_end,
        unallocated_days_total::numeric as numerator,
        unallocated_cases::numeric as denominator,
        round(unallocated_days_total::numeric / nullif(unallocated_cases, 0), 1)
            as value,  -- noqa: RF04
        'mean' as value_kind
    from counted
    union all
    select
        'unallocated_days_max' as measure_id,
        breakdown,
        month_end,
        coalesce(unallocated_days_max, 0)::numeric as numerator,
        null::numeric as denominator,
        coalesce(unallocated_days_max, 0)::numeric as value,  -- noqa: RF04
        'max' as value_kind
    from counted

)

select
    measure_id::text as measure_id,
    breakdown::text as breakdown,
    month_end::date as month_end,
    numerator::numeric as numerator,
    denominator::numeric as denominator,
    value::numeric as value,  -- noqa: RF04
    value_kind::text as value_kind
from final
