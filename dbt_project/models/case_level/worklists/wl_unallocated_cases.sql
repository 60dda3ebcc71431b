{#-
    Worklist: open cases (an open CIN episode on the as-at date) with no allocated social
    worker (no allocation of role SW open, continuous across a technical transfer), oldest
    first. due_date = unallocated since (the later of the last SW allocation's end and the
    case's opening); working_days_overdue = working days since then (weekends and bank
    holidays excluded).
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
        referrals.referral_date,
        referrals.team_key
    from {{ ref('fct_referrals') }} as referrals
    cross join as_at
    where
        referrals.referral_date <= as_at.as_at_date
        and (referrals.closure_date is null or referrals.closure_date > as_at.as_at_date)
    order by referrals.child_key, referrals.referral_date

),

sw_allocations as (

    select * from {{ ref('fct_allocations') }}
    where role_code = 'SW'

),

allocated as (

    select distinct sw_allocations.child_key
    from sw_allocations
    cross join as_at
    where
        sw_allocations.allocation_start_date <= as_at.as_at_date
        and (
            sw_allocations.allocation_end_date is null
            or sw_allocations.allocation_end_date > as_at.as_at_date
        )

),

last_allocation as (

    select
        sw_allocations.child_key,
        max(sw_allocations.allocation_end_date) as last_end_date
    from sw_allocations
    cross join as_at
    where sw_allocations.allocation_end_date <= as_at.as_at_date
    group by sw_allocations.child_key

),

categories as (

    select
        open_cases.child_key,
        bool_or(cp_plans.cp_plan_key is not null) as is_cp,
        bool_or(periods.care_period_key is not null) as is_cla
    from open_cases
    cross join as_at
    left join {{ ref('fct_cp_plans') }} as cp_plans
        on
            open_cases.child_key = cp_plans.child_key
            and as_at.as_at_date >= cp_plans.start_date
            and (cp_plans.end_date is null or as_at.as_at_date < cp_plans.end_date)
    left join {{ ref('fct_care_periods') }} as periods
        on
            open_cases.child_key = periods.child_key
            and as_at.as_at_date >= periods.start_date
            and (periods.end_date is null or as_at.as_at_date < periods.end_date)
    group by open_cases.child_key

),

unallocated as (

    select
        open_cases.child_key,
        open_cases.team_key,
        case
            when categories.is_cp then 'CP'
            when categories.is_cla then 'CLA'
            else 'CIN'
        end as case_category,
        greatest(open_cases.referral_date, last_allocation.last_end_date) as unallocated_since
    from open_cases
    inner join categories
        on open_cases.child_key = categories.child_key
    left join last_allocation
        on open_cases.child_key = last_allocation.child_key
    where open_cases.child_key not in (select allocated.child_key from allocated)

),

final as (

    select
        unallocated.child_key,
        case_names.forename,
        case_names.surname,
        unallocated.team_key,
        unallocated.case_category,
        unallocated.unallocated_since as due_date,
        ('Unallocated ' || unallocated.case_category || ' case') as reason,
        greatest(as_at.working_day_number - since.working_day_number, 0) as working_days_overdue
    from unallocated
    cross join as_at
    inner join calendar as since
        on unallocated.unallocated_since = since.date_day
    left join {{ ref('case_children') }} as case_names
        on unallocated.child_key = case_names.child_key

)

select
    child_key::text as child_key,
    forename::text as forename,
    surname::text as surname,
    team_key::text as team_key,
    case_category::text as case_category,
    reason::text as reason,
    due_date::date as due_date,
    working_days_overdue::int as working_days_overdue,
    (row_number() over (order by due_date, child_key))::int as priority
from final
