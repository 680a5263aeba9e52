-- name: star
select * from customers

-- name: star_exclude
select * exclude (email, external_id) from customers

-- name: star_exclude_single
select * exclude email from customers

-- name: star_replace
select * replace (upper(status) as status) from orders

-- name: star_replace_type_change
select * replace (amount::double as amount) from orders

-- name: star_rename
select * rename (status as order_status) from orders

-- name: columns_regex
select columns('.*_id') from orders

-- name: columns_regex_agg
select max(columns('.*_at')) from orders

-- name: columns_lambda
select columns(c -> c like '%date%') from orders

-- name: columns_star_expr
select min(columns(*)) from products

-- name: qualified_star
select o.* from orders o

-- name: qualified_star_exclude
select c.* exclude (email) from customers c

-- name: star_plus_expr
select *, amount * 2 as double_amount from orders

-- name: star_twice
select o.*, o.* from orders o

-- name: star_join_using_exclude
select * exclude (created_at) from orders join customers using (customer_id)

-- name: star_from_cte_with_expr
with x as (select order_id, amount from orders) select *, 1 as one from x

-- name: star_unnest_struct
select unnest(context) from events

-- name: struct_star
select context.* from events

-- name: star_like
select * like '%_id' from orders
