-- Expected column lineage, written from the SQL semantics (not from dbtc's output).
--
-- For each output column: the set of (table.column kind) it derives from.
--   copy      the value passes unchanged, maybe renamed (also through CTEs, subqueries, *,
--             UNION branches);
--   transform computed from it (arithmetic, functions, CASE conditions and results,
--             aggregate arguments incl. their ORDER BY/FILTER, window PARTITION/ORDER BY,
--             struct field and list element access, casts);
--   filter    only decides which rows appear: WHERE, JOIN ON/USING, GROUP BY, HAVING,
--             QUALIFY (and subqueries inside them). A filter edge applies to every output
--             column of that SELECT.
-- Through a chain (CTE, derived table, scalar subquery) an edge keeps the strongest kind
-- met on the way: filter > transform > copy. An output column may have a copy and a
-- filter edge to the same upstream column (e.g. a GROUP BY key that is also selected).
-- count(*) has no edge of its own. Tables are lowercased; columns compare case-insensitively.

-- name: plain_columns
select order_id, status from orders
-- expect:
order_id: orders.order_id copy
status: orders.status copy

-- name: rename_and_arithmetic
select order_id as id, amount * 2 as doubled from orders
-- expect:
id: orders.order_id copy
doubled: orders.amount transform

-- name: where_filter
select order_id from orders where status = 'completed'
-- expect:
order_id: orders.order_id copy, orders.status filter

-- name: literal_column_with_filter
select 'orders' as source, order_id from orders where amount > 0
-- expect:
source: orders.amount filter
order_id: orders.order_id copy, orders.amount filter

-- name: staging_import_and_rename_ctes
with src as (select * from orders),
renamed as (select order_id, status as order_status from src)
select * from renamed
-- expect:
order_id: orders.order_id copy
order_status: orders.status copy

-- name: inner_join_on
select o.order_id, c.email
from orders o
join customers c on o.customer_id = c.customer_id
-- expect:
order_id: orders.order_id copy, orders.customer_id filter, customers.customer_id filter
email: customers.email copy, orders.customer_id filter, customers.customer_id filter

-- name: left_join_using
select order_id, email from orders left join customers using (customer_id)
-- expect:
order_id: orders.order_id copy, orders.customer_id filter, customers.customer_id filter
email: customers.email copy, orders.customer_id filter, customers.customer_id filter

-- name: group_by_aggregates
select customer_id, sum(amount) as total, count(*) as n from orders group by customer_id
-- expect:
customer_id: orders.customer_id copy, orders.customer_id filter
total: orders.amount transform, orders.customer_id filter
n: orders.customer_id filter

-- name: having_filter
select customer_id, count(order_id) as n
from orders
group by customer_id
having sum(amount) > 100
-- expect:
customer_id: orders.customer_id copy, orders.customer_id filter, orders.amount filter
n: orders.order_id transform, orders.customer_id filter, orders.amount filter

-- name: case_expression
select order_id, case when status = 'completed' then amount else 0 end as completed_amount from orders
-- expect:
order_id: orders.order_id copy
completed_amount: orders.status transform, orders.amount transform

-- name: coalesce_two_columns
select coalesce(o.shipped_at, o.created_at) as ts from orders o
-- expect:
ts: orders.shipped_at transform, orders.created_at transform

-- name: cast_is_transform
select cast(order_id as varchar) as id_text, order_date::timestamp as order_ts from orders
-- expect:
id_text: orders.order_id transform
order_ts: orders.order_date transform

-- name: union_all_branches
select order_id as id from orders
union all
select payment_id from payments
-- expect:
id: orders.order_id copy, payments.payment_id copy

-- name: union_branch_filters
select customer_id from orders where status = 'x'
union all
select customer_id from customers where is_active
-- expect:
customer_id: orders.customer_id copy, orders.status filter, customers.customer_id copy, customers.is_active filter

-- name: union_by_name
select order_id, status from orders
union all by name
select order_id, amount from payments
-- expect:
order_id: orders.order_id copy, payments.order_id copy
status: orders.status copy
amount: payments.amount copy

-- name: window_row_number
select order_id, row_number() over (partition by customer_id order by order_date) as rn from orders
-- expect:
order_id: orders.order_id copy
rn: orders.customer_id transform, orders.order_date transform

-- name: window_share
select order_id, amount / sum(amount) over (partition by customer_id) as share from orders
-- expect:
order_id: orders.order_id copy
share: orders.amount transform, orders.customer_id transform

-- name: qualify_filter
select order_id, amount
from orders
qualify row_number() over (partition by customer_id order by order_date desc) = 1
-- expect:
order_id: orders.order_id copy, orders.customer_id filter, orders.order_date filter
amount: orders.amount copy, orders.customer_id filter, orders.order_date filter

-- name: in_subquery_filter
select email from customers where customer_id in (select customer_id from orders where status = 'x')
-- expect:
email: customers.email copy, customers.customer_id filter, orders.customer_id filter, orders.status filter

-- name: exists_correlated_filter
select c.email
from customers c
where exists (select 1 from orders o where o.customer_id = c.customer_id and o.amount > 100)
-- expect:
email: customers.email copy, orders.customer_id filter, customers.customer_id filter, orders.amount filter

-- name: scalar_subquery_in_select
select o.order_id, (select max(p.paid_at) from payments p where p.order_id = o.order_id) as last_paid
from orders o
-- expect:
order_id: orders.order_id copy
last_paid: payments.paid_at transform, payments.order_id filter, orders.order_id filter

-- name: star_exclude_replace
select * exclude (tags, created_at) replace (upper(status) as status) from orders
-- expect:
order_id: orders.order_id copy
customer_id: orders.customer_id copy
order_date: orders.order_date copy
status: orders.status transform
amount: orders.amount copy
discount: orders.discount copy
quantity: orders.quantity copy
shipped_at: orders.shipped_at copy

-- name: struct_and_map_access
select context.page as page, attributes['utm_source'] as utm from events
-- expect:
page: events.context transform
utm: events.attributes transform

-- name: alias_reuse
select amount * 2 as doubled, doubled + 1 as plus_one from orders
-- expect:
doubled: orders.amount transform
plus_one: orders.amount transform

-- name: recursive_hierarchy
with recursive h as (
    select employee_id, manager_id, 1 as depth from employees where manager_id is null
    union all
    select e.employee_id, e.manager_id, h.depth + 1 from employees e join h on e.manager_id = h.employee_id
)
select employee_id, depth from h
-- expect:
employee_id: employees.employee_id copy, employees.manager_id filter, employees.employee_id filter
depth: employees.manager_id filter, employees.employee_id filter

-- name: dim_customers
with customer_orders as (
    select customer_id, min(order_date) as first_order, count(order_id) as n
    from orders
    group by 1
)
select c.customer_id, c.first_name, co.first_order, coalesce(co.n, 0) as number_of_orders
from customers c
left join customer_orders co on c.customer_id = co.customer_id
-- expect:
customer_id: customers.customer_id copy, customers.customer_id filter, orders.customer_id filter
first_name: customers.first_name copy, customers.customer_id filter, orders.customer_id filter
first_order: orders.order_date transform, orders.customer_id filter, customers.customer_id filter
number_of_orders: orders.order_id transform, orders.customer_id filter, customers.customer_id filter

-- name: unnest_list
select order_id, unnest(tags) as tag from orders
-- expect:
order_id: orders.order_id copy
tag: orders.tags transform

-- name: derived_table_with_filters
select sub.total
from (select order_id, amount * quantity as total from orders where status <> 'x') sub
where sub.total > 10
-- expect:
total: orders.amount transform, orders.quantity transform, orders.status filter, orders.amount filter, orders.quantity filter

-- name: mixed_case_columns
select "CustomerID" as id, "Order Count" * 2 as cnt from "Mixed_Case"
-- expect:
id: mixed_case.customerid copy
cnt: mixed_case.order count transform

-- name: filter_through_cte
with completed as (select * from orders where status = 'completed')
select customer_id, sum(amount) as revenue from completed group by customer_id
-- expect:
customer_id: orders.customer_id copy, orders.status filter, orders.customer_id filter
revenue: orders.amount transform, orders.status filter, orders.customer_id filter

-- name: join_using_date_diff
select o.order_id, date_diff('day', c.signup_date, o.order_date) as days_to_order
from orders o
join customers c using (customer_id)
where c.is_active
-- expect:
order_id: orders.order_id copy, orders.customer_id filter, customers.customer_id filter, customers.is_active filter
days_to_order: customers.signup_date transform, orders.order_date transform, orders.customer_id filter, customers.customer_id filter, customers.is_active filter

-- name: ordered_string_agg
select customer_id, string_agg(status, ',' order by created_at) as path from orders group by customer_id
-- expect:
customer_id: orders.customer_id copy, orders.customer_id filter
path: orders.status transform, orders.created_at transform, orders.customer_id filter

-- name: aggregate_filter_clause
select count(distinct customer_id) filter (where status = 'x') as n from orders
-- expect:
n: orders.customer_id transform, orders.status transform

-- name: from_first_syntax
from orders select order_id, amount + 1 as a where quantity > 1
-- expect:
order_id: orders.order_id copy, orders.quantity filter
a: orders.amount transform, orders.quantity filter

-- name: alias_reused_in_where
select amount * quantity as gross from orders where gross > 100
-- expect:
gross: orders.amount transform, orders.quantity transform, orders.amount filter, orders.quantity filter

-- name: group_by_alias
select date_trunc('month', order_date) as m, count(*) as n from orders group by m
-- expect:
m: orders.order_date transform, orders.order_date filter
n: orders.order_date filter

-- name: group_by_all
select customer_id, status, max(amount) as top from orders group by all
-- expect:
customer_id: orders.customer_id copy, orders.customer_id filter, orders.status filter
status: orders.status copy, orders.customer_id filter, orders.status filter
top: orders.amount transform, orders.customer_id filter, orders.status filter

-- name: exists_in_select
select c.customer_id, exists (select 1 from orders o where o.customer_id = c.customer_id) as has_orders
from customers c
-- expect:
customer_id: customers.customer_id copy
has_orders: orders.customer_id filter, customers.customer_id filter

-- name: struct_pack_and_list
select {'id': order_id, 'st': status} as s, [amount, discount] as l from orders
-- expect:
s: orders.order_id transform, orders.status transform
l: orders.amount transform, orders.discount transform

-- name: cte_self_join
with o as (select order_id, customer_id, order_date from orders)
select a.order_id, b.order_id as next_order_id
from o a
join o b on a.customer_id = b.customer_id and b.order_date > a.order_date
-- expect:
order_id: orders.order_id copy, orders.customer_id filter, orders.order_date filter
next_order_id: orders.order_id copy, orders.customer_id filter, orders.order_date filter

-- name: unnest_table_function
select o.order_id, t.tag from orders o, unnest(o.tags) t(tag)
-- expect:
order_id: orders.order_id copy
tag: orders.tags transform

-- name: qualify_alias
select order_id, row_number() over (partition by customer_id order by order_date) as rn
from orders
qualify rn = 1
-- expect:
order_id: orders.order_id copy, orders.customer_id filter, orders.order_date filter
rn: orders.customer_id transform, orders.order_date transform, orders.customer_id filter, orders.order_date filter

-- name: join_values_lookup
select o.order_id, l.label
from orders o
join (values ('placed', 1), ('shipped', 2)) l(status, label) on o.status = l.status
-- expect:
order_id: orders.order_id copy, orders.status filter
label: orders.status filter

-- name: named_window
select order_id, sum(amount) over w as running from orders window w as (partition by customer_id order by order_date)
-- expect:
order_id: orders.order_id copy
running: orders.amount transform, orders.customer_id transform, orders.order_date transform

-- name: count_distinct_and_coalesce_aggregate
select customer_id, count(distinct status) as n_statuses, coalesce(sum(discount), 0) as total_discount
from orders
group by customer_id
-- expect:
customer_id: orders.customer_id copy, orders.customer_id filter
n_statuses: orders.status transform, orders.customer_id filter
total_discount: orders.discount transform, orders.customer_id filter

-- name: union_by_name_with_where
select order_id, status from orders where amount > 0
union all by name
select order_id, payment_method as status from payments where not is_refund
-- expect:
order_id: orders.order_id copy, orders.amount filter, payments.order_id copy, payments.is_refund filter
status: orders.status copy, orders.amount filter, payments.payment_method copy, payments.is_refund filter

-- name: mixed_case_unquoted_reference
select customerid, amount from mixed_case where firstname is not null
-- expect:
customerid: mixed_case.customerid copy, mixed_case.firstname filter
amount: mixed_case.amount copy, mixed_case.firstname filter

-- name: lateral_derived_column
select o.order_id, l.doubled from orders o, lateral (select o.amount * 2 as doubled) l
-- expect:
order_id: orders.order_id copy
doubled: orders.amount transform

-- name: correlated_scalar_in_where
select order_id
from orders o
where amount > (select avg(i.amount) from orders i where i.customer_id = o.customer_id)
-- expect:
order_id: orders.order_id copy, orders.amount filter, orders.customer_id filter

-- name: union_in_cte_then_aggregated
with u as (
    select customer_id, amount from orders
    union all
    select customer_id, lifetime_value from customers
)
select customer_id, sum(amount) as total from u group by 1
-- expect:
customer_id: orders.customer_id copy, customers.customer_id copy, orders.customer_id filter, customers.customer_id filter
total: orders.amount transform, customers.lifetime_value transform, orders.customer_id filter, customers.customer_id filter

-- name: nested_struct_field_concat
select event_id, context.device.os || '-' || event_type as os_event from events
-- expect:
event_id: events.event_id copy
os_event: events.context transform, events.event_type transform

-- PIVOT. The group columns (input columns no aggregate or pivot column reads) are the
-- implicit GROUP BY keys, so filter edges of every column; the pivot column decides which
-- rows each aggregate sees (its FILTER), a transform of every value column.
-- name: pivot_standard
select * from (select customer_id, status, amount from orders) pivot (sum(amount) as total, count(*) as n for status in ('placed', 'shipped'))
-- expect:
customer_id: orders.customer_id copy, orders.customer_id filter
placed_total: orders.amount transform, orders.status transform, orders.customer_id filter
placed_n: orders.status transform, orders.customer_id filter
shipped_total: orders.amount transform, orders.status transform, orders.customer_id filter
shipped_n: orders.status transform, orders.customer_id filter

-- name: pivot_filter_clause_and_where
select placed from (select customer_id, status, amount, quantity from orders where order_date > '2020-01-01') pivot (sum(amount) filter (where quantity > 1) for status in ('placed'))
-- expect:
placed: orders.amount transform, orders.quantity transform, orders.status transform, orders.customer_id filter, orders.order_date filter

-- UNPIVOT (EXCLUDE NULLS by default). A row appears only where the unpivoted value is not
-- NULL, so the unpivoted columns are filter edges of every column; the value column copies
-- them (a transform when the value is cast to the common type).
-- name: unpivot_standard
select * from (select customer_id, first_name, last_name from customers) unpivot (val for kind in (first_name, last_name))
-- expect:
customer_id: customers.customer_id copy, customers.first_name filter, customers.last_name filter
kind: customers.first_name filter, customers.last_name filter
val: customers.first_name copy, customers.last_name copy, customers.first_name filter, customers.last_name filter

-- name: unpivot_include_nulls_cast
select kind, val from (select order_id, amount, quantity from orders) unpivot include nulls (val for kind in (amount, quantity))
-- expect:
kind:
val: orders.amount copy, orders.quantity transform

-- name: pivot_statement_group_by
pivot orders on status in ('placed') using sum(amount) group by customer_id
-- expect:
customer_id: orders.customer_id copy, orders.customer_id filter
placed: orders.amount transform, orders.status transform, orders.customer_id filter

-- name: unnest_struct_expansion
select event_id, unnest(context) from events
-- expect:
event_id: events.event_id copy
page: events.context transform
referrer: events.context transform
device: events.context transform

-- name: columns_expression_expansion
select max(columns('.*_at')) from orders where status = 'x'
-- expect:
shipped_at: orders.shipped_at transform, orders.status filter
created_at: orders.created_at transform, orders.status filter
