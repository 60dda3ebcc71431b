{#-
    One row per HR post per day from 2015-04-01 (or the post's first day) to the as-at date,
    on the days the post is established or held: who holds it, with what FTE. A post is
    vacant on a day when it is established and nobody (employee or agency) holds it. A
    member of staff holds their post from Start Date to Leaving Date inclusive.
    Post FTE: the post's established FTE; filled_fte: the FTE of the people holding it
    (agency included), agency_fte the agency part; vacant_fte the post's FTE when vacant.
-#}
with

posts as (

    select * from {{ ref('stg_hr__posts') }}

),

staff as (

    select * from {{ ref('stg_hr__staff') }}
    where post_number is not null and start_date is not null

),

post_ranges as (

    select
        posts.post_number,
        greatest(
            date '2015-04-01',
            least(posts.established_from, min(staff.start_date))
        ) as first_day,
        least(
            {{ mart_as_at_date() }},
            greatest(
                coalesce(posts.established_to, date '9999-12-31'),
                max(coalesce(staff.leaving_date, date '9999-12-31'))
            )
        ) as last_day
    from posts
    left join staff on posts.post_number = staff.post_number
    group by posts.post_number, posts.established_from, posts.established_to

),

days as (

    select
        post_ranges.post_number,
        dim_date.date_day
    from post_ranges
    inner join {{ ref('dim_date') }} as dim_date
        on dim_date.date_day between post_ranges.first_day and post_ranges.last_day

),

holders as (

    select
        days.post_number,
        days.date_day,
        sum(staff.fte) as filled_fte,
        sum(case when staff.is_agency then staff.fte else 0 end) as agency_fte,
        count(staff.employee_number)::int as holder_count
    from days
    inner join staff
        on
            days.post_number = staff.post_number
            and days.date_day >= staff.start_date
            and (staff.leaving_date is null or days.date_day <= staff.leaving_date)
    group by days.post_number, days.date_day

),

final as (

    select
        days.post_number,
        days.date_day,
        posts.team_code,
        coalesce(
            days.date_day >= posts.established_from
            and (posts.established_to is null or days.date_day <= posts.established_to),
            false
        ) as is_established,
        coalesce(posts.is_social_worker_post, false) as is_social_worker_post,
        coalesce(posts.is_case_holding, false) as is_case_holding,
        coalesce(posts.fte, 0)::numeric(6, 2) as post_fte,
        coalesce(holders.filled_fte, 0)::numeric(6, 2) as filled_fte,
        coalesce(holders.agency_fte, 0)::numeric(6, 2) as agency_fte,
        coalesce(holders.holder_count, 0) as holder_count
    from days
    inner join posts on days.post_number = posts.post_number
    left join holders
        on days.post_number = holders.post_number and days.date_day = holders.date_day

)

select
    *,
    is_established and holder_count = 0 as is_vacant,
    case when is_established and holder_count = 0 then post_fte else 0 end::numeric(6, 2)
        as vacant_fte
from final
