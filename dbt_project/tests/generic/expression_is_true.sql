{#-
    Fails for every row where the expression is false (NULL passes, as in dbt_utils).
    With column_name (a column-level test) the expression is appended to the column:
    column `x`, expression "> 0" checks "x > 0".
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({{ column_name ~ ' ' if column_name else '' }}{{ expression }})

{% endtest %}
