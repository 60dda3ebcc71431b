{#-
    Worklist: disabled young people aged 14-25 on the as-at date, open to the disabled
    children's service or with an active EHCP, with no transition plan agreed on or before
    it; oldest first (17+ first). due_date = the 14th birthday (when a plan is expected);
    working_days_overdue = working days since then.
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

cwd as (

    select
        involvements.child_key,
        involvements.team_key
    from {{ ref('fct_cwd_involvements') }} as involvements
    cross join as_at
    where
        involvements.start_date <= as_at.as_at_date
        and (involvements.end_date is null or involvements.end_date > as_at.as_at_date)

),

ehcps as (

    select ehcps.child_key
    from {{ ref('fct_ehcps') }} as ehcps
    cross join as_at
    where
        ehcps.issued_on <= as_at.as_at_date
        and (ehcps.ceased_on is null or ehcps.ceased_on > as_at.as_at_date)

),

eligible as (

    select
        child_key,
        max(team_key) as team_key
    from (
        select
            child_key,
            team_key
        from cwd
        union all
        select
            child_key,
            null as team_key
        from ehcps
    ) as eligible_children
    group by child_key

),

agreed as (

    select distinct cp_plans.child_key
    from {{ ref('fct_transition_plans') }} as cp_plans
    cross join as_at
    where cp_plans.plan_agreed_on <= as_at.as_at_date

),

final as (

    select
        eligible.child_key,
        case_names.forename,
        case_names.surname,
        eligible.team_key,
        {{ age_in_years('case_names.date_of_birth', 'as_at.as_at_date') }} as age_years,
        'No agreed transition plan' as reason,
        (case_names.date_of_birth + interval '14 years')::date as due_date
    from eligible
    cross join as_at
    inner join {{ ref('case_children') }} as case_names
        on eligible.child_key = case_names.child_key
    where eligible.child_key not in (select agreed.child_key from agreed)

)

select
    final.child_key::text as child_key,
    final.forename::text as forename,
    final.surname::text as surname,
    final.team_key::text as team_key,
    final.age_years::int as age_years,
    final.reason::text as reason,
    final.due_date::date as due_date,
    greatest(as_at.working_day_number - due.working_day_number, 0)::int as working_days_overdue,
    (
        row_number() over (order by final.age_years desc, final.due_date asc, final.child_key asc)
    )::int
        as priority
from final
cross join as_at
left join calendar as due
    on final.due_date = due.date_day
where final.age_years between 14 and 25
