{#-
    Worklist: children with an open case on the as-at date and 3 or more different allocated
    social workers in the 12 months to it (distinct allocated_worker_key of role-SW
    allocations: a technical transfer keeps the worker, so it is not a change).
    due_date = the start of the latest allocation; working_days_overdue = working days since.
-#}
with

as_at as (

    select
        date_day as as_at_date,
        working_day_number
    from {{ ref('dim_date') }}
    where date_day = {{ mart_as_at_date() }}

),

calendar as (

    select
        date_day,
        working_day_number
    from {{ ref('dim_date') }}

),

open_cases as (

    select distinct on (referrals.child_key)
        referrals.child_key,
        referrals.team_key
    from {{ ref('fct_referrals') }} as referrals
    cross join as_at
    where
        referrals.referral_date <= as_at.as_at_date
        and (referrals.closure_date is null or referrals.closure_date > as_at.as_at_date)
    order by referrals.child_key, referrals.referral_date

),

workers_12m as (

    select
        allocations.child_key,
        count(distinct allocations.allocated_worker_key) as social_worker_count_12m,
        max(allocations.allocation_start_date) as latest_allocation_start
    from {{ ref('fct_allocations') }} as allocations
    cross join as_at
    where
        allocations.role_code = 'SW'
        and allocations.start_date <= as_at.as_at_date
        and (
            allocations.end_date is null
            or allocations.end_date > (as_at.as_at_date - interval '12 months')::date
        )
    group by allocations.child_key

),

final as (

    select
        open_cases.child_key,
        case_names.forename,
        case_names.surname,
        open_cases.team_key,
        workers_12m.social_worker_count_12m,
        workers_12m.latest_allocation_start as due_date,
        workers_12m.social_worker_count_12m || ' social workers in 12 months' as reason,
        greatest(as_at.working_day_number - due.working_day_number, 0) as working_days_overdue
    from open_cases
    cross join as_at
    inner join workers_12m
        on open_cases.child_key = workers_12m.child_key
    left join calendar as due
        on workers_12m.latest_allocation_start = due.date_day
    left join {{ ref('case_children') }} as case_names
        on open_cases.child_key = case_names.child_key
    where workers_12m.social_worker_count_12m >= 3

)

select
    child_key::text as child_key,
    forename::text as forename,
    surname::text as surname,
    team_key::text as team_key,
    social_worker_count_12m::int as social_worker_count_12m,
    reason::text as reason,
    due_date::date as due_date,
    working_days_overdue::int as working_days_overdue,
    (row_number() over (order by social_worker_count_12m desc, child_key asc))::int as priority
from final
