{#-
    Fails for values below min_value or above max_value (either bound optional, at least one
    required). Bounds are inclusive unless inclusive=false. NULLs pass.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- set below = ' < ' if inclusive else ' <= ' -%}
    {%- set above = ' > ' if inclusive else ' >= ' -%}
    {%- set lower = [column_name ~ below ~ min_value] if min_value is not none else [] -%}
    {%- set upper = [column_name ~ above ~ max_value] if max_value is not none else [] -%}
    {%- set outside = lower + upper -%}
    {%- if not outside -%}
        {%- do exceptions.raise_compiler_error("accepted_range: give min_value and/or max_value") -%}
    {%- endif %}

select *
from {{ model }}
where {{ outside | join(' or ') }}

{% endtest %}
