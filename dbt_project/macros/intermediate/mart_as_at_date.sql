{#-
    The date the build is "as at": var as_at_date (the extract date of the night being
    built; the nightly run passes it), else today. Renders a date literal expression.
-#}
{%- macro mart_as_at_date() -%}
    {%- set value = var('as_at_date', none) -%}
    {%- if value -%}
        date '{{ value }}'
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro -%}
