{#-
    Assessments in timescale: single assessments authorised in the month (denominator), of
    which authorised within 45 working days of their start (numerator). Working days: the
    working days after the start up to and including the authorisation
    (dim_date.working_day_number of the authorisation less that of the start), so weekends
    and England and Wales bank holidays do not count (an assessment started before Easter
    gains 2 days). An assessment not yet authorised is not in the measure (it is on the
    worklist wl_assessments_due). Counted in the month of authorisation; the year to date
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
        assessments.authorised_date as event_date,
        coalesce(
            authorised_day.working_day_number - start_day.working_day_number <= 45, false
        ) as in_numerator
    from {{ ref('fct_assessments') }} as assessments
    left join {{ ref('dim_date') }} as start_day
        on assessments.start_date = start_day.date_day
    left join {{ ref('dim_date') }} as authorised_day
        on assessments.authorised_date = authorised_day.date_day
    where assessments.authorised_date is not null

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
    'assessments_in_timescale'::text as measure_id,
    'all'::text as breakdown,
    month_end::date as month_end,
    numerator::numeric as numerator,
    denominator::numeric as denominator,
    'ratio'::text as value_kind,
    round(100.0 * numerator / nullif(denominator, 0), 1)::numeric as value  -- noqa: RF04
from counted
