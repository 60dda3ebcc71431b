{#-
    The monthly scorecard: one row per measure, breakdown, month end and period ('month':
    as at / in the month; 'ytd': the financial year to date, from 1 April), from 2015-04 to
    the last month end on or before the as-at date.

    Each fct_scorecard__<family> model gives the monthly rows (numerator, denominator, value,
    value_kind). The year to date by value_kind:
      ratio   sum of the monthly numerators / sum of the denominators (events in the year
              for event measures; the average month-end position for point-in-time ones)
      mean    sum / sum (e.g. all unallocated case-days / all unallocated cases)
      count   the average of the month-end counts
      median  the average of the month-end medians
      max     the highest month-end value

    Targets, direction, amber tolerance and units come from the seed scorecard_targets
    (editable by a service manager). RAG, with t = the target and a = amber_tolerance (0.1 =
    10 %, the spec's "within 10 %"; a missing tolerance with a target means 0.1):
      max (value must be <= t)  green value <= t; amber value <= t * (1 + a); red beyond
      min (value must be >= t)  green value >= t; amber value >= t * (1 - a); red beyond
    So a target of 0 has no amber band (0 * 1.1 = 0): green only at 0, red otherwise -
    except unallocated cases (the spec: "0, red if any CP case is unallocated"): green at 0,
    red when any CP case is unallocated (breakdowns all and CP), amber when only non-CP
    cases are (and always amber above 0 on the CLA, CIN and disabled rows: a disabled
    child's unallocated CP case shows red on the CP and all rows). caseload_max has
    tolerance 0 ("none over 25"). 'none' when the measure has no target or no value (no
    denominator that month).
    The year-to-date row gets its RAG from the year-to-date value the same way.
-#}
with

families as (

    {%- for family in [
        'unallocated', 'workforce', 'caseload', 'assessments', 'referrals', 'cp_plans',
        'cp_reviews', 'cp_visits', 'placements', 'sw_changes', 'disabled', 'ehcps',
        'foster_carers'
    ] %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select
            measure_id,
            breakdown,
            month_end,
            numerator,
            denominator,
            value,
            value_kind
        from {{ ref('fct_scorecard__' ~ family) }}
    {%- endfor %}

),

with_year as (

    select
        families.*,
        dates.financial_year_start
    from families
    inner join {{ ref('dim_date') }} as dates
        on families.month_end = dates.date_day

),

monthly as (

    select
        measure_id,
        breakdown,
        month_end,
        'month' as period,
        numerator,
        denominator,
        value
    from with_year

),

year_to_date as (

    select
        this_month.measure_id,
        this_month.breakdown,
        this_month.month_end,
        'ytd' as period,
        case this_month.value_kind
            when 'ratio' then sum(year_months.numerator)
            when 'mean' then sum(year_months.numerator)
            when 'max' then max(year_months.numerator)
            else round(avg(year_months.numerator), 1)
        end as numerator,
        case this_month.value_kind
            when 'ratio' then sum(year_months.denominator)
            when 'mean' then sum(year_months.denominator)
            when 'max' then null
            else round(avg(year_months.denominator), 1)
        end as denominator,
        case this_month.value_kind
            when 'ratio'
                then round(
                    100.0 * sum(year_months.numerator) / nullif(sum(year_months.denominator), 0),
                    1
                )
            when 'mean'
                then round(sum(year_months.numerator) / nullif(sum(year_months.denominator), 0), 1)
            when 'max' then max(year_months.value)
            else round(avg(year_months.value), 1)
        end as value  -- noqa: RF04
    from with_year as this_month
    inner join with_year as year_months
        on
            this_month.measure_id = year_months.measure_id
            and this_month.breakdown = year_months.breakdown
            and year_months.month_end between this_month.financial_year_start
            and this_month.month_end
    group by
        this_month.measure_id,
        this_month.breakdown,
        this_month.month_end,
        this_month.value_kind

),

all_periods as (

    select * from monthly
    union all
    select * from year_to_date

),

targets as (

    select * from {{ ref('scorecard_targets') }}

),

with_targets as (

    select
        all_periods.*,
        targets.sort_order,
        coalesce(targets.measure_name, all_periods.measure_id) as measure_name,
        coalesce(targets.direction, 'none') as direction,
        coalesce(targets.unit, 'number') as unit,
        case when targets.direction in ('max', 'min') then targets.target end
            as target,  -- noqa: RF04
        case
            when targets.direction in ('max', 'min') then coalesce(targets.amber_tolerance, 0.1)
        end as amber_tolerance,
        max(all_periods.value) filter (where all_periods.breakdown = 'CP') over (
            partition by all_periods.measure_id, all_periods.month_end, all_periods.period
        ) as cp_value
    from all_periods
    left join targets
        on all_periods.measure_id = targets.measure_id

),

final as (

    select
        measure_id,
        measure_name,
        breakdown,
        month_end,
        period,
        numerator,
        denominator,
        value,
        unit,
        target,
        direction,
        amber_tolerance,
        sort_order,
        case
            when target is null or value is null then 'none'
            when
                measure_id = 'unallocated_cases' and direction = 'max' and target = 0
                then
                    case
                        when value = 0 then 'green'
                        when breakdown in ('all', 'CP') and coalesce(cp_value, 0) > 0 then 'red'
                        else 'amber'
                    end
            when direction = 'max' and value <= target then 'green'
            when direction = 'max' and value <= target * (1 + amber_tolerance) then 'amber'
            when direction = 'max' then 'red'
            when direction = 'min' and value >= target then 'green'
            when direction = 'min' and value >= target * (1 - amber_tolerance) then 'amber'
            else 'red'
        end as rag,
        lag(value) over (
            partition by measure_id, breakdown, period order by month_end
        ) as value_previous_month,
        lag(value, 12) over (
            partition by measure_id, breakdown, period order by month_end
        ) as value_previous_year
    from with_targets

)

select
    measure_id::text as measure_id,
    measure_name::text as measure_name,
    breakdown::text as breakdown,
    month_end::date as month_end,
    period::text as period,
    numerator::numeric as numerator,
    denominator::numeric as denominator,
    value::numeric as value,  -- noqa: RF04
    unit::text as unit,
    target::numeric as target,  -- noqa: RF04
    direction::text as target_direction,
    amber_tolerance::numeric as amber_tolerance,
    rag::text as rag,
    value_previous_month::numeric as value_previous_month,
    value_previous_year::numeric as value_previous_year,
    sort_order::int as sort_order,
    direction::text as direction
from final
