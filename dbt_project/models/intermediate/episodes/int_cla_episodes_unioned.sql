{#-
    Looked-after episodes (903-like: a new episode at each change of placement or legal
    status) of both systems, with their period of care (int_care_periods_stitched logic is
    done here, the periods model aggregates) and placement:

    * care_period_id: consecutive episodes of one system (an episode starting the day the
      previous one ended, or the next day, with a reason for new episode other than S) are
      one period of care; a period that ended with a technical
      closure (REC TECH) and one starting in the other system within 5 working days are
      one period (stitch_spells).
    * placement_id: a new placement starts with the period, and at each episode whose
      reason for new episode is a placement change (seed dfe_reason_new_episode) - except
      the first episode in the new system after a technical transfer, which continues the
      placement (the child did not move).
    * carer_id: the council's placement with a foster carer covering the episode's start.
-#}
with

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

rne as (

    select * from {{ ref('dfe_reason_new_episode') }}

),

unioned as (

    select
        'trust' as source_system,
        episode_id as source_id,
        person_id,
        start_date,
        end_date,
        rne_code,
        legal_status_code,
        cin_code,
        placement_type_code,
        placement_provider_code,
        placement_postcode,
        home_postcode,
        reason_ceased_code,
        coalesce(is_technical_closure, reason_ceased_code = 'TECH', false) as is_technical_closure
    from {{ ref('stg_trust__cla_episodes') }}

    union all

    select
        'council' as source_system,
        episode_id,
        person_id,
        start_date,
        end_date,
        rne_code,
        legal_status_code,
        cin_code,
        placement_type_code,
        placement_provider_code,
        placement_postcode,
        home_postcode,
        reason_ceased_code,
        coalesce(is_technical_closure, false) as is_technical_closure
    from {{ ref('int_council__cla_episodes') }}

),

with_child as (

    select
        unioned.*,
        child_identity.child_id
    from unioned
    inner join child_identity
        on
            unioned.source_system = child_identity.source_system
            and unioned.person_id = child_identity.person_id
    where unioned.start_date is not null

),

system_chains as (

    {#- periods within one system (the 903's chaining rule): an episode starts a new period
        when it is the child's first, when its reason for new episode is S (started to be
        looked after), or when it starts more than a day after the previous one ended (a
        source that ends an episode the day before the next one starts is still continuous) -#}
    select
        with_child.*,
        sum(
            case
                when
                    previous_end is null
                    or rne_code = 'S'
                    or start_date > previous_end + 1
                    then 1
                else 0
            end
        ) over (
            partition by child_id, source_system order by start_date, source_id
            rows between unbounded preceding and current row
        ) as system_period_number
    from (
        select
            with_child.*,
            lag(end_date) over (
                partition by child_id, source_system order by start_date, source_id
            ) as previous_end
        from with_child
    ) as with_child

),

system_periods as (

    select
        child_id,
        source_system,
        system_period_number,
        min(start_date) as start_date,
        (array_agg(end_date order by start_date desc, source_id desc))[1] as end_date,
        (array_agg(is_technical_closure order by start_date desc, source_id desc))[1]
            as is_technical_closure,
        min(source_id) as first_source_id
    from system_chains
    group by child_id, source_system, system_period_number

),

stitched_periods as (

    {{ stitch_spells('system_periods', 'child_id', 'start_date', 'end_date',
        'is_technical_closure', order_by=['source_system', 'first_source_id']) }}

),

period_keys as (

    select
        child_id,
        source_system,
        system_period_number,
        is_stitched_start,
        md5('care_period:' || first_value(source_system || ':' || first_source_id) over (
            partition by child_id, stitch_group order by stitch_seq
        )) as care_period_id
    from stitched_periods

),

episodes as (

    select
        system_chains.*,
        period_keys.care_period_id,
        period_keys.is_stitched_start as system_period_is_stitched,
        row_number() over (
            partition by
                system_chains.child_id, system_chains.source_system,
                system_chains.system_period_number
            order by system_chains.start_date, system_chains.source_id
        ) = 1 as is_first_in_system_period
    from system_chains
    inner join period_keys
        on
            system_chains.child_id = period_keys.child_id
            and system_chains.source_system = period_keys.source_system
            and system_chains.system_period_number = period_keys.system_period_number

),

placement_starts as (

    select
        episodes.*,
        case
            when episodes.is_first_in_system_period and episodes.system_period_is_stitched
                then false
            when episodes.is_first_in_system_period then true
            else coalesce(rne.is_placement_change, episodes.rne_code != 'L')
        end as is_new_placement,
        episodes.is_first_in_system_period and not episodes.system_period_is_stitched
            as is_period_start
    from episodes
    left join rne on episodes.rne_code = rne.code

),

with_placement as (

    select
        placement_starts.*,
        sum(case when is_new_placement then 1 else 0 end) over (
            partition by care_period_id order by start_date, source_system, source_id
            rows between unbounded preceding and current row
        ) as placement_number
    from placement_starts

),

council_placements as (

    select
        placements.person_id,
        placements.carer_id,
        placements.start_date,
        placements.end_date
    from {{ ref('stg_council__placements') }} as placements

),

carers as (

    {#- the council's placement with a foster carer covering the episode's start (the latest
        to start, if two do): one join, not a search of every placement per episode -#}
    select distinct on (with_placement.source_system, with_placement.source_id)
        with_placement.source_system,
        with_placement.source_id,
        council_placements.carer_id
    from with_placement
    inner join council_placements
        on
            with_placement.person_id = council_placements.person_id
            and with_placement.start_date >= council_placements.start_date
            and (
                council_placements.end_date is null
                or with_placement.start_date <= council_placements.end_date
            )
    where with_placement.source_system = 'council'
    order by
        with_placement.source_system asc,
        with_placement.source_id asc,
        council_placements.start_date desc,
        council_placements.carer_id asc

),

final as (

    select
        with_placement.child_id,
        with_placement.care_period_id,
        with_placement.start_date,
        with_placement.end_date,
        with_placement.rne_code,
        with_placement.legal_status_code,
        with_placement.cin_code,
        with_placement.placement_type_code,
        with_placement.placement_provider_code,
        with_placement.placement_postcode,
        with_placement.home_postcode,
        with_placement.reason_ceased_code,
        with_placement.is_technical_closure,
        with_placement.is_period_start,
        with_placement.is_new_placement,
        with_placement.source_system,
        with_placement.source_id,
        with_placement.person_id as source_person_id,
        carers.carer_id,
        md5('cla_episode:' || with_placement.source_system || ':' || with_placement.source_id)
            as episode_id,
        md5(
            'placement:'
            || with_placement.care_period_id
            || ':'
            || with_placement.placement_number::text
        )
            as placement_id
    from with_placement
    left join carers
        on
            with_placement.source_system = carers.source_system
            and with_placement.source_id = carers.source_id

)

select * from final
