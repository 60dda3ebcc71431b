{#-
    Worklist: open CP plans (stitched across the 2022 transfer) whose next review or next
    CP visit is due within 5 working days of the as-at date, or past. One row per plan and
    reason, overdue first.
      CP review  first within 3 months of the plan's start, later ones within 6 months of
                 the previous review (fct_cp_plans.next_review_due_date)
      CP visit   10 working days after the last CP visit (type CPV) at which the child was
                 seen (alone - the only "seen" the systems record; the scorecard's rule), or
                 after the plan's start when there has been none
    working_days_overdue: working days from the due date to the as-at date (negative:
    working days left); weekends and bank holidays are not working days.
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

open_plans as (

    select cp_plans.*
    from {{ ref('fct_cp_plans') }} as cp_plans
    cross join as_at
    where
        cp_plans.start_date <= as_at.as_at_date
        and (cp_plans.end_date is null or cp_plans.end_date > as_at.as_at_date)

),

last_seen_visits as (

    select
        open_plans.cp_plan_key,
        max(visits.visit_date) as last_seen_visit_date
    from open_plans
    cross join as_at
    inner join {{ ref('fct_visits') }} as visits
        on
            open_plans.child_key = visits.child_key
            and visits.visit_type_code = 'CPV'
            and visits.is_seen_alone
            and as_at.as_at_date >= visits.visit_date
    group by open_plans.cp_plan_key

),

visit_due as (

    select
        open_plans.cp_plan_key,
        open_plans.child_key,
        min(due_day.date_day) as due_date
    from open_plans
    left join last_seen_visits
        on open_plans.cp_plan_key = last_seen_visits.cp_plan_key
    inner join calendar as base_day
        on
            coalesce(last_seen_visits.last_seen_visit_date, open_plans.start_date)
            = base_day.date_day
    inner join calendar as due_day
        on base_day.working_day_number + 10 = due_day.working_day_number
    group by open_plans.cp_plan_key, open_plans.child_key

),

teams as (

    select distinct on (child_key)
        child_key,
        team_key
    from {{ ref('fct_referrals') }}
    order by child_key asc, referral_date desc

),

due_items as (

    select
        child_key,
        'CP review' as item,
        next_review_due_date as due_date
    from open_plans
    where next_review_due_date is not null
    union all
    select
        child_key,
        'CP visit' as item,
        due_date
    from visit_due

),

final as (

    select
        due_items.child_key,
        case_names.forename,
        case_names.surname,
        teams.team_key,
        due_items.due_date,
        due_items.item
        || case when due_items.due_date < as_at.as_at_date then ' overdue' else ' due' end
            as reason,
        as_at.working_day_number - due.working_day_number as working_days_overdue
    from due_items
    cross join as_at
    inner join calendar as due
        on due_items.due_date = due.date_day
    left join teams
        on due_items.child_key = teams.child_key
    left join {{ ref('case_children') }} as case_names
        on due_items.child_key = case_names.child_key
    where due.working_day_number - as_at.working_day_number <= 5

)

select
    child_key::text as child_key,
    forename::text as forename,
    surname::text as surname,
    team_key::text as team_key,
    reason::text as reason,
    due_date::date as due_date,
    working_days_overdue::int as working_days_overdue,
    (row_number() over (order by due_date, child_key, reason))::int as priority
from final
