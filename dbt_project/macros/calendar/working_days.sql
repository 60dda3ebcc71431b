{#-
    Working-day arithmetic for England and Wales, against dim_date (one row per day,
    2015-01-01 .. 2030-12-31, bank holidays from the seed bank_holidays_england_wales).

    A working day is a day that is not a Saturday, a Sunday or a bank holiday.
    dim_date.working_day_number counts the working days from the start of the calendar up to
    and including each day, so a non-working day carries the number of the working day
    before it. Everything below is differences and look-ups of that number:

        working_days_between(s, e) = max(wdn(e) - wdn(s), 0)
        add_working_days(d, n)     = the first date >= d whose wdn is wdn(d) + n

    Each macro renders one scalar subquery (usable anywhere an expression is: select list,
    where, join condition). Arguments are SQL expressions (a column reference, a literal such
    as "date '2024-01-02'", or a cast); timestamps are cast to date. Dates outside the
    calendar, and NULLs, give NULL.

    The calendar's columns are renamed inside a derived table (__wd_*), so an argument that
    names an outer column called date_day, year, month, ... is not captured by the subquery.
-#}

{%- macro _working_day_calendar() -%}
    (
        select
            date_day as __wd_date,
            is_working_day as __wd_is_working,
            working_day_number as __wd_number
        from {{ ref('dim_date') }}
    )
{%- endmacro -%}


{%- macro is_working_day(date_expr) -%}
    (
        select __wd_day.__wd_is_working
        from {{ _working_day_calendar() }} as __wd_day
        where __wd_day.__wd_date = ({{ date_expr }})::date
    )
{%- endmacro -%}


{%- macro working_day_number(date_expr) -%}
    (
        select __wd_day.__wd_number
        from {{ _working_day_calendar() }} as __wd_day
        where __wd_day.__wd_date = ({{ date_expr }})::date
    )
{%- endmacro -%}


{%- macro working_days_between(start_date, end_date) -%}
    (
        select greatest(__wd_end.__wd_number - __wd_start.__wd_number, 0)
        from {{ _working_day_calendar() }} as __wd_start
        inner join {{ _working_day_calendar() }} as __wd_end
            on __wd_end.__wd_date = ({{ end_date }})::date
        where __wd_start.__wd_date = ({{ start_date }})::date
    )
{%- endmacro -%}


{%- macro add_working_days(date_expr, n) -%}
    (
        select min(__wd_to.__wd_date)
        from {{ _working_day_calendar() }} as __wd_from
        inner join {{ _working_day_calendar() }} as __wd_to
            on
                __wd_to.__wd_number = __wd_from.__wd_number + ({{ n }})
                and __wd_to.__wd_date >= __wd_from.__wd_date
        where __wd_from.__wd_date = ({{ date_expr }})::date
    )
{%- endmacro -%}
