-- name: pivot_statement_in
pivot orders on status in ('placed', 'shipped', 'completed') using sum(amount) group by customer_id

-- name: pivot_subquery_in
select * from (pivot orders on status in ('placed', 'shipped') using count(*) group by customer_id)

-- name: pivot_sql_standard
select * from (select customer_id, status, amount from orders) pivot (sum(amount) for status in ('placed', 'shipped'))

-- name: pivot_sql_standard_alias
select * from (select customer_id, status, amount from orders) pivot (sum(amount) as total for status in ('placed' as placed, 'shipped' as shipped))

-- name: pivot_two_aggregates
pivot (select customer_id, status, amount from orders) on status in ('a', 'b') using sum(amount) as total, count(*) as n group by customer_id

-- name: unpivot_statement
unpivot (select customer_id, first_name, last_name from customers) on first_name, last_name into name kind value val

-- name: unpivot_sql_standard
select * from (select customer_id, first_name, last_name from customers) unpivot (val for kind in (first_name, last_name))

-- name: unpivot_columns
unpivot (select order_id, amount, discount from orders) on columns(* exclude (order_id)) into name metric value val

-- name: pivot_in_cte
with p as (pivot (select order_id, payment_method, amount from payments) on payment_method in ('card', 'cash') using sum(amount) group by order_id) select order_id, card, cash from p
