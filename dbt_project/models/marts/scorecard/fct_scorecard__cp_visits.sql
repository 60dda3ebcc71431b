{#-
    CP visits in timescale, as at each month end: children on a CP plan (denominator) with a
    CP visit (type CPV) in the 10 working days to the month end (numerator;
    fct_child_month_end.is_cp_visit_in_10_working_days, working days exclude weekends and
    bank holidays). Percentage 0-100.
-#}
with

month_ends as (

    select date_day as month_end
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

children as (

    select * from {{ ref('fct_child_month_end') }}

),

counted as (

    select
        month_ends.month_end,
        count(children.child_key) filter (where children.is_cp) as cp_visits_in_timescale__den,
        count(children.child_key) filter (
            where (children.is_cp) and (coalesce(children.is_cp_visit_in_10_working_days, false))
        ) as cp_visits_in_timescale__num
    from month_ends
    left join children
        on month_ends.month_end = children.month_end_date
    group by month_ends.month_end

),

final as (

    select
        'cp_visits_in_timescale' as measure_id,
        month_end,
        cp_visits_in_timescale__num as numerator,
        cp_visits_in_timescale__den as denominator,
        'ratio' as value_kind,
        round(100.0 * cp_visits_in_timescale__num / nullif(cp_visits_in_timescale__den, 0), 1)
            as value  -- noqa: RF04
    from counted

)

select
    measure_id::text as measure_id,
    'all'::text as breakdown,
    month_end::date as month_end,
    numerator::numeric as numerator,
    denominator::numeric as denominator,
    value::numeric as value,  -- noqa: RF04
    value_kind::text as value_kind
from final
