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

-- name: err_cte_forward_reference
with a as (select * from b), b as (select order_id from orders) select * from a

-- name: err_cte_self_reference_without_recursive
with t as (select 1 as n union all select n + 1 from t where n < 3) select * from t

-- name: err_cte_out_of_scope_in_sibling_subquery
select * from (with inner_cte as (select 1 as x) select x from inner_cte) a, inner_cte

-- name: err_derived_table_column_renamed
select sub.amount from (select amount as amt from orders) sub

-- name: err_join_alias_reused
select * from orders o join customers o on true

-- name: err_correlated_wrong_outer_alias
select c.customer_id from customers c where exists (select 1 from orders o where o.customer_id = cc.customer_id)

-- name: err_lateral_reference_to_later_item
select * from (select t.order_id) x, orders t

-- name: err_group_by_aggregate
select count(*) from orders group by count(*)

-- name: err_window_in_group_by
select order_id from orders group by row_number() over ()

-- name: err_aggregate_in_join_condition
select * from orders o join customers c on sum(o.amount) > 0

-- name: err_having_not_grouped
select customer_id from orders group by customer_id having status = 'x'

-- name: err_qualify_not_grouped_column
select customer_id, count(*) as n from orders group by customer_id qualify row_number() over (order by order_date) = 1

-- name: err_union_order_by_unknown
select order_id from orders union all select order_id from payments order by amount

-- name: err_except_arity
select customer_id, email from customers except select customer_id from orders

-- name: err_struct_field_on_varchar
select status.first from orders

-- name: err_list_index_on_integer
select order_id[1] as x from orders

-- name: err_map_on_struct_bad_key
select context['nope'] as x from events

-- name: err_lambda_param_on_int_list
select list_transform([1, 2], x -> x.field) as y

-- name: err_date_trunc_bad_arg_type
select date_trunc('month', status) as m from orders

-- name: err_date_diff_arity
select date_diff('day', order_date) as d from orders

-- name: err_round_varchar
select round(status, 2) as r from orders

-- name: err_avg_of_date
select avg(status) as a from orders

-- name: err_string_minus_string
select first_name - last_name as x from customers

-- name: err_interval_plus_varchar
select session_length + event_type as x from events

-- name: err_case_when_mixed_list_int
select case when amount > 0 then tags else 1 end as x from orders

-- name: err_coalesce_date_int
select coalesce(order_date, 0) as x from orders

-- name: err_unknown_table_function
select * from generate_seriez(1, 3)

-- name: err_unknown_table_in_join
select * from orders o join customerz c on o.customer_id = c.customer_id

-- name: err_columns_no_match
select columns('^zzz') from orders

-- name: err_exclude_qualified_missing
select o.* exclude (email) from orders o

-- name: err_replace_missing
select * replace (1 as nope) from orders

-- name: err_using_ambiguous_after_three_way
select created_at from orders join customers using (customer_id) join sessions using (customer_id)

-- name: err_positional_reference_in_where
select status from orders where 1 = status and nope = 1
