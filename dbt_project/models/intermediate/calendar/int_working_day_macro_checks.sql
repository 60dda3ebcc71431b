{{ config(materialized='ephemeral') }}

{#-
    Exists only so the working-day macros can be unit tested (see
    _int_working_day_macro_checks.yml): each day of the calendar with the macros applied to
    it. Ephemeral and referenced by nothing, so it is never built.
-#}

with

calendar as (

    select date_day
    from {{ ref('dim_date') }}

),

final as (

    select
        calendar.date_day,
        {{ is_working_day('calendar.date_day') }} as is_working_day,
        {{ working_day_number('calendar.date_day') }} as working_day_number,
        {{ add_working_days('calendar.date_day', 0) }} as plus_0_working_days,
        {{ add_working_days('calendar.date_day', 1) }} as next_working_day,
        {{ add_working_days('calendar.date_day', 3) }} as plus_3_working_days,
        {{ working_days_between('calendar.date_day', 'calendar.date_day + 7') }}
            as working_days_in_next_7_days,
        {{ working_days_between('calendar.date_day', "date '2024-01-02'") }}
            as working_days_to_2024_01_02
    from calendar

)

select * from final
