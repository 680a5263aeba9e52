-- Traps: queries DuckDB ACCEPTS that a naive analyzer might reject. Their label still
-- comes from DuckDB.

-- name: alias_reuse_same_select
select amount * 2 as doubled, doubled + 1 as plus_one from orders

-- name: alias_reuse_chain
select order_id + 1 as x, x * 2 as y, y - x as z from orders

-- name: alias_reuse_in_where
select amount * quantity as gross from orders where gross > 100

-- name: alias_in_group_by_and_having
select upper(status) as s, count(*) as n from orders group by s having n > 1

-- name: alias_shadows_column
select amount * 2 as amount, amount + 1 as next_amount from orders

-- name: group_by_all_trap
select customer_id, sum(amount) as total from orders group by all

-- name: group_by_all_with_literal
select 'x' as src, status, count(*) as n from orders group by all

-- name: column_named_like_function
select o.name as product_name, "left" from (select name, 1 as "left" from products) o

-- name: column_named_year
select year, count(*) as n from (select year(order_date) as year from orders) t group by year

-- name: column_named_date
select date from (select order_date as date from orders)

-- name: column_named_value
select value, key from (select 1 as value, 'k' as key)

-- name: correlated_reference_outer
select c.customer_id from customers c where c.lifetime_value > (select avg(amount) from orders o where o.customer_id = c.customer_id)

-- name: correlated_unqualified_outer_column
select customer_id from customers where exists (select 1 from payments where payments.amount > lifetime_value)

-- name: count_star_in_order_by
select status from orders group by status order by count(*) desc

-- name: aggregate_in_order_by_not_selected
select customer_id from orders group by customer_id order by sum(amount)

-- name: struct_access_vs_qualifier
select context.page from events

-- name: struct_access_through_alias
select e.context.device.os from events e

-- name: table_named_like_struct
select events.context.page from events

-- name: select_star_exclude
select * exclude (tags) from orders

-- name: int_col_eq_string_literal
select * from orders where order_id = '5'

-- name: int_col_in_string_literals
select * from orders where customer_id in ('1', '2')

-- name: date_col_gt_string
select * from orders where order_date > '2024-01-01'

-- name: timestamp_col_between_strings
select * from orders where created_at between '2024-01-01' and '2024-02-01 12:00'

-- name: decimal_eq_string
select * from orders where amount = '10.50'

-- name: bool_eq_string
select * from customers where is_active = 'true'

-- name: uuid_eq_string
select * from customers where external_id = '00000000-0000-0000-0000-000000000000'

-- name: varchar_eq_int_column
select * from orders o where o.status = o.order_id

-- name: varchar_concat_int
select status || order_id as s from orders

-- name: int_plus_string_literal
select order_id + '1' as x from orders

-- name: date_minus_date
select order_date - signup_date as days from orders join customers using (customer_id)

-- name: order_by_alias
select amount * 2 as doubled from orders order by doubled

-- name: order_by_column_not_selected
select order_id from orders order by created_at

-- name: order_by_qualified_after_alias
select o.order_id as id from orders o order by o.order_id

-- name: using_column_unqualified
select customer_id, order_id from orders join customers using (customer_id)

-- name: natural_join_unqualified
select order_id from orders natural join payments

-- name: keyword_column_quoted
select "order", "select" from (select 1 as "order", 2 as "select")

-- name: case_insensitive_names
select ORDER_ID, Customer_Id from Orders O where o.STATUS = 'x'

-- name: duplicate_output_names
select order_id, order_id from orders

-- name: cte_name_same_as_column
with status as (select status from orders) select status from status

-- name: table_alias_same_as_column
select status.status from orders as status

-- name: group_by_primary_expression_reuse
select date_trunc('month', order_date) as m, count(*) from orders group by date_trunc('month', order_date) order by m

-- name: having_on_grouped_column
select status from orders group by status having status <> 'x'

-- name: nested_function_alias_reuse
select lower(status) as s, length(s) as len from orders

-- name: window_over_alias
select amount as a, sum(a) over () as total from orders

-- name: trailing_comma
select order_id, status, from orders

-- name: from_first_group_by
from orders select customer_id, count(*) as n group by customer_id

-- name: positional_reference_in_order
select status, count(*) from orders group by 1 order by 2 desc

-- name: integer_division_names
select 10 / 3 as a, 10 // 3 as b

-- name: string_to_interval
select created_at + '1 day'::interval as tomorrow from orders

-- name: implicit_cast_in_function
select date_diff('day', '2024-01-01', order_date) as days from orders

-- name: coalesce_literal_and_decimal
select coalesce(amount, 0) as a, coalesce(discount, 0.5) as d from orders

-- name: any_value_non_grouped
select customer_id, any_value(status) as s from orders group by customer_id

-- name: count_star_alias_named_count
select count(*) as count from orders

-- name: exclude_then_alias_reuse
select * exclude (status), amount * 2 as doubled, doubled + 1 as d2 from orders

-- name: values_column_defaults
select col0, col1 from (values (1, 'a'))

-- name: subquery_alias_shadowing_table
select orders.order_id from (select order_id from orders) as orders

-- name: lateral_alias_reference
select order_id, t.tag from orders, unnest(tags) as t(tag)

-- name: qualified_column_through_cte_alias
with o as (select * from orders) select o.order_id, orders.status from o join orders using (order_id)

-- name: like_with_escape
select status like 'a\_%' escape '\' as m from orders

-- name: group_by_using_column
select customer_id, count(*) as n from orders join customers using (customer_id) group by customer_id

-- name: is_distinct_from_null
select status is distinct from null as d from orders

-- name: accepted_cte_column_list_too_long
with x(a, b, c) as (select order_id, status from orders) select * from x

-- name: accepted_distinct_on_order
select distinct on (customer_id) order_id from orders order by order_date

-- name: accepted_intersect_types
select tags from orders intersect select order_id from orders

-- name: accepted_string_agg_int
select string_agg(order_id, ',') as s from orders

-- name: varchar_eq_date_column
select * from orders o where o.status = o.order_date

-- name: varchar_eq_decimal_column
select * from orders o where o.status = o.amount

-- name: varchar_in_int_columns
select * from orders o where o.status in (o.order_id, o.customer_id)

-- name: join_on_varchar_eq_boolean
select o.order_id from orders o join customers c on o.status = c.is_active

-- name: cte_referenced_twice
with o as (select order_id, customer_id from orders) select a.order_id, b.order_id as other from o a join o b using (customer_id)

-- name: cte_shadowed_in_subquery
with x as (select 1 as v) select (with x as (select 2 as w) select w from x) as inner_w, v from x

-- name: subquery_sees_outer_cte
with vip as (select customer_id from orders group by 1 having count(*) > 10) select email from customers c where c.customer_id in (select customer_id from vip)

-- name: implicit_lateral_subquery
select o.order_id, x.twice from orders o, (select o.amount * 2 as twice) x

-- name: qualify_without_window_in_select
select order_id from orders qualify sum(amount) over (partition by customer_id) > 100

-- name: group_by_expression_selected_with_different_case
select UPPER(status) as s, count(*) as n from orders group by upper(status)

-- name: aggregate_over_distinct_subquery
select count(*) as n from (select distinct customer_id from orders)

-- name: order_by_expression_on_grouped
select customer_id, sum(amount) as total from orders group by customer_id order by customer_id + 1

-- name: having_references_select_alias_of_aggregate
select customer_id, count(*) as n from orders group by customer_id having n > 1 order by n

-- name: where_in_values_list_strings
select * from orders where order_date in ('2024-01-01', '2024-01-02')

-- name: timestamp_eq_date
select * from orders where created_at = order_date

-- name: int_compared_to_decimal
select * from orders where customer_id > amount

-- name: float_compared_to_hugeint
select * from events where score < sequence_number

-- name: ubigint_compared_to_int
select * from inventory_snapshots where row_hash > on_hand

-- name: string_literal_to_list
select * from orders where tags = ['a', 'b']

-- name: null_compared_to_struct
select * from events where context is not null and items <> []

-- name: struct_literal_comparison
select * from events where context.device = {'os': 'ios', 'version': 17}

-- name: map_key_access_with_column
select attributes[event_type] as v from events

-- name: json_arrow_on_varchar
select event_type->>'$.a' as v from events

-- name: mixed_case_alias_qualifier
select M."CustomerID", m.firstname from "Mixed_Case" m

-- name: column_same_name_as_table
select orders from (select 1 as orders) orders

-- name: using_then_star_exclude_using_column
select * exclude (customer_id) from orders join customers using (customer_id)

-- name: accepted_distinct_order_by_not_selected
select distinct customer_id from orders order by order_date

-- name: accepted_boolean_and_integer
select is_active and customer_id as x from customers

-- name: accepted_in_list_incompatible
select * from orders where order_date in (1, 2)

-- name: accepted_mixed_case_quoted_wrong
select "customerid" from "mixed_case" where "FIRSTNAME" = 'x'

-- name: derived_table_dedups_duplicate_names
select * from (select o.order_id, p.order_id from orders o join payments p using (order_id))

-- name: cte_dedups_join_star_names
with x as (select * from orders o join customers c on o.customer_id = c.customer_id) select * from x

-- name: cte_deduped_name_referenced
with x as (select * from orders o join customers c on o.customer_id = c.customer_id) select customer_id_1, created_at_1 from x

-- name: top_level_keeps_duplicate_names
select o.*, o.* from orders o
