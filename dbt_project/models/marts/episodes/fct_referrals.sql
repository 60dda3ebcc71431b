{#-
    One row per CIN episode (referral), continuous across a system transfer: a technical
    closure and its reopening are one referral (not a new referral, not a re-referral).
    is_re_referral: the child had another referral starting in the 12 months before this
    one's start (DfE). Open on a date d: referral_date <= d and (closure_date is null or
    closure_date > d).
-#}
with

referrals as (

    select * from {{ ref('int_referrals_stitched') }}

),

children as (

    select * from {{ ref('int_children') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

sequenced as (

    select
        referrals.*,
        row_number() over (
            partition by referrals.child_id order by referrals.referral_date, referrals.referral_id
        ) as referral_sequence,
        lag(referrals.referral_date) over (
            partition by referrals.child_id order by referrals.referral_date, referrals.referral_id
        ) as previous_referral_date
    from referrals

),

final as (

    select
        sequenced.referral_id::text as referral_key,
        pseudonyms.child_key::text as child_key,
        sequenced.referral_date::date as referral_date,
        sequenced.closure_date::date as closure_date,
        sequenced.closure_reason_code::text as closure_reason_code,
        sequenced.referral_source_code::text as referral_source_code,
        sequenced.primary_need_code::text as primary_need_code,
        sequenced.is_nfa::boolean as is_nfa,
        sequenced.team_code::text as team_key,
        sequenced.referral_sequence::int as referral_sequence,
        sequenced.previous_referral_date::date as previous_referral_date,
        coalesce(
            sequenced.previous_referral_date
            >= (sequenced.referral_date - interval '12 months')::date,
            false
        )::boolean as is_re_referral,
        (
            sequenced.closure_date is null or sequenced.closure_date > {{ mart_as_at_date() }}
        )::boolean as is_open,
        {{ age_in_years('children.date_of_birth', 'sequenced.referral_date') }}::int
            as age_at_referral,
        sequenced.is_stitched::boolean as is_stitched,
        sequenced.record_count::int as record_count,
        array_to_string(sequenced.source_systems, ',')::text as source_systems
    from sequenced
    inner join pseudonyms on sequenced.child_id = pseudonyms.child_id
    left join children on sequenced.child_id = children.child_id

)

select * from final
