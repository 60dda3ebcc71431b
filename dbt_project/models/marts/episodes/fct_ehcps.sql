{#- One row per EHCP (council): request, issue, cessation; issued within 20 weeks. -#}
with

ehcps as (

    select * from {{ ref('int_ehcps') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        ehcps.ehcp_id::text as ehcp_key,
        pseudonyms.child_key::text as child_key,
        ehcps.requested_on::date as requested_on,
        ehcps.issued_on::date as issued_on,
        ehcps.ceased_on::date as ceased_on,
        ehcps.weeks_to_issue::int as weeks_to_issue,
        ehcps.is_issued_within_20_weeks::boolean as is_issued_within_20_weeks,
        (
            ehcps.issued_on <= {{ mart_as_at_date() }}
            and (ehcps.ceased_on is null or ehcps.ceased_on > {{ mart_as_at_date() }})
        )::boolean as is_active
    from ehcps
    inner join pseudonyms on ehcps.child_id = pseudonyms.child_id

)

select * from final
