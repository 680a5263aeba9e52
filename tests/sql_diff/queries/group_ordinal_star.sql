-- GROUP BY ordinals count the columns a star expands to (DuckDB expands the SELECT list
-- before it resolves ordinals): `select *, count(*) ... group by 1, 2` over two columns.

-- name: ordinal_star_two_columns
with t as (select status, customer_id from orders) select *, count(*) as n from t group by 1, 2

-- name: ordinal_star_after_aggregate
with t as (select status, customer_id from orders) select count(*) as n, * from t group by 2, 3

-- name: ordinal_qualified_star
select o.*, count(*) as n from (select status, customer_id from orders) o group by 1, 2

-- name: ordinal_star_then_expression
with t as (select status from orders) select *, upper(status) as s, count(*) as n from t group by 1, 2

-- name: ordinal_star_join
with a as (select order_id, status from orders), b as (select customer_id from customers)
select *, count(*) as n from a cross join b group by 1, 2, 3

-- name: err_ordinal_star_ungrouped_column
with t as (select status, customer_id, order_id from orders) select *, count(*) as n from t group by 1, 2

-- name: err_ordinal_star_after_aggregate_ungrouped
with t as (select status, customer_id, order_id from orders) select count(*) as n, * from t group by 2, 3

-- name: err_ordinal_qualified_star_ungrouped
select o.*, count(*) as n from (select status, customer_id from orders) o group by 1

-- name: ordinal_star_exclude
with t as (select status, customer_id, order_id from orders) select * exclude (order_id), count(*) as n from t group by 1, 2
