{#- Source worker id (trust username, council employee number) -> the one worker_id. -#}
with

staff as (

    select * from {{ ref('stg_hr__staff') }}

),

usernames as (

    select distinct on (lower(trust_username))
        employee_number,
        lower(trust_username) as trust_username
    from staff
    where trust_username is not null
    order by lower(trust_username), start_date nulls last, employee_number

),

seen_ids as (

    select
        'trust' as source_system,
        worker_id
    from {{ ref('stg_trust__allocations') }}
    union
    select
        'trust' as source_system,
        worker_id
    from {{ ref('stg_trust__visits') }}
    union
    select
        'council' as source_system,
        worker_id
    from {{ ref('stg_council__allocations') }}
    union
    select
        'council' as source_system,
        worker_id
    from {{ ref('stg_council__visits') }}
    union
    select
        'council' as source_system,
        supervising_worker_id
    from {{ ref('stg_council__foster_carers') }}

),

final as (

    select
        seen_ids.source_system,
        seen_ids.worker_id as source_worker_id,
        case
            when seen_ids.source_system = 'trust'
                then coalesce(usernames.employee_number, 'trust:' || lower(seen_ids.worker_id))
            else seen_ids.worker_id
        end as worker_id,
        usernames.employee_number is not null or seen_ids.source_system = 'council'
            as is_linked_to_hr
    from seen_ids
    left join usernames
        on seen_ids.source_system = 'trust' and lower(seen_ids.worker_id) = usernames.trust_username
    where seen_ids.worker_id is not null

)

select * from final
