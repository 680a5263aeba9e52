-- name: union_all
select order_id, amount from orders union all select order_id, amount from payments

-- name: union_distinct
select customer_id from orders union select customer_id from customers

-- name: union_type_widening
select quantity as v from orders union all select order_id from orders

-- name: union_decimal_widening
select amount from orders union all select amount from payments

-- name: union_int_double
select customer_id as v from orders union all select fee from payments

-- name: union_null_first
select null as v union all select order_id from orders

-- name: union_literals
select 1 as a, 'x' as b union all select 2, 'y'

-- name: union_varchar_int
select status from orders union all select order_id from orders

-- name: union_by_name
select order_id, status from orders union all by name select amount, order_id from payments

-- name: union_by_name_distinct
select customer_id, email from customers union by name select customer_id, status from orders

-- name: intersect
select customer_id from orders intersect select customer_id from customers

-- name: except
select customer_id from customers except select customer_id from orders

-- name: intersect_all
select customer_id from orders intersect all select customer_id from customers

-- name: union_in_cte_order
with u as (select order_id as id from orders union all select payment_id from payments) select id from u order by id

-- name: union_three
select 'a' as src, order_id as id from orders union all select 'b', payment_id from payments union all select 'c', hit_id from web_hits

-- name: union_order_by_limit
select order_id from orders union select order_id from payments order by 1 limit 5

-- name: union_parenthesized
(select order_id from orders) union all (select order_id from payments)

-- name: union_names_from_first
select order_id as first_name_wins from orders union all select payment_id as ignored from payments

-- name: union_timestamps
select created_at as ts from orders union all select paid_at from payments

-- name: union_date_timestamp
select order_date as d from orders union all select created_at from orders
