{#-
    connected_components(nodes_sql, edges_sql): one row per node (node_id, component_id),
    component_id = the smallest node_id reachable from the node over the (undirected) edges.

    nodes_sql: a query with a column node_id. edges_sql: a query with columns node_a, node_b.
    A recursive CTE over reachability: cost is the sum of squared component sizes, fine for
    identity clusters (a handful of source records per child).
-#}
{%- macro connected_components(nodes_sql, edges_sql) -%}
    with recursive
    __cc_edges as (
        select __e.node_a, __e.node_b from ({{ edges_sql }}) as __e
        union
        select __e.node_b, __e.node_a from ({{ edges_sql }}) as __e
    ),
    __cc_reach (node_id, member_id) as (
        select __n.node_id, __n.node_id from ({{ nodes_sql }}) as __n
        union
        select __cc_reach.node_id, __cc_edges.node_b
        from __cc_reach
        inner join __cc_edges on __cc_reach.member_id = __cc_edges.node_a
    )
    select
        node_id,
        min(member_id) as component_id
    from __cc_reach
    group by node_id
{%- endmacro -%}
