{#-
    Fails for values that are the empty string ('' - or blank, when trim_whitespace, the
    default). NULLs pass: pair it with not_null where the value is required.
-#}
{% test not_empty_string(model, column_name, trim_whitespace=true) %}
{%- set value = column_name ~ '::text' -%}
{%- set value = 'btrim(' ~ value ~ ')' if trim_whitespace else value %}

select *
from {{ model }}
where {{ value }} = ''

{% endtest %}
