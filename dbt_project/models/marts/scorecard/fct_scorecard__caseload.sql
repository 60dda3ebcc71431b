{#-
    Caseloads as at each month end (CSWW).

    A case held: a child with an allocation of role SW open on the month end (continuous
    across a technical transfer: allocation_start_date <= d < allocation_end_date, held by
    the latest segment started on or before d, so the transfer gap keeps the worker before
    it). A worker's caseload counts each child once (two allocation rows for the same child
    with the same worker are one case). Workers are social workers holding one or more cases,
    agency included; FTE from dim_worker (a worker unknown to HR counts as 1 FTE).

      caseload_mean     numerator = cases held, denominator = FTE of the workers holding them
      caseload_median   median cases per worker (headcount)
      caseload_max      the highest caseload (target 25: none over 25)
      caseload_over_20  workers holding over 20 cases, of workers holding one or more
-#}
with

month_ends as (

    select date_day as month_end
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

allocations as (

    select * from {{ ref('fct_allocations') }}
    where role_code = 'SW'

),

held as (

    select distinct on (allocations.allocation_key, month_ends.month_end)
        month_ends.month_end,
        allocations.child_key,
        allocations.worker_key
    from month_ends
    inner join allocations
        on
            month_ends.month_end >= allocations.allocation_start_date
            and (
                allocations.allocation_end_date is null
                or month_ends.month_end < allocations.allocation_end_date
            )
            and month_ends.month_end >= allocations.start_date
    order by allocations.allocation_key asc, month_ends.month_end asc, allocations.start_date desc

),

worker_caseloads as (

    select
        held.month_end,
        held.worker_key,
        count(distinct held.child_key) as cases
    from held
    group by held.month_end, held.worker_key

),

with_fte as (

    select
        worker_caseloads.month_end,
        worker_caseloads.worker_key,
        worker_caseloads.cases,
        coalesce(nullif(workers.fte, 0), 1.0) as fte
    from worker_caseloads
    left join {{ ref('dim_worker') }} as workers
        on worker_caseloads.worker_key = workers.worker_key
    where coalesce(workers.is_social_worker, true)

),

per_month as (

    select
        month_ends.month_end,
        coalesce(sum(with_fte.cases), 0) as cases,
        coalesce(sum(with_fte.fte), 0) as fte,
        count(with_fte.worker_key) as workers,
        percentile_cont(0.5) within group (order by with_fte.cases) as median_cases,
        coalesce(max(with_fte.cases), 0) as max_cases,
        count(*) filter (where with_fte.cases > 20) as workers_over_20
    from month_ends
    left join with_fte
        on month_ends.month_end = with_fte.month_end
    group by month_ends.month_end

),

final as (

    select
        'caseload_mean' as measure_id,
        month_end,
        cases::numeric as numerator,
        fte::numeric as denominator,
        round(cases::numeric / nullif(fte, 0), 1) as value,  -- noqa: RF04
        'mean' as value_kind
    from per_month
    union all
    select
        'caseload_median' as measure_id,
        month_end,
        null::numeric as numerator,
        workers::numeric as denominator,
        round(median_cases::numeric, 1) as value,  -- noqa: RF04
        'median' as value_kind
    from per_month
    union all
    select
        'caseload_max' as measure_id,
        month_end,
        max_cases::numeric as numerator,
        null::numeric as denominator,
        max_cases::numeric as value,  -- noqa: RF04
        'max' as value_kind
    from per_month
    union all
    select
        'caseload_over_20' as measure_id,
        month_end,
        workers_over_20::numeric as numerator,
        workers::numeric as denominator,
        workers_over_20::numeric as value,  -- noqa: RF04
        'count' as value_kind
    from per_month

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
