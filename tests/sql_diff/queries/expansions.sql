-- SELECT items DuckDB expands into several columns (unnest of a struct, recursive unnest,
-- expressions over COLUMNS(...)), and DuckDB's rules on FROM aliases under `*`, HAVING
-- without GROUP BY and SELECT aliases in WHERE.

-- name: unnest_struct_with_other_columns
select event_id, unnest(context), event_type from events

-- name: unnest_struct_aliased
select unnest(context) as ctx from events

-- name: unnest_struct_twice
select unnest(context), unnest(context) from events

-- name: unnest_struct_recursive
select unnest(context, recursive := true) from events

-- name: unnest_struct_recursive_false
select unnest(context, recursive := false) from events

-- name: unnest_struct_literal_recursive
select unnest({'a': 1, 'b': [1, 2], 'c': {'d': 'x'}}, recursive := true)

-- name: unnest_struct_in_subquery
select page, referrer from (select unnest(context) from events)

-- name: unnest_recursive_list_of_structs_where
select sku, qty from (select unnest(items, recursive := true) from events) where qty > 1

-- name: columns_expression_max
select max(columns('.*_at')) from orders

-- name: columns_expression_two_calls
select min(columns('amount|quantity')), max(columns('amount|quantity')) from orders

-- name: columns_expression_cast
select columns('order_id|quantity')::varchar from orders

-- name: columns_expression_alias
select count(columns(* exclude (tags))) as n from orders

-- name: columns_expression_mixed_case
select min(columns(*)) from "Mixed_Case"

-- name: columns_expression_coalesce
select coalesce(columns('amount|discount'), 0) from orders

-- name: having_without_group_by_aggregate
select count(*) as n from orders having count(*) > 1

-- name: having_true_constant
select 1 as one from orders having true

-- name: same_alias_qualified_column
select o.order_id from orders o join customers o on true

-- name: alias_case_differs
select * from orders o, (select 1 as x) as "O"

-- name: err_unnest_varchar
select unnest(status) from orders

-- name: err_unnest_map
select event_id, unnest(attributes) from events

-- name: err_unnest_json
select unnest(properties) from events

-- name: err_unnest_struct_bad_field_compare
select * from (select unnest(context) from events) where page > 1

-- name: err_columns_expression_no_match
select min(columns('^zzz')) from orders

-- name: err_columns_expression_type
select columns('status|order_date') + 1 from orders

-- name: err_having_ungrouped_column
select 1 as one from orders having status = 'x'

-- name: err_having_star
select * from orders having true

-- name: err_star_duplicate_alias
select * from orders o join customers o using (customer_id)

-- name: err_star_duplicate_table_name
select * from orders, orders

-- name: err_star_duplicate_cte
with a as (select 1 as x) select * from a, a

-- name: err_qualified_star_duplicate_alias
select o.* from orders o, customers o

-- name: err_star_duplicate_table_function
select * from range(3), range(4)

-- name: err_where_alias_of_aggregate
select order_id, sum(amount) as s from orders where s > 1

-- name: err_where_alias_of_window
select order_id, count(*) over () as c from orders where c > 1
