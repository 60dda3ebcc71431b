{#-
    Contacts at the council's front door (CONTACT steps): when the contact came in, when the
    front door decided, what it decided (outcome_code: REF a referral, EH early help, IA
    information and advice, SIGN signposted elsewhere, NFA no further action; NULL while
    undecided) and the referral (REF step) that hangs off it, with that referral's source.
    The trust's system recorded no contacts: there are none from 2016-04-01 to 2022-03-31.
-#}
with

steps as (

    select * from {{ ref('int_council__steps') }}

),

contacts as (

    select * from steps
    where step_type = 'CONTACT'

),

referrals as (

    select distinct on (parent_step_id)
        parent_step_id as contact_id,
        step_id as referral_step_id,
        attributes ->> 'source' as referral_source_code
    from steps
    where step_type = 'REF' and parent_step_id is not null
    order by parent_step_id, start_date, step_id

),

final as (

    select
        contacts.step_id as contact_id,
        contacts.person_id,
        contacts.child_id,
        contacts.start_date as contact_date,
        contacts.end_date as decision_date,
        contacts.outcome as outcome_code,
        contacts.team_code,
        referrals.referral_step_id,
        referrals.referral_source_code
    from contacts
    left join referrals on contacts.step_id = referrals.contact_id

)

select * from final
