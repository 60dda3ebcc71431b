{#-
    is_transfer_end(end_col, system_col, service='all'): true when a record with no closure
    reason of its own (trust CIN plans, allocations, CWD involvements; council placements,
    allocations) ended at one of the system transfers, which is when the old system closed
    everything technically:
        council -> trust  2016-04-01 (social care; service 'all')
        council -> trust  2018-04-01 (the disabled children's service; service 'cwd')
        trust -> council  2022-04-01 (everything; the trust's last extract was 2022-04-05)
    The window is a few days either side (closures were run on the last working days before
    the transfer and, for the trust, up to its switch-off). It only marks an end as
    *possibly* technical: stitch_spells still needs a start in the other system within
    5 working days, so a genuine closure in the window with no reopening stays a closure.
-#}
{%- macro is_transfer_end(end_col, system_col='source_system', service='all') -%}
    coalesce(
        (
            {{ system_col }} = 'council'
    {%- if service == 'cwd' %}
            and {{ end_col }} between date '2018-03-28' and date '2018-04-06'
            {%- elif service == 'either' %}
            and (
                {{ end_col }} between date '2016-03-28' and date '2016-04-06'
                or {{ end_col }} between date '2018-03-28' and date '2018-04-06'
            )
            {%- else %}
            and {{ end_col }} between date '2016-03-28' and date '2016-04-06'
    {%- endif %}
        )
        or (
            {{ system_col }} = 'trust'
            and {{ end_col }} between date '2022-03-28' and date '2022-04-06'
        ),
        false
    )
{%- endmacro -%}
