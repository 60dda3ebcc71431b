{#-
    One row per early help episode (council: early help stayed with the council through the
    trust years). is_escalated: stepped up to a referral (outcome ESCALATED). contact_key: the
    contact that led to it, when the council's front door recorded one.
-#}
with

early_help as (

    select * from {{ ref('int_council__early_help') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        md5('early_help:council:' || early_help.early_help_id)::text as early_help_key,
        pseudonyms.child_key::text as child_key,
        early_help.start_date::date as start_date,
        early_help.end_date::date as end_date,
        early_help.outcome_code::text as outcome_code,
        (early_help.outcome_code = 'ESCALATED')::boolean as is_escalated,
        early_help.team_code::text as team_key,
        case
            when early_help.contact_id is not null
                then md5('contact:council:' || early_help.contact_id)
        end::text as contact_key,
        (
            early_help.start_date <= {{ mart_as_at_date() }}
            and (early_help.end_date is null or early_help.end_date > {{ mart_as_at_date() }})
        )::boolean as is_open,
        'council'::text as source_system
    from early_help
    inner join pseudonyms on early_help.child_id = pseudonyms.child_id

)

select * from final
