-- DuckDB's list aggregates: list_aggregate(l, 'agg') and its aliases, and the list_<agg>
-- macros, are the aggregate over the list's elements; they are scalar (their argument is
-- GROUP BY-checked).

-- name: list_aggregate_macros_varchar
select list_min(tags) as a, list_max(tags) as b, list_count(tags) as c, list_first(tags) as d, list_last(tags) as e, list_any_value(tags) as f, list_string_agg(tags) as g from orders

-- name: list_aggregate_macros_integer_array
select list_sum(dimensions) as a, list_avg(dimensions) as b, list_median(dimensions) as c, list_mode(dimensions) as d, list_approx_count_distinct(dimensions) as e, list_entropy(dimensions) as g from products

-- name: list_aggregate_named_forms
select list_aggregate([1, 2, 3], 'sum') as s, list_sum([1.5, 2]) as s2, list_aggregate(tags, 'min') as m, array_aggregate(tags, 'max') as a, list_aggr(tags, 'max') as b from orders

-- name: list_aggregate_over_transform
select list_sum(list_transform(items, i -> i.qty)) as v from events

-- name: list_aggregate_grouped
select status, list_sum(list_transform(tags, t -> length(t))) as total_len from orders group by status, tags

-- name: err_list_aggregate_unknown_name
select list_aggregate(tags, 'nope') as a from orders

-- name: err_list_min_of_scalar
select list_min(order_id) as a from orders

-- name: err_list_sum_of_varchar
select list_sum(tags) as a from orders

-- name: err_list_aggregate_ungrouped
select status, list_max(tags) as a from orders group by status
