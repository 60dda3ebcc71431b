{#-
    CIN episodes (referrals) of both systems, one row per episode, a technical closure and
    its reopening in the other system within 5 working days stitched into one episode
    (stitch_spells): it is one referral, not a new referral or a re-referral. Attributes of
    the start (date, source, need, NFA) come from the first record, those of the end (closure
    date and reason, team) from the last. source_ids / source_systems list the records, in
    order, for lineage ('trust:R0001234', 'council:5001').
-#}
with

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

trust as (

    select
        'trust' as source_system,
        referrals.referral_id as source_id,
        referrals.person_id,
        child_identity.child_id,
        referrals.referral_date as start_date,
        referrals.closure_date as end_date,
        referrals.referral_source_code,
        referrals.primary_need_code,
        referrals.closure_reason_code,
        coalesce(referrals.is_technical_closure, referrals.closure_reason_code = 'TECH', false)
            as is_technical_closure,
        referrals.is_nfa,
        referrals.team_code
    from {{ ref('stg_trust__referrals') }} as referrals
    left join child_identity
        on child_identity.source_system = 'trust' and referrals.person_id = child_identity.person_id

),

council as (

    select
        'council' as source_system,
        referral_id as source_id,
        person_id,
        child_id,
        referral_date as start_date,
        closure_date as end_date,
        referral_source_code,
        primary_need_code,
        closure_reason_code,
        coalesce(is_technical_closure, false) as is_technical_closure,
        is_nfa,
        team_code
    from {{ ref('int_council__referrals') }}

),

unioned as (

    select * from trust
    where child_id is not null and start_date is not null
    union all
    select * from council
    where child_id is not null and start_date is not null

),

stitched as (

    {{ stitch_spells('unioned', 'child_id', 'start_date', 'end_date', 'is_technical_closure',
        order_by=['source_system', 'source_id']) }}

),

final as (

    select
        child_id,
        md5('referral:' || min(source_system || ':' || source_id) filter (where stitch_seq = 1))
            as referral_id,
        min(start_date) as referral_date,
        (array_agg(end_date order by stitch_seq desc))[1] as closure_date,
        (array_agg(closure_reason_code order by stitch_seq desc))[1] as closure_reason_code,
        (array_agg(is_technical_closure order by stitch_seq desc))[1]
            as is_ended_by_technical_closure,
        (array_agg(referral_source_code order by stitch_seq))[1] as referral_source_code,
        (array_agg(primary_need_code order by stitch_seq))[1] as primary_need_code,
        (array_agg(is_nfa order by stitch_seq))[1] as is_nfa,
        (array_agg(team_code order by stitch_seq desc))[1] as team_code,
        count(*)::int as record_count,
        count(*) > 1 as is_stitched,
        array_agg(source_system || ':' || source_id order by stitch_seq) as source_ids,
        array_agg(source_system order by stitch_seq) as source_systems,
        array_agg(person_id order by stitch_seq) as source_person_ids
    from stitched
    group by child_id, stitch_group

)

select * from final
