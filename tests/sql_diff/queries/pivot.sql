-- PIVOT and UNPIVOT. sqlparser 0.64 parses only the SQL-standard FROM forms
-- `t PIVOT (agg [AS a], ... FOR k IN (...))` and `t UNPIVOT [INCLUDE NULLS] (v FOR k IN (a, b))`,
-- and only plain function calls as PIVOT aggregates (`max(x) + 1` is a gap). dbtc reads DuckDB's
-- PIVOT/UNPIVOT statements itself (pivot_statement_*, unpivot_statement_*), also in parentheses
-- (a CTE body, a derived table) and after CTEs (`WITH ... PIVOT ...`). With a
-- literal IN list dbtc knows the columns
-- (pivot_std_*, unpivot_std_*); err_* are bind errors DuckDB raises on them.

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

-- name: pivot_std_whole_table
select * from orders pivot (sum(amount) for status in ('placed', 'shipped'))

-- name: pivot_std_two_aggregates_aliased
select * from (select customer_id, status, amount from orders) pivot (sum(amount) as total, count(*) as n for status in ('placed', 'shipped'))

-- name: pivot_std_two_aggregates_unaliased
select * from (select customer_id, status, amount from orders) pivot (sum(amount), count(*) for status in ('placed', 'shipped'))

-- name: pivot_std_value_alias
select * from (select customer_id, status, amount from orders) pivot (sum(amount) as total for status in ('placed' as p, 'shipped'))

-- name: pivot_std_tuple_values
select * from (select customer_id, status, amount, quantity from orders) pivot (sum(amount) for (status, quantity) in (('placed', 1), ('shipped', 2)))

-- name: pivot_std_numeric_values
select * from (select customer_id, quantity, amount from orders) pivot (sum(amount) for quantity in (1, 2, -1, null))

-- name: pivot_std_expression_aggregate_gap
select * from (select customer_id, status, amount from orders) pivot (max(amount) + 1 for status in ('a'))

-- name: pivot_std_aggregate_reads_two_columns
select * from (select customer_id, status, amount, quantity from orders) pivot (sum(amount * quantity) for status in ('a', 'b'))

-- name: pivot_std_filter_clause
select * from (select customer_id, status, amount, quantity from orders) pivot (sum(amount) filter (where quantity > 1) for status in ('a'))

-- name: pivot_std_value_named_like_group_column
select * from (select customer_id, status, amount from orders) pivot (sum(amount) for status in ('customer_id', 'A', 'a'))

-- name: pivot_std_aggregate_text_names
select * from (select customer_id, status, amount, quantity from orders) pivot (SUM(Amount), count(amount), avg(amount), list(amount order by quantity) for status in ('A'))

-- name: pivot_std_table_alias_columns
select x, a from (select customer_id, status, amount from orders) pivot (sum(amount) for status in ('a')) p(x)

-- name: pivot_std_count_star_keeps_all
select * from customers pivot (count(*) for country_code in ('US', 'NL'))

-- name: pivot_std_where_on_output
select customer_id, placed from (select customer_id, status, amount from orders) pivot (sum(amount) for status in ('placed')) where placed > 10

-- name: pivot_std_join_after
select p.customer_id, p.placed, c.email from (select customer_id, status, amount from orders) pivot (sum(amount) for status in ('placed')) p join customers c on c.customer_id = p.customer_id

-- name: pivot_std_chained
select * from (select customer_id, status, amount, quantity from orders) pivot (sum(amount) for status in ('A')) pivot (sum(A) for quantity in (1))

-- name: pivot_std_struct_subscript
select * from (select event_id, event_type, context from events) pivot (max(context['page']) for event_type in ('click', 'view'))

-- name: pivot_std_in_cte_then_union
with p as (select * from (select order_id, payment_method, amount from payments) pivot (sum(amount) for payment_method in ('card', 'cash'))) select order_id, card from p union all select order_id, cash from p

-- name: pivot_std_enum_like_column_value
select * from (select customer_id, status, amount from orders) pivot (sum(amount) for status in (status))

-- name: err_pivot_duplicate_value
select * from (select customer_id, status, amount from orders) pivot (sum(amount) for status in ('a', 'a'))

-- name: err_pivot_no_aggregate
select * from (select customer_id, status, amount from orders) pivot (abs(amount) for status in ('a'))

-- name: err_pivot_window
select * from (select customer_id, status, amount from orders) pivot (sum(amount) over () for status in ('a'))

-- name: err_pivot_qualified_aggregate_column
select * from (select customer_id, status, amount from orders) o pivot (sum(o.amount) for status in ('a'))

-- name: err_pivot_qualified_pivot_column
select * from (select customer_id, status, amount from orders) o pivot (sum(amount) for o.status in ('a'))

-- name: err_pivot_input_alias_gone
select o.customer_id from (select customer_id, status, amount from orders) o pivot (sum(amount) for status in ('a'))

-- name: err_pivot_pivoted_column_gone
select status from (select customer_id, status, amount from orders) pivot (sum(amount) for status in ('a'))

-- name: err_pivot_expression_value
select * from (select customer_id, status, amount from orders) pivot (sum(amount) for status in ('a' || 'b'))

-- name: err_pivot_row_width
select * from (select order_id, status, amount from orders) pivot (sum(amount) for (status, order_id) in ('x'))

-- name: err_pivot_too_many_alias_columns
select * from (select customer_id, status, amount from orders) pivot (sum(amount) for status in ('a')) as p(x, y, z)

-- name: unpivot_std_numeric_max_type
select * from (select order_id, amount, discount, quantity from orders) unpivot (val for kind in (amount, discount, quantity))

-- name: unpivot_std_integer_widening
select * from (select hit_id, status_code, retries, bytes_sent from web_hits) unpivot (val for kind in (status_code, retries))

-- name: unpivot_std_date_timestamp
select * from (select customer_id, signup_date, created_at, updated_at from customers) unpivot (val for kind in (signup_date, created_at, updated_at))

-- name: unpivot_std_decimal_float
select * from (select product_id, price, weight_kg from products) unpivot (val for kind in (price, weight_kg))

-- name: unpivot_std_include_nulls_alias
select u.customer_id, u.kind, u.val from (select customer_id, first_name, last_name from customers) unpivot include nulls (val for kind in (first_name as f, last_name as l)) u

-- name: unpivot_std_two_value_columns
select * from (select customer_id, first_name, last_name, email from customers) unpivot ((v1, v2) for kind in ((first_name, last_name), (email, email)))

-- name: unpivot_std_expression_entry
select * from (select customer_id, first_name, last_name from customers) unpivot (val for kind in (upper(first_name), last_name))

-- name: unpivot_std_name_clash
select * from (select customer_id, first_name, last_name from customers) unpivot (customer_id for kind in (first_name, last_name))

-- name: unpivot_std_whole_table
select * from payments unpivot (val for kind in (payment_id, order_id))

-- name: unpivot_std_columns_regex
select * from (select customer_id, first_name, last_name from customers) unpivot (val for kind in (columns('.*name')))

-- name: unpivot_std_table_alias_columns
select a, b, c from (select customer_id, first_name, last_name from customers) unpivot (val for kind in (first_name, last_name)) u(a, b, c)

-- name: err_unpivot_mixed_types
select * from (select order_id, amount, status from orders) unpivot (val for kind in (amount, status))

-- name: err_unpivot_date_decimal
select * from (select order_id, amount, order_date from orders) unpivot (val for kind in (order_date, amount))

-- name: err_unpivot_unknown_column
select * from (select customer_id, first_name, last_name from customers) unpivot (val for kind in (nope, last_name))

-- name: err_unpivot_name_count
select * from (select customer_id, first_name, last_name from customers) unpivot ((a, b) for kind in (first_name, last_name))

-- name: err_unpivot_unpivoted_column_gone
select first_name from (select customer_id, first_name, last_name from customers) unpivot (val for kind in (first_name, last_name))

-- name: err_unpivot_input_alias_gone
select c.customer_id from (select customer_id, first_name, last_name from customers) c unpivot (val for kind in (first_name, last_name))

-- name: pivot_statement_no_in
pivot orders on status using sum(amount) group by customer_id

-- name: pivot_from_first_std
from orders pivot (sum(amount) for status in ('a'))

-- name: unpivot_statement_columns
unpivot orders on amount, discount into name k value v

-- name: pivot_statement_no_using
pivot orders on status in ('placed', 'shipped') group by customer_id

-- name: pivot_statement_no_group_by
pivot orders on status in ('placed', 'shipped') using sum(amount)

-- name: pivot_statement_two_on_columns
pivot orders on status in ('placed', 'shipped'), quantity in (1, 2) using sum(amount) group by customer_id

-- name: pivot_statement_aliases_and_order
pivot orders on status in ('placed', 'shipped') using sum(amount) as total, count(*) group by customer_id, order_date order by customer_id limit 3

-- name: pivot_statement_expression_on
pivot orders on upper(status) in ('A', 'B') using max(amount) + 1 group by customer_id

-- name: pivot_statement_group_by_aggregated_column
pivot orders on status in ('placed', 'shipped') using sum(amount) group by amount, status

-- name: pivot_wider_statement
pivot_wider (select customer_id, status, amount from orders) on status in ('placed') using sum(amount) total

-- name: unpivot_statement_default_names
unpivot customers on first_name, last_name

-- name: unpivot_statement_two_values
unpivot orders on (amount, discount) as a, (quantity, order_id) as b into name k value v1, v2

-- name: unpivot_statement_expression_order_limit
unpivot orders o on o.amount + 1, quantity into name k value v order by k limit 2

-- name: err_pivot_statement_unknown_group_column
pivot orders on status in ('placed', 'shipped') using sum(amount) group by nope

-- name: err_pivot_statement_qualified_aggregate
pivot orders o on status in ('placed', 'shipped') using sum(o.amount) group by customer_id

-- name: err_pivot_statement_unknown_on_column
pivot orders on nope in ('a') using sum(amount) group by customer_id

-- name: err_unpivot_statement_mixed_types
unpivot orders on amount, status into name k value v

-- name: err_unpivot_statement_unknown_table
unpivot order_lines on amount, quantity into name k value v

-- name: pivot_statement_in_cte_with_earlier_cte
with src as (
    select customer_id, status, amount from orders
),
p as (
    pivot src on status in ('placed', 'shipped') using sum(amount) group by customer_id
)
select customer_id, placed, shipped from p

-- name: unpivot_statement_derived_table
select k, v from (unpivot (select customer_id, first_name, last_name from customers) on first_name, last_name into name k value v) u where v is not null

-- name: pivot_statement_in_cte_joined
with p as (pivot orders on status in ('placed') using count(*) group by customer_id)
select c.email, p.placed from customers c join p using (customer_id)

-- name: err_pivot_statement_in_cte_missing_column
with p as (pivot orders on status in ('placed') using sum(amount) group by customer_id)
select customer_id, shipped from p

-- name: err_pivot_statement_in_cte_unknown_input
with p as (pivot order_lines on status in ('placed') using sum(amount) group by customer_id)
select * from p

-- name: with_then_pivot_statement
with src as (select customer_id, status, amount from orders where amount > 0)
pivot src on status in ('placed', 'shipped') using sum(amount) group by customer_id order by customer_id;

-- name: with_then_unpivot_statement
with c as (select customer_id, first_name, last_name from customers)
unpivot c on first_name, last_name into name k value v

-- name: err_with_then_pivot_statement_unknown_column
with src as (select customer_id, status from orders)
pivot src on status in ('placed') using sum(amount) group by customer_id
