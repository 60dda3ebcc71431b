{#-
    Source referral record -> stitched CIN episode (int_referrals_stitched.referral_id), so
    assessments, S47s, plans and episodes of either system can name their episode.
-#}
with

referrals as (

    select * from {{ ref('int_referrals_stitched') }}

),

final as (

    select
        referrals.referral_id,
        referrals.child_id,
        split_part(members.source_key, ':', 1) as source_system,
        substr(members.source_key, strpos(members.source_key, ':') + 1) as source_referral_id
    from referrals
    cross join lateral unnest(referrals.source_ids) as members (source_key)

)

select * from final
