{#-
    The council history and the current state agree: the steps whose newest version is
    current (valid_to is null) and not a delete are exactly the steps of
    stg_council__workflow_steps, with the same values. Fails for every step in one and not
    the other.
-#}
with

current_from_history as (

    select
        step_id,
        person_id,
        step_type,
        start_date,
        end_date,
        outcome
    from {{ ref('stg_council__workflow_steps_history') }}
    where valid_to is null and not is_deleted

),

current_state as (

    select
        step_id,
        person_id,
        step_type,
        start_date,
        end_date,
        outcome
    from {{ ref('stg_council__workflow_steps') }}

),

only_in_history as (

    select * from current_from_history
    except
    select * from current_state

),

only_in_current as (

    select * from current_state
    except
    select * from current_from_history

)

select
    'only in the history' as problem,
    only_in_history.*
from only_in_history
union all
select
    'only in the current state' as problem,
    only_in_current.*
from only_in_current
