{{
    config(
        materialized='table',
        indexes=[{'columns': ['working_day_number']}],
    )
}}

{#-
    One row per day of the calendar (vars calendar_start / calendar_end, default
    2015-01-01 .. 2030-12-31). The working-day macros (macros/calendar/working_days.sql)
    read this table, so it must not call them itself.
-#}

with

bank_holidays as (

    select
        holiday_date,
        holiday_name
    from {{ ref('bank_holidays_england_wales') }}

),

bank_holiday_coverage as (

    select
        make_date(date_part('year', min(holiday_date))::int, 1, 1) as known_from,
        make_date(date_part('year', max(holiday_date))::int, 12, 31) as known_to
    from bank_holidays

),

days as (

    select series.day_ts::date as date_day
    from generate_series(
        '{{ var("calendar_start", "2015-01-01") }}'::date,
        '{{ var("calendar_end", "2030-12-31") }}'::date,
        interval '1 day'
    ) as series (day_ts)

),

flagged as (

    select
        days.date_day,
        bank_holidays.holiday_name as bank_holiday_name,
        date_part('year', days.date_day)::int as year,
        date_part('month', days.date_day)::int as month,
        date_part('day', days.date_day)::int as day_of_month,
        trim(to_char(days.date_day, 'Month')) as month_name,
        trim(to_char(days.date_day, 'Day')) as day_name,
        date_part('isodow', days.date_day)::int as iso_weekday,
        date_part('isodow', days.date_day) in (6, 7) as is_weekend,
        bank_holidays.holiday_date is not null as is_bank_holiday,
        coalesce(
            days.date_day between bank_holiday_coverage.known_from
            and bank_holiday_coverage.known_to,
            false
        ) as bank_holidays_known
    from days
    cross join bank_holiday_coverage
    left join bank_holidays
        on days.date_day = bank_holidays.holiday_date

),

final as (

    select
        date_day,
        year,
        month,
        day_of_month,
        month_name,
        day_name,
        {{ month_start('date_day') }} as month_start,
        {{ month_end('date_day') }} as month_end,
        date_day = {{ month_end('date_day') }} as is_month_end,
        {{ financial_year('date_day') }} as financial_year,
        {{ financial_year_start('date_day') }} as financial_year_start,
        {{ collection_year('date_day') }} as collection_year,
        iso_weekday,
        is_weekend,
        is_bank_holiday,
        bank_holiday_name,
        not is_weekend and not is_bank_holiday as is_working_day,
        sum(case when not is_weekend and not is_bank_holiday then 1 else 0 end)
            over (order by date_day rows between unbounded preceding and current row)::int
            as working_day_number,
        bank_holidays_known
    from flagged

)

select * from final
