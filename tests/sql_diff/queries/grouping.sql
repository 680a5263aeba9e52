-- name: group_by_column
select status, count(*) as n from orders group by status

-- name: group_by_ordinal
select status, customer_id, sum(amount) as total from orders group by 1, 2

-- name: group_by_alias
select date_trunc('month', order_date) as month, sum(amount) as total from orders group by month

-- name: group_by_expression
select date_trunc('month', order_date), sum(amount) as total from orders group by date_trunc('month', order_date)

-- name: group_by_all
select customer_id, status, count(*) as n, sum(amount) as total from orders group by all

-- name: group_by_all_expressions
select year(order_date) as y, upper(status) as s, avg(amount) as avg_amount from orders group by all

-- name: group_by_functional_dependency_expr
select customer_id + 1 as next_id, count(*) as n from orders group by customer_id

-- name: group_by_grouping_sets
select status, customer_id, count(*) as n from orders group by grouping sets ((status), (customer_id), ())

-- name: group_by_rollup
select status, order_date, sum(amount) as total from orders group by rollup (status, order_date)

-- name: group_by_cube
select status, customer_id, count(*) as n, grouping(status) as g from orders group by cube (status, customer_id)

-- name: having_aggregate
select customer_id, count(*) as n from orders group by customer_id having count(*) > 5

-- name: having_alias
select customer_id, sum(amount) as total from orders group by customer_id having total > 100

-- name: having_without_group
select count(*) as n from orders having count(*) > 0

-- name: agg_no_group
select count(*) as n, sum(amount) as total, avg(amount) as average, min(order_date) as first_day from orders

-- name: sum_types
select sum(quantity) as s_small, sum(customer_id) as s_int, sum(order_id) as s_big, sum(amount) as s_dec, sum(discount) as s_dec2 from orders

-- name: sum_more_types
select sum(fee) as s_double, sum(amount) as s_dec18 from payments

-- name: sum_hugeint
select sum(sequence_number) as s_huge, sum(score) as s_float from events

-- name: avg_types
select avg(quantity) as a_small, avg(order_id) as a_big, avg(amount) as a_dec from orders

-- name: avg_interval
select avg(session_length) as a from events

-- name: min_max_types
select min(status) as s, max(created_at) as c, min(amount) as a, max(tags) as t from orders

-- name: count_variants
select count(*) as c1, count(1) as c2, count(order_id) as c3, count(distinct customer_id) as c4 from orders

-- name: count_star_unaliased
select count(*) from orders

-- name: aggregate_unaliased_names
select sum(amount), avg(amount), max(order_date), count(distinct status) from orders

-- name: filter_clause
select count(*) filter (where status = 'completed') as completed, sum(amount) filter (where quantity > 1) as multi from orders

-- name: string_agg_variants
select customer_id, string_agg(status, ',') as s1, string_agg(distinct status, ',' order by status) as s2, listagg(status, ';') as s3 from orders group by customer_id

-- name: list_aggregates
select customer_id, list(order_id) as ids, array_agg(amount order by order_date) as amounts, list(distinct status) as statuses from orders group by customer_id

-- name: statistical_aggregates
select stddev_samp(o.amount) as sd, variance(p.fee) as var, corr(p.fee, o.amount) as r, median(o.quantity) as med from orders o join payments p using (order_id)

-- name: mode_and_arg
select mode(status) as m, arg_min(order_id, amount) as cheapest, max_by(order_id, amount) as priciest, any_value(status) as anyv from orders

-- name: bit_and_bool
select bit_or(quantity) as bo, bool_and(is_active) as ba from orders, customers

-- name: histogram_agg
select histogram(status) as h from orders

-- name: distinct_on
select distinct on (customer_id) customer_id, order_id, order_date from orders order by customer_id, order_date desc

-- name: distinct_on_expression
select distinct on (date_trunc('day', created_at)) created_at, order_id from orders order by date_trunc('day', created_at), created_at

-- name: select_distinct
select distinct status, customer_id from orders

-- name: qualify_window
select order_id, customer_id, amount from orders qualify rank() over (partition by customer_id order by amount desc) <= 3

-- name: qualify_alias
select order_id, customer_id, row_number() over (partition by customer_id order by order_date) as rn from orders qualify rn = 1

-- name: aggregate_of_expression
select sum(amount * quantity) as gross, sum(amount) * 2 as double_total, count(*) * 1.0 / 3 as third from orders

-- name: nested_aggregate_in_window
select customer_id, sum(amount) as total, rank() over (order by sum(amount) desc) as rnk from orders group by customer_id

-- name: order_by_aggregate
select customer_id from orders group by customer_id order by count(*) desc

-- name: order_by_ordinal
select customer_id, amount from orders order by 2 desc, 1

-- name: limit_offset
select order_id from orders order by order_id limit 10 offset 20

-- name: group_by_with_case
select case when amount > 100 then 'big' else 'small' end as bucket, count(*) as n from orders group by 1

-- name: grouped_having_not_selected
select status from orders group by status having sum(amount) > 1000 and max(quantity) < 10
