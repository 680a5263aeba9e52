-- name: inner_join_on
select o.order_id, c.first_name from orders o join customers c on o.customer_id = c.customer_id

-- name: inner_join_keyword
select o.order_id, p.payment_id from orders o inner join payments p on p.order_id = o.order_id

-- name: left_join
select o.order_id, p.amount as paid from orders o left join payments p on p.order_id = o.order_id

-- name: right_join
select c.customer_id, o.order_id from orders o right join customers c on o.customer_id = c.customer_id

-- name: full_join
select coalesce(o.customer_id, c.customer_id) as customer_id, o.order_id, c.email from orders o full outer join customers c on o.customer_id = c.customer_id

-- name: join_using_star
select * from orders join customers using (customer_id)

-- name: join_using_qualified
select orders.order_id, customers.email, customer_id from orders join customers using (customer_id)

-- name: join_using_two_columns
select * from orders o join order_items i using (order_id)

-- name: left_join_using_star
select * from customers left join orders using (customer_id)

-- name: full_join_using
select customer_id from customers full join orders using (customer_id)

-- name: natural_join
select * from order_items natural join products

-- name: natural_join_columns
select order_id, product_id, name from order_items natural join products

-- name: cross_join
select c.customer_id, r.range from customers c cross join range(3) r

-- name: comma_join
select o.order_id, c.email from orders o, customers c where o.customer_id = c.customer_id

-- name: lateral_join
select o.order_id, l.doubled from orders o, lateral (select o.amount * 2 as doubled) l

-- name: lateral_keyword_join
select c.customer_id, x.last_order from customers c left join lateral (select max(order_date) as last_order from orders o where o.customer_id = c.customer_id) x on true

-- name: implicit_lateral
select o.order_id, t.tag from orders o, unnest(o.tags) t(tag)

-- name: asof_join
select o.order_id, f.rate from orders o asof join fx_rates f on o.created_at >= f.valid_from

-- name: asof_left_join
select o.order_id, f.rate from orders o asof left join fx_rates f on f.currency = 'EUR' and o.created_at >= f.valid_from

-- name: asof_using
select * from (select 'EUR' as currency, created_at as valid_from from orders) o asof join fx_rates f using (currency, valid_from)

-- name: positional_join
select * from (select order_id from orders) a positional join (select payment_id from payments) b

-- name: self_join
select e.name as employee, m.name as manager from employees e left join employees m on e.manager_id = m.employee_id

-- name: three_way_join
select o.order_id, c.email, p.payment_method from orders o join customers c on c.customer_id = o.customer_id left join payments p on p.order_id = o.order_id

-- name: join_on_expression
select o.order_id, f.rate from orders o join fx_rates f on o.order_date between f.valid_from::date and f.valid_to::date

-- name: join_star_qualified
select o.*, c.email from orders o join customers c on o.customer_id = c.customer_id

-- name: join_star_all
select * from orders o join payments p on o.order_id = p.order_id

-- name: semi_join
select * from orders semi join customers using (customer_id)

-- name: anti_join
select order_id from orders o anti join payments p on p.order_id = o.order_id

-- name: join_subquery
select o.order_id, t.total from orders o join (select order_id, sum(amount) as total from payments group by order_id) t on t.order_id = o.order_id

-- name: join_using_alias_reference
select c.customer_id, o.customer_id as o_cust from customers c join orders o using (customer_id)
