{#-
    Casting helpers for staging: raw columns are text exactly as delivered (empty = NULL).
    None of them raises: a value that cannot be read gives NULL, so put not_null tests on
    columns that must be filled. Dates and timestamps: the shared parse_date /
    parse_timestamp macros (macros/dates/parse_dates.sql).
-#}

{#- trimmed text, blank -> NULL -#}
{% macro clean_text(col) -%}
    nullif(btrim(({{ col }})::text), '')
{%- endmacro %}


{#- a code: trimmed, upper case, blank -> NULL -#}
{% macro clean_code(col) -%}
    upper(nullif(btrim(({{ col }})::text), ''))
{%- endmacro %}


{#- Y / N (trust, council) and Yes / No (hr), any case, also true/false and 1/0 -> boolean -#}
{% macro parse_boolean(col) -%}
    (
        case upper(btrim(({{ col }})::text))
            when 'Y' then true
            when 'YES' then true
            when 'TRUE' then true
            when '1' then true
            when 'N' then false
            when 'NO' then false
            when 'FALSE' then false
            when '0' then false
        end
    )
{%- endmacro %}


{#- a decimal number as text ('1', '0.5', '.5', '1e0') -> numeric; anything else -> NULL -#}
{% macro parse_numeric(col) -%}
    (
        case
            when btrim(({{ col }})::text) ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'
                then btrim(({{ col }})::text)::numeric
        end
    )
{%- endmacro %}


{#- a whole number as text -> int; anything else (or beyond 9 digits) -> NULL -#}
{% macro parse_integer(col) -%}
    (
        case
            when btrim(({{ col }})::text) ~ '^[+-]?[0-9]{1,9}$'
                then btrim(({{ col }})::text)::int
        end
    )
{%- endmacro %}


{#- a list `2A;3A;21` -> text[] {2A,3A,21} (items trimmed, upper case, empty items dropped) -#}
{% macro split_code_list(col, separator=';') -%}
    (
        case
            when nullif(btrim(({{ col }})::text), '') is not null
                then array_remove(
                    regexp_split_to_array(
                        upper(btrim(({{ col }})::text)), '[[:space:]]*{{ separator }}[[:space:]]*'
                    ),
                    ''
                )
        end
    )
{%- endmacro %}


{#- the DfE ethnicity code from `WBRI - White British` (council) or `WBRI` (trust) -#}
{% macro ethnicity_code(col) -%}
    upper(substring(btrim(({{ col }})::text) from '^([A-Za-z]{4})([[:space:]]*-|[[:space:]]|$)'))
{%- endmacro %}
