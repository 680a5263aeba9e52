-- Hand-written bind errors an analytics engineer makes (labels come from DuckDB).

-- name: err_missing_column
select order_id, total_amount from orders

-- name: err_column_from_other_cte
with a as (select order_id from orders), b as (select customer_id from customers) select a.order_id, b.email from a, b

-- name: err_column_dropped_in_cte
with o as (select order_id, customer_id from orders) select status from o

-- name: err_ambiguous_after_join
select customer_id from orders o join customers c on o.customer_id = c.customer_id

-- name: err_ambiguous_created_at
select o.order_id, created_at from orders o join customers c using (customer_id)

-- name: err_unknown_table
select * from orderz

-- name: err_unknown_schema
select * from staging.orders

-- name: err_unknown_alias
select x.order_id from orders o

-- name: err_alias_out_of_scope
select o.order_id from (select * from orders o) t

-- name: err_not_grouped
select customer_id, status, count(*) from orders group by customer_id

-- name: err_aggregate_in_where
select customer_id from orders where sum(amount) > 10 group by customer_id

-- name: err_nested_aggregate
select sum(count(*)) as x from orders

-- name: err_window_in_where
select order_id from orders where row_number() over () = 1

-- name: err_union_arity
select order_id, status from orders union all select order_id from payments

-- name: err_unknown_function
select order_id, date_trunk('month', order_date) as m from orders

-- name: err_wrong_arity
select date_trunc('month') as m from orders

-- name: err_no_overload
select upper(order_id) as u from orders

-- name: err_sum_varchar
select sum(status) as s from orders

-- name: err_varchar_plus_int
select status + 1 as s from orders

-- name: err_compare_varchar_date
select * from orders where status > order_date

-- name: err_coalesce_mixed
select coalesce(status, order_id) as c from orders

-- name: err_case_mixed
select case when amount > 0 then status else order_id end as c from orders

-- name: err_in_subquery_types
select * from orders where order_id in (select status from orders)

-- name: err_struct_missing_field
select context.pagex from events

-- name: err_qualified_by_table_name_after_alias
select orders.order_id from orders o

-- name: err_using_missing_column
select * from orders join payments using (customer_id)

-- name: err_group_by_ordinal_out_of_range
select status, count(*) from orders group by 3

-- name: err_order_by_ordinal_out_of_range
select status from orders order by 2

-- name: err_star_exclude_missing
select * exclude (nope) from orders

-- name: err_lambda_unknown_field
select list_transform(items, i -> i.nope) from events

-- name: err_named_window_missing
select sum(amount) over (partition by nope) as s from orders

-- name: err_mixed_case_wrong_spelling
select customer_id from "Mixed_Case"

-- name: err_self_reference_alias_cycle
select a + 1 as b, b + 1 as a from orders

-- name: err_date_plus_timestamp
select order_date + created_at as x from orders

-- name: err_varchar_lt_int_column
select * from orders o where o.status < o.order_id

-- name: err_varchar_gt_date_column
select * from orders o where o.status > o.order_date

-- name: err_varchar_between_ints
select * from orders where status between customer_id and order_id
