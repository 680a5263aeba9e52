-- name: row_number
select order_id, row_number() over (partition by customer_id order by order_date) as rn from orders

-- name: rank_dense_rank
select order_id, rank() over (order by amount desc) as r, dense_rank() over (order by amount desc) as dr, percent_rank() over (order by amount) as pr from orders

-- name: ntile_cume_dist
select order_id, ntile(4) over (order by amount) as quartile, cume_dist() over (order by amount) as cd from orders

-- name: lag_lead
select order_id, lag(amount) over w as prev_amount, lead(amount, 1, 0) over w as next_amount from orders window w as (partition by customer_id order by order_date)

-- name: first_last_value
select order_id, first_value(status) over (partition by customer_id order by order_date) as first_status, last_value(status) over (partition by customer_id order by order_date rows between unbounded preceding and unbounded following) as last_status from orders

-- name: nth_value
select order_id, nth_value(amount, 2) over (partition by customer_id order by order_date) as second_amount from orders

-- name: aggregate_window
select order_id, sum(amount) over (partition by customer_id) as cust_total, avg(amount) over () as overall_avg, count(*) over (partition by status) as status_count from orders

-- name: moving_average
select order_date, avg(amount) over (order by order_date rows between 6 preceding and current row) as ma7 from orders

-- name: range_frame
select order_date, sum(amount) over (order by order_date range between interval 7 day preceding and current row) as last_week from orders

-- name: named_window
select order_id, sum(amount) over w as running, count(*) over w as n from orders window w as (partition by customer_id order by order_date)

-- name: named_window_refined
select order_id, rank() over (w order by amount) as r from orders window w as (partition by customer_id)

-- name: window_in_expression
select order_id, amount / sum(amount) over (partition by customer_id) * 100 as pct from orders

-- name: window_unaliased
select order_id, row_number() over (order by order_id) from orders

-- name: window_on_aggregate_group
select status, count(*) as n, sum(count(*)) over () as total from orders group by status

-- name: window_filter
select order_id, count(*) filter (where status = 'x') over (partition by customer_id) as n_x from orders

-- name: window_lag_interval
select event_ts - lag(event_ts) over (partition by user_id order by event_ts) as gap from events

-- name: window_exclude
select order_id, sum(amount) over (order by order_date rows between 1 preceding and 1 following exclude current row) as neighbours from orders
