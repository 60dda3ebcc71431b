{#- Every source person has exactly one identity row and a child_id. -#}
select persons.person_key
from {{ ref('int_persons_unioned') }} as persons
left join {{ ref('int_child_identity') }} as child_identity
    on persons.person_key = child_identity.person_key
where child_identity.child_id is null
