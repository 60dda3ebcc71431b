{#-
    EHCPs in 20 weeks: EHCPs issued in the period (denominator), of which issued within 20
    weeks of the request (numerator, fct_ehcps.is_issued_within_20_weeks).
    Counted in the month of the event (value = 100 * numerator / denominator); year to date
    sums the months from 1 April (fct_scorecard_monthly).
-#}
with

month_ends as (

    select
        date_day as month_end,
        month_start
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

events as (

    select
        issued_on as event_date,
        coalesce(is_issued_within_20_weeks, false) as in_numerator
    from {{ ref('fct_ehcps') }}
    where issued_on is not null

),

counted as (

    select
        month_ends.month_end,
        count(events.event_date) as denominator,
        count(*) filter (where events.in_numerator) as numerator
    from month_ends
    left join events
        on events.event_date between month_ends.month_start and month_ends.month_end
    group by month_ends.month_end

)

select
    'ehcps_in_20_weeks'::text as measure_id,
    'all'::text as breakdown,
    month_end::date as month_end,
    numerator::numeric as numerator,
    denominator::numeric as denominator,
    'ratio'::text as value_kind,
    round(100.0 * numerator / nullif(denominator, 0), 1)::numeric as value  -- noqa: RF04
from counted
