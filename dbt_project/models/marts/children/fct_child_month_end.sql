{{
    config(
        materialized='incremental',
        unique_key=['child_key', 'month_end_date'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[{'columns': ['child_key', 'month_end_date'], 'unique': true}],
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} as built where built.month_end_date > {{ mart_as_at_date() }} or not exists (select 1 from {{ ref('int_child_pseudonyms') }} as p where p.child_key = built.child_key) or built.child_key in (select p.child_key from {{ ref('int_child_pseudonyms') }} as p inner join {{ ref('int_child_month_end_inputs') }} as inputs on p.child_id = inputs.child_id where {{ changed_since_published('inputs.changed_at') }}){% endif %}",
        ],
    )
}}
{#-
    One row per child per month end (from 2015-04-30 to the last month end on or before the
    as-at date) on which the child had something open: a CIN episode (open case), a CP plan,
    a period of care, a CIN plan, an involvement of the disabled children's service, or an
    active EHCP. "Open on d": started on or before d, and not ended, or ended after d.

    Flags and the scorecard's per-child inputs:
      is_open_case         an open CIN episode (referral), which covers CIN/CP/care
      case_category        CP, CLA, CIN (open case not CP or CLA), CWD (open to the disabled
                           children's service only), OTHER (EHCP only)
      is_allocated_sw      an allocation with role SW open on d
      unallocated_since    for an open case with no SW: the later of the last SW allocation's
                           end and the case's opening (referral date)
      unallocated_working_days  working days from unallocated_since to d
      social_worker_count_12m   distinct allocated_worker_key of SW allocations overlapping
                           the 12 months to d (technical transfers are not changes)
      placement_count_12m  placements overlapping the 12 months to d (looked-after children)
      last_cp_visit_date / is_cp_visit_in_10_working_days  CP visits (visit type CPV) in
                           the 10 working days to d

    Incremental (macros/marts/incremental_child_months.sql): a nightly build starts from
    the published table and rebuilds only the children whose inputs changed since it was
    published (int_child_month_end_inputs) and the new month ends; the pre-hook first drops
    those children's rows, rows of children no longer known, and month ends after the as-at
    date (a backfill of an earlier night). A full refresh gives the same rows
    (tests/test_incremental_night.py, and the bench checks it at scale).
-#}
-- depends_on: {{ ref('int_child_month_end_inputs') }}
with

month_ends as (

    select
        date_day as month_end_date,
        working_day_number
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

{% if is_incremental() %}

    rebuild as (

        select inputs.child_id
        from {{ ref('int_child_month_end_inputs') }} as inputs
        where {{ changed_since_published('inputs.changed_at') }}

    ),

    built_until as (

        select coalesce(max(built.month_end_date), date '1900-01-01') as month_end_date
        from {{ this }} as built

    ),

{% endif %}

referrals as (

    select * from {{ ref('int_referrals_stitched') }} as referral_records
    where
        {{ child_months_input_scope('referral_records.child_id', 'referral_records.closure_date') }}

),

open_referrals as (

    select distinct on (referrals.child_id, month_ends.month_end_date)
        referrals.child_id,
        month_ends.month_end_date,
        referrals.referral_date,
        referrals.team_code
    from referrals
    inner join month_ends
        on
            referrals.referral_date <= month_ends.month_end_date
            and (
                referrals.closure_date is null or referrals.closure_date > month_ends.month_end_date
            )
            and {{ child_months_pair_scope('referrals.child_id', 'month_ends.month_end_date') }}
    order by referrals.child_id, month_ends.month_end_date, referrals.referral_date

),

open_cp as (

    select distinct
        plan_records.child_id,
        month_ends.month_end_date
    from {{ ref('int_cp_plans_stitched') }} as plan_records
    inner join month_ends
        on
            plan_records.start_date <= month_ends.month_end_date
            and (plan_records.end_date is null or plan_records.end_date > month_ends.month_end_date)
            and {{ child_months_pair_scope('plan_records.child_id', 'month_ends.month_end_date') }}
    where {{ child_months_input_scope('plan_records.child_id', 'plan_records.end_date') }}

),

open_cla as (

    {#-
        Placements are stitched across a technical transfer, so a child looked after on the
        transfer date (31 March) is looked after, in the same placement, whatever the date
        the new system's episode starts.
    -#}
    select distinct on (placements.child_id, month_ends.month_end_date)
        placements.child_id,
        month_ends.month_end_date,
        placements.care_period_id,
        placements.placement_id
    from {{ ref('int_placements_stitched') }} as placements
    inner join month_ends
        on
            placements.start_date <= month_ends.month_end_date
            and (placements.end_date is null or placements.end_date > month_ends.month_end_date)
            and {{ child_months_pair_scope('placements.child_id', 'month_ends.month_end_date') }}
    where {{ child_months_input_scope('placements.child_id', 'placements.end_date') }}
    order by placements.child_id asc, month_ends.month_end_date asc, placements.start_date desc

),

open_cin_plans as (

    select distinct
        plan_records.child_id,
        month_ends.month_end_date
    from {{ ref('int_cin_plans_stitched') }} as plan_records
    inner join month_ends
        on
            plan_records.start_date <= month_ends.month_end_date
            and (plan_records.end_date is null or plan_records.end_date > month_ends.month_end_date)
            and {{ child_months_pair_scope('plan_records.child_id', 'month_ends.month_end_date') }}
    where {{ child_months_input_scope('plan_records.child_id', 'plan_records.end_date') }}

),

open_cwd as (

    select distinct
        involvements.child_id,
        month_ends.month_end_date
    from {{ ref('int_cwd_involvements_stitched') }} as involvements
    inner join month_ends
        on
            involvements.start_date <= month_ends.month_end_date
            and (
                involvements.end_date is null
                or involvements.end_date > month_ends.month_end_date
            )
            and {{ child_months_pair_scope('involvements.child_id', 'month_ends.month_end_date') }}
    where {{ child_months_input_scope('involvements.child_id', 'involvements.end_date') }}

),

active_ehcps as (

    select distinct
        ehcps.child_id,
        month_ends.month_end_date
    from {{ ref('int_ehcps') }} as ehcps
    inner join month_ends
        on
            ehcps.issued_on <= month_ends.month_end_date
            and (ehcps.ceased_on is null or ehcps.ceased_on > month_ends.month_end_date)
            and {{ child_months_pair_scope('ehcps.child_id', 'month_ends.month_end_date') }}
    where {{ child_months_input_scope('ehcps.child_id', 'ehcps.ceased_on') }}

),

spine as (

    select
        child_id,
        month_end_date
    from open_referrals
    union
    select
        child_id,
        month_end_date
    from open_cp
    union
    select
        child_id,
        month_end_date
    from open_cla
    union
    select
        child_id,
        month_end_date
    from open_cin_plans
    union
    select
        child_id,
        month_end_date
    from open_cwd
    union
    select
        child_id,
        month_end_date
    from active_ehcps

),

sw_allocations as (

    select * from {{ ref('int_allocations_stitched') }}
    where role_code = 'SW'

),

current_sw as (

    {#-
        Allocated on d: an allocation (continuous across a technical transfer) open on d; the
        worker is the one of the segment holding the case on d, or in the transfer gap the
        segment before it.
    -#}
    select distinct on (spine.child_id, spine.month_end_date)
        spine.child_id,
        spine.month_end_date,
        sw_allocations.worker_id,
        sw_allocations.team_code
    from spine
    inner join sw_allocations
        on
            spine.child_id = sw_allocations.child_id
            and spine.month_end_date >= sw_allocations.allocation_start_date
            and (
                sw_allocations.allocation_end_date is null
                or spine.month_end_date < sw_allocations.allocation_end_date
            )
            and spine.month_end_date >= sw_allocations.start_date
    order by spine.child_id asc, spine.month_end_date asc, sw_allocations.start_date desc

),

last_sw_end as (

    select
        spine.child_id,
        spine.month_end_date,
        max(sw_allocations.allocation_end_date) as last_sw_end_date
    from spine
    inner join sw_allocations
        on
            spine.child_id = sw_allocations.child_id
            and spine.month_end_date >= sw_allocations.allocation_end_date
    group by spine.child_id, spine.month_end_date

),

sw_12m as (

    select
        spine.child_id,
        spine.month_end_date,
        count(distinct sw_allocations.allocated_worker_id) as social_worker_count_12m
    from spine
    inner join sw_allocations
        on
            spine.child_id = sw_allocations.child_id
            and spine.month_end_date >= sw_allocations.start_date
            and (
                sw_allocations.end_date is null
                or sw_allocations.end_date > (spine.month_end_date - interval '12 months')::date
            )
    group by spine.child_id, spine.month_end_date

),

placements_12m as (

    select
        open_cla.child_id,
        open_cla.month_end_date,
        count(distinct placements.placement_id) as placement_count_12m,
        max(periods.start_date) as care_period_start_date,
        max(placements.start_date) filter (where placements.placement_id = open_cla.placement_id)
            as current_placement_start_date
    from open_cla
    inner join {{ ref('int_placements_stitched') }} as placements
        on
            open_cla.child_id = placements.child_id
            and open_cla.month_end_date >= placements.start_date
            and (
                placements.end_date is null
                or placements.end_date > (open_cla.month_end_date - interval '12 months')::date
                or open_cla.placement_id = placements.placement_id
            )
    inner join {{ ref('int_care_periods_stitched') }} as periods
        on open_cla.care_period_id = periods.care_period_id
    group by open_cla.child_id, open_cla.month_end_date

),

cp_visits as (

    select
        open_cp.child_id,
        open_cp.month_end_date,
        max(visits.visit_date) as last_cp_visit_date
    from open_cp
    inner join {{ ref('int_visits_unioned') }} as visits
        on
            open_cp.child_id = visits.child_id
            and visits.visit_type_code = 'CPV'
            and open_cp.month_end_date >= visits.visit_date
    group by open_cp.child_id, open_cp.month_end_date

),

transition_plans as (

    select
        child_id,
        min(plan_agreed_on) as first_plan_agreed_on
    from {{ ref('int_transition_plans') }}
    group by child_id

),

children as (

    select * from {{ ref('int_children') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

final as (

    select
        pseudonyms.child_key::text as child_key,
        spine.month_end_date::date as month_end_date,
        {#- NULL before the birth: a pre-birth referral opens a case up to 40 weeks early -#}
        (case
            when spine.month_end_date >= children.date_of_birth
                then {{ age_in_years('children.date_of_birth', 'spine.month_end_date') }}
        end)::int as age_years,
        (open_referrals.child_id is not null)::boolean as is_open_case,
        (open_cp.child_id is not null)::boolean as is_cp,
        (open_cla.child_id is not null)::boolean as is_cla,
        (open_cin_plans.child_id is not null)::boolean as is_cin_plan,
        (open_cwd.child_id is not null)::boolean as is_cwd,
        (active_ehcps.child_id is not null)::boolean as has_active_ehcp,
        (
            case
                when open_cp.child_id is not null then 'CP'
                when open_cla.child_id is not null then 'CLA'
                when open_referrals.child_id is not null then 'CIN'
                when open_cwd.child_id is not null then 'CWD'
                else 'OTHER'
            end
        )::text as case_category,
        coalesce(open_referrals.team_code, current_sw.team_code)::text as team_key,
        (current_sw.child_id is not null)::boolean as is_allocated_sw,
        {{ pseudonymise('current_sw.worker_id', 'worker:') }}::text as allocated_worker_key,
        open_referrals.referral_date::date as case_opened_date,
        (
            case
                when open_referrals.child_id is not null and current_sw.child_id is null
                    then greatest(last_sw_end.last_sw_end_date, open_referrals.referral_date)
            end
        )::date as unallocated_since,
        (
            case
                when open_referrals.child_id is not null and current_sw.child_id is null
                    then greatest(
                        month_day.working_day_number - since_day.working_day_number, 0
                    )
            end
        )::int as unallocated_working_days,
        coalesce(sw_12m.social_worker_count_12m, 0)::int as social_worker_count_12m,
        placements_12m.placement_count_12m::int as placement_count_12m,
        placements_12m.care_period_start_date::date as care_period_start_date,
        placements_12m.current_placement_start_date::date as current_placement_start_date,
        cp_visits.last_cp_visit_date::date as last_cp_visit_date,
        (
            case
                when open_cp.child_id is not null
                    then coalesce(
                        last_visit_day.working_day_number >= month_day.working_day_number - 10,
                        false
                    )
            end
        )::boolean as is_cp_visit_in_10_working_days,
        children.has_hidden_disability::boolean as has_hidden_disability,
        (
            transition_plans.first_plan_agreed_on is not null
            and transition_plans.first_plan_agreed_on <= spine.month_end_date
        )::boolean as has_agreed_transition_plan
    from spine
    inner join pseudonyms on spine.child_id = pseudonyms.child_id
    left join children on spine.child_id = children.child_id
    left join open_referrals
        on
            spine.child_id = open_referrals.child_id
            and spine.month_end_date = open_referrals.month_end_date
    left join open_cp
        on spine.child_id = open_cp.child_id and spine.month_end_date = open_cp.month_end_date
    left join open_cla
        on spine.child_id = open_cla.child_id and spine.month_end_date = open_cla.month_end_date
    left join open_cin_plans
        on
            spine.child_id = open_cin_plans.child_id
            and spine.month_end_date = open_cin_plans.month_end_date
    left join open_cwd
        on spine.child_id = open_cwd.child_id and spine.month_end_date = open_cwd.month_end_date
    left join active_ehcps
        on
            spine.child_id = active_ehcps.child_id
            and spine.month_end_date = active_ehcps.month_end_date
    left join current_sw
        on spine.child_id = current_sw.child_id and spine.month_end_date = current_sw.month_end_date
    left join last_sw_end
        on
            spine.child_id = last_sw_end.child_id
            and spine.month_end_date = last_sw_end.month_end_date
    left join sw_12m
        on spine.child_id = sw_12m.child_id and spine.month_end_date = sw_12m.month_end_date
    left join placements_12m
        on
            spine.child_id = placements_12m.child_id
            and spine.month_end_date = placements_12m.month_end_date
    left join cp_visits
        on spine.child_id = cp_visits.child_id and spine.month_end_date = cp_visits.month_end_date
    left join transition_plans on spine.child_id = transition_plans.child_id
    left join dates as month_day on spine.month_end_date = month_day.date_day
    left join dates as since_day
        on greatest(last_sw_end.last_sw_end_date, open_referrals.referral_date) = since_day.date_day
    left join dates as last_visit_day on cp_visits.last_cp_visit_date = last_visit_day.date_day

)

select * from final
