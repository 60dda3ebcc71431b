{#-
    One row per contact at the front door (council; the trust recorded none, so there are no
    contacts from 2016-04-01 to 2022-03-31). is_referral: the contact became a referral (its
    outcome is REF or a referral hangs off it), referral_key naming the CIN episode it started
    or joined. working_days_to_decision: working days (bank holidays excluded) from the
    contact to the front door's decision; 0 = decided the same day.
-#}
with

contacts as (

    select * from {{ ref('int_council__contacts') }}

),

referral_map as (

    select * from {{ ref('int_referrals_source_map') }}
    where source_system = 'council'

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        md5('contact:council:' || contacts.contact_id)::text as contact_key,
        pseudonyms.child_key::text as child_key,
        contacts.contact_date::date as contact_date,
        contacts.decision_date::date as decision_date,
        contacts.outcome_code::text as outcome_code,
        (
            coalesce(contacts.outcome_code = 'REF', false)
            or contacts.referral_step_id is not null
        )::boolean as is_referral,
        referral_map.referral_id::text as referral_key,
        contacts.referral_source_code::text as referral_source_code,
        contacts.team_code::text as team_key,
        case
            when contacts.decision_date is not null
                then {{ working_days_between('contacts.contact_date', 'contacts.decision_date') }}
        end::int as working_days_to_decision,
        'council'::text as source_system
    from contacts
    inner join pseudonyms on contacts.child_id = pseudonyms.child_id
    left join referral_map
        on contacts.referral_step_id::text = referral_map.source_referral_id

)

select * from final
