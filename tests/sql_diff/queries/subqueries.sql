-- name: scalar_subquery
select order_id, (select max(amount) from orders) as max_amount from orders

-- name: scalar_subquery_correlated
select c.customer_id, (select count(*) from orders o where o.customer_id = c.customer_id) as n_orders from customers c

-- name: scalar_subquery_correlated_unqualified_outer
select customer_id, (select max(order_date) from orders o where o.customer_id = customers.customer_id) as last_order from customers

-- name: in_subquery
select * from customers where customer_id in (select customer_id from orders where status = 'completed')

-- name: not_in_subquery
select customer_id from customers where customer_id not in (select customer_id from orders)

-- name: exists_subquery
select c.customer_id from customers c where exists (select 1 from orders o where o.customer_id = c.customer_id)

-- name: not_exists_subquery
select c.customer_id from customers c where not exists (select * from orders o where o.customer_id = c.customer_id and o.amount > 100)

-- name: subquery_in_select_expression
select order_id, amount - (select avg(amount) from orders) as diff_from_avg from orders

-- name: any_subquery
select order_id from orders where amount > any (select amount from payments)

-- name: all_subquery
select order_id from orders where amount >= all (select amount from orders where status = 'x')

-- name: correlated_in_having
select customer_id, count(*) as n from orders o group by customer_id having count(*) > (select count(*) / 100 from orders)

-- name: subquery_in_from_with_correlation_column
select c.customer_id, t.n from customers c join (select customer_id, count(*) as n from orders group by 1) t on t.customer_id = c.customer_id

-- name: array_subquery
select customer_id, array(select order_id from orders o where o.customer_id = c.customer_id) as order_ids from customers c

-- name: exists_as_column
select customer_id, exists (select 1 from orders o where o.customer_id = c.customer_id) as has_orders from customers c

-- name: scalar_subquery_unaliased
select (select 1) from orders

-- name: nested_correlation
select c.customer_id from customers c where exists (select 1 from orders o where o.customer_id = c.customer_id and exists (select 1 from payments p where p.order_id = o.order_id and c.is_active))

-- name: in_list_subquery_cte
with vip as (select customer_id from orders group by 1 having sum(amount) > 1000) select email from customers where customer_id in (from vip)
