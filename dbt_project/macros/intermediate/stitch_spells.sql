{#-
    stitch_spells(relation, partition_by, start_col, end_col, technical_flag_col,
                  system_col='source_system', order_by=none, max_working_days=5)

    Gaps and islands across a system transfer. A spell that ended with a technical closure
    (technical_flag_col true) and is followed, for the same partition (e.g. child_id, or
    child_id + role), by a spell in the *other* system (system_col differs) that the new
    system opened on the transfer day or up to max_working_days working days later, is the
    same spell: both rows get the same stitch_group.

    The transfer day is the day after the technical closure (the old system closes on its
    last day, e.g. 2016-03-31; the new one takes over on 2016-04-01), counted from its first
    working day. With dim_date.working_day_number (wdn; weekends and England and Wales bank
    holidays excluded; a non-working day carries the number of the working day before it)
    the first working day after the closure is wdn(end) + 1, so the window is
        next start >= technical end  and  wdn(next start) - wdn(technical end) <= 1 + N
    e.g. closed Thu 2022-03-31: reopenings up to Fri 2022-04-08 (Fri 1 = transfer day, then
    5 working days). This is how the sources behave (the generator's ground truth agrees);
    counting 5 working days from the closure date itself instead would split the reopenings
    made on the 5th working day after the transfer day.

    relation: a ref/relation or a CTE name. partition_by: a column name or list of names.
    order_by: optional tie-breaker columns (list) after start and end.

    Renders a SELECT of every column of the relation plus
        stitch_group          int, 1.. within the partition, in start order;
        stitch_seq            int, position of the row within its group (1 = first);
        is_stitched_start     true when the row continues the previous row's spell
                              (it is not a new spell: not a new referral, plan, placement);
        stitch_gap_working_days  working days from the previous technical end to this start
                              (NULL unless is_stitched_start).
    Callers aggregate by (partition, stitch_group): first start, last end, etc.
-#}
{%- macro stitch_spells(
    relation,
    partition_by,
    start_col,
    end_col,
    technical_flag_col,
    system_col='source_system',
    order_by=none,
    max_working_days=5
) -%}
    {%- set parts = [partition_by] if partition_by is string else partition_by -%}
    {%- set part_sql = parts | join(', ') -%}
    {%- set tie = (', ' ~ (order_by | join(', '))) if order_by else '' -%}
    {%- set window_order = start_col ~ ', ' ~ end_col ~ ' nulls last' ~ tie -%}
    select
        __st_grouped.*,
        row_number() over (
            partition by {{ part_sql }}, __st_grouped.stitch_group
            order by {{ window_order }}
        )::int as stitch_seq
    from (
        select
            __st_flagged.*,
            sum(case when __st_flagged.is_stitched_start then 0 else 1 end) over (
                partition by {{ part_sql }}
                order by {{ window_order }}
                rows between unbounded preceding and current row
            )::int as stitch_group
        from (
            select
                __st_ordered.*,
                coalesce(
                    __st_ordered.__st_prev_technical
                    and __st_ordered.__st_prev_system != __st_ordered.{{ system_col }}
                    and __st_ordered.{{ start_col }} >= __st_ordered.__st_prev_end
                    and __st_start_day.working_day_number - __st_end_day.working_day_number
                    between 0 and {{ max_working_days + 1 }},
                    false
                ) as is_stitched_start,
                case
                    when
                        __st_ordered.__st_prev_technical
                        and __st_ordered.__st_prev_system != __st_ordered.{{ system_col }}
                        and __st_ordered.{{ start_col }} >= __st_ordered.__st_prev_end
                        and __st_start_day.working_day_number - __st_end_day.working_day_number
                        between 0 and {{ max_working_days + 1 }}
                        then __st_start_day.working_day_number - __st_end_day.working_day_number
                end as stitch_gap_working_days
            from (
                select
                    __st_rel.*,
                    lag(__st_rel.{{ end_col }}) over __st_w as __st_prev_end,
                    lag(__st_rel.{{ technical_flag_col }}) over __st_w as __st_prev_technical,
                    lag(__st_rel.{{ system_col }}) over __st_w as __st_prev_system
                from {{ relation }} as __st_rel
                window __st_w as (partition by {{ part_sql }} order by {{ window_order }})
            ) as __st_ordered
            left join {{ ref('dim_date') }} as __st_end_day
                on __st_ordered.__st_prev_end = __st_end_day.date_day
            left join {{ ref('dim_date') }} as __st_start_day
                on __st_ordered.{{ start_col }} = __st_start_day.date_day
        ) as __st_flagged
    ) as __st_grouped
{%- endmacro -%}
