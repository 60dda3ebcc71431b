{#-
    Involvements of the disabled children's service, both systems, stitched across the
    transfers (council -> trust on 2018-04-01 for this service, trust -> council on
    2022-04-01). The trust records no end reason: an involvement ending in a transfer window
    is possibly technical (is_transfer_end) and stitched when the other system opens one
    within 5 working days. Primary disability from the latest record.
-#}
with

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

trust as (

    select
        'trust' as source_system,
        involvements.involvement_id as source_id,
        involvements.person_id,
        child_identity.child_id,
        involvements.start_date,
        involvements.end_date,
        involvements.primary_disability_code,
        involvements.team_code,
        {{ is_transfer_end('involvements.end_date', "'trust'") }} as is_technical_closure
    from {{ ref('stg_trust__cwd_involvements') }} as involvements
    left join child_identity
        on
            child_identity.source_system = 'trust'
            and involvements.person_id = child_identity.person_id

),

council as (

    select
        'council' as source_system,
        involvement_id as source_id,
        person_id,
        child_id,
        start_date,
        end_date,
        primary_disability_code,
        team_code,
        coalesce(is_technical_closure, false)
        or {{ is_transfer_end('end_date', "'council'", service='either') }} as is_technical_closure
    from {{ ref('int_council__cwd_involvements') }}

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
        md5('cwd:' || min(source_system || ':' || source_id) filter (where stitch_seq = 1))
            as cwd_involvement_id,
        min(start_date) as start_date,
        (array_agg(end_date order by stitch_seq desc))[1] as end_date,
        (array_agg(primary_disability_code order by stitch_seq desc))[1]
            as primary_disability_code,
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
