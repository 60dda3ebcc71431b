{#-
    Referential integrity on a subset of rows: every non-NULL column_name among the model's
    rows that satisfy from_condition must exist as field among the rows of `to` that satisfy
    to_condition. Fails for each orphan value.
-#}
{% test relationships_where(
    model, column_name, to, field, from_condition='true', to_condition='true'
) %}

with

child as (

    select {{ column_name }} as ref_value
    from {{ model }}
    where {{ column_name }} is not null and ({{ from_condition }})

),

parent as (

    select {{ field }} as ref_value
    from {{ to }}
    where {{ to_condition }}

)

select child.ref_value
from child
left join parent
    on child.ref_value = parent.ref_value
where parent.ref_value is null

{% endtest %}
