{#- Small date helpers. Arguments are SQL expressions; timestamps are cast to date. -#}

{%- macro age_in_years(dob, on_date) -%}
    {#-
        Whole years completed on on_date (the child's age on that day): the year difference,
        less one if on_date's month-day is before the birthday's. A 29 February birthday is
        reached on 1 March in non-leap years. Negative when on_date is before dob (unborn);
        NULL when either is NULL.
    -#}
    (
        (
            date_part('year', ({{ on_date }})::date)
            - date_part('year', ({{ dob }})::date)
        )::int
        - case
            when to_char(({{ on_date }})::date, 'MMDD') < to_char(({{ dob }})::date, 'MMDD')
                then 1
            else 0
        end
    )
{%- endmacro -%}


{%- macro month_start(date_expr) -%}
    (date_trunc('month', ({{ date_expr }})::date)::date)
{%- endmacro -%}


{%- macro month_end(date_expr) -%}
    ((date_trunc('month', ({{ date_expr }})::date) + interval '1 month - 1 day')::date)
{%- endmacro -%}


{%- macro _financial_year_start_year(date_expr) -%}
    (
        date_part('year', ({{ date_expr }})::date)::int
        - case when date_part('month', ({{ date_expr }})::date) < 4 then 1 else 0 end
    )
{%- endmacro -%}


{%- macro financial_year(date_expr) -%}
    {#- '2024-25' for 2024-04-01 .. 2025-03-31 -#}
    (
        {{ _financial_year_start_year(date_expr) }}::text
        || '-'
        || lpad((({{ _financial_year_start_year(date_expr) }} + 1) % 100)::text, 2, '0')
    )
{%- endmacro -%}


{%- macro financial_year_start(date_expr) -%}
    (make_date({{ _financial_year_start_year(date_expr) }}, 4, 1))
{%- endmacro -%}


{%- macro collection_year(date_expr) -%}
    {#- the DfE collection year: the year (int) of the 31 March that ends the year -#}
    ({{ _financial_year_start_year(date_expr) }} + 1)
{%- endmacro -%}
