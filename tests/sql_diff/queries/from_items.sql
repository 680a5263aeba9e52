-- FROM items: tables, qualified names, CTEs, derived tables, table functions, VALUES.

-- name: table_plain
select order_id, amount from orders

-- name: table_schema_qualified
select order_id from main.orders

-- name: table_catalog_qualified
select o.order_id from memory.main.orders as o

-- name: table_alias_no_as
select o.order_id, o.status from orders o

-- name: table_alias_column_list
select a, b from orders as o(a, b)

-- name: table_upper_case_name
select ORDER_ID, Status from ORDERS

-- name: mixed_case_quoted
select "CustomerID", "Order Count" from "Mixed_Case"

-- name: mixed_case_unquoted
select customerid, firstname from mixed_case

-- name: cte_simple
with x as (select order_id, amount from orders) select * from x

-- name: cte_column_list
with x(id, amt) as (select order_id, amount from orders) select id, amt from x

-- name: cte_chain
with a as (select * from orders), b as (select order_id, amount * 2 as amt2 from a), c as (select * from b where amt2 > 10) select * from c

-- name: cte_nested_with
with outer_cte as (with inner_cte as (select order_id from orders) select * from inner_cte) select * from outer_cte

-- name: cte_shadows_table
with orders as (select order_id, 1 as one from orders) select * from orders

-- name: cte_materialized
with x as materialized (select customer_id from customers) select * from x

-- name: cte_recursive_counter
with recursive t(n) as (select 1 union all select n + 1 from t where n < 10) select n from t

-- name: cte_recursive_dates
with recursive d as (select date '2024-01-01' as day union all select (day + interval 1 day)::date from d where day < date '2024-01-31') select day from d

-- name: derived_table
select sub.order_id, sub.total from (select order_id, amount * quantity as total from orders) sub

-- name: derived_table_no_alias
select * from (select customer_id, count(*) as n from orders group by customer_id)

-- name: derived_table_nested
select * from (select * from (select order_id, status from orders) a) b

-- name: range_one_arg
select range from range(10)

-- name: range_alias
select r.range * 2 as doubled from range(5) r

-- name: range_column_alias
select i from range(1, 10, 2) t(i)

-- name: generate_series_int
select generate_series from generate_series(1, 3)

-- name: generate_series_dates
select g.generate_series as ts from generate_series(timestamp '2024-01-01', timestamp '2024-01-02', interval 1 hour) g

-- name: unnest_list_literal
select * from unnest([1, 2, 3])

-- name: unnest_alias
select x from unnest(['a', 'b']) as t(x)

-- name: unnest_in_select
select order_id, unnest(tags) as tag from orders

-- name: unnest_struct_list
select unnest(items) from events

-- name: values_alias
select * from (values (1, 'a'), (2, 'b')) as v(id, label)

-- name: values_default_names
select * from (values (1, 'a'), (2, 'b'))

-- name: values_mixed_types
select * from (values (1, 2.5), (2, null)) v(a, b)

-- name: values_in_cte
with lookup(code, label) as (values ('p', 'placed'), ('s', 'shipped')) select * from lookup

-- name: join_to_values
select o.order_id, l.label from orders o join (values ('placed', 1), ('shipped', 2)) l(status, label) on o.status = l.status

-- name: select_without_from
select 1 as a, 'x' as b, null as c

-- name: from_first_star
from orders

-- name: from_first_select
from orders select order_id, status

-- name: from_first_where
from customers select customer_id where is_active

-- name: sample_clause
select * from orders using sample 10%

-- name: table_function_repeat
select * from repeat('x', 3)
