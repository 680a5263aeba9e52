-- Mart models: longer CTE chains joining several staging-like CTEs.

-- name: fct_daily_revenue_by_country
with orders as (
    select order_id, customer_id, order_date, amount, status from orders
),
customers as (
    select customer_id, coalesce(country_code, 'ZZ') as country_code from customers
),
payments as (
    select order_id, sum(case when is_refund then -amount else amount end) as net_paid
    from payments
    group by order_id
),
joined as (
    select
        o.order_date,
        c.country_code,
        o.amount as order_amount,
        coalesce(p.net_paid, 0) as net_paid
    from orders o
    join customers c using (customer_id)
    left join payments p using (order_id)
    where o.status not in ('cancelled')
)
select
    order_date,
    country_code,
    count(*) as orders,
    sum(order_amount) as gross,
    sum(net_paid) as net,
    sum(net_paid) / nullif(sum(order_amount), 0) as collection_rate
from joined
group by all

-- name: first_touch_attribution
with touches as (
    select user_id, event_ts, attributes['utm_source'] as source
    from events
    where event_type = 'page_view'
),
first_touch as (
    select user_id, source, event_ts
    from touches
    qualify row_number() over (partition by user_id order by event_ts) = 1
),
conversions as (
    select customer_id as user_id, min(created_at) as converted_at, sum(amount) as revenue
    from orders
    group by 1
)
select
    ft.source,
    count(distinct c.user_id) as converters,
    sum(c.revenue) as attributed_revenue,
    avg(date_diff('day', ft.event_ts, c.converted_at)) as avg_days_to_convert
from first_touch ft
join conversions c on c.user_id = ft.user_id and c.converted_at >= ft.event_ts
group by ft.source

-- name: product_affinity
with lines as (
    select oi.order_id, p.category
    from order_items oi
    join products p on p.product_id = oi.product_id
),
pairs as (
    select a.category as category_a, b.category as category_b, count(distinct a.order_id) as orders_together
    from lines a
    join lines b on a.order_id = b.order_id and a.category < b.category
    group by 1, 2
)
select *, orders_together * 1.0 / sum(orders_together) over () as share
from pairs
order by orders_together desc
limit 50

-- name: customer_scd_join
with scd as (
    select
        customer_id,
        country_code,
        updated_at as valid_from,
        coalesce(lead(updated_at) over (partition by customer_id order by updated_at), timestamptz '9999-12-31 00:00:00+00') as valid_to
    from customers
)
select o.order_id, o.created_at, scd.country_code as country_at_order_time
from orders o
left join scd
    on scd.customer_id = o.customer_id
    and o.created_at::timestamptz >= scd.valid_from
    and o.created_at::timestamptz < scd.valid_to

-- name: inventory_days_of_supply
with latest as (
    select product_id, on_hand
    from inventory_snapshots
    qualify row_number() over (partition by product_id order by snapshot_date desc) = 1
),
demand as (
    select oi.product_id, sum(oi.quantity) / 30.0 as daily_units
    from order_items oi
    join orders o using (order_id)
    where o.order_date >= current_date - interval 30 day
    group by oi.product_id
)
select
    p.sku,
    l.on_hand,
    d.daily_units,
    case when d.daily_units > 0 then l.on_hand / d.daily_units end as days_of_supply
from products p
left join latest l using (product_id)
left join demand d using (product_id)
where p.is_active

-- name: employee_tenure_bands
select
    department,
    case
        when date_diff('year', hired_at, current_date) < 1 then '<1y'
        when date_diff('year', hired_at, current_date) < 3 then '1-3y'
        else '3y+'
    end as tenure_band,
    count(*) as headcount,
    round(avg(salary), 2) as avg_salary
from employees
where status = 'active'
group by 1, 2
order by 1, 2

-- name: web_error_rates
with hits as (
    select date_trunc('hour', ts) as hour, status_code, retries from web_hits
)
select
    hour,
    count(*) as requests,
    count(*) filter (where status_code >= 500) as server_errors,
    round(100.0 * count(*) filter (where status_code >= 500) / count(*), 2) as error_pct,
    max(retries) as max_retries
from hits
group by hour
having count(*) > 10
qualify lag(error_pct) over (order by hour) is distinct from error_pct

-- name: session_to_order_bridge
with s as (
    select session_id, customer_id, started_at, ended_at from sessions where customer_id is not null
),
o as (
    select order_id, customer_id, created_at from orders
)
select s.session_id, o.order_id, o.created_at - s.started_at as time_to_order
from s
join o on o.customer_id = s.customer_id and o.created_at between s.started_at and s.ended_at + interval 1 hour

-- name: fx_normalized_payments_asof_free
with rates as (
    select currency, rate, valid_from, coalesce(valid_to, timestamp '9999-12-31') as valid_to from fx_rates
)
select
    p.payment_id,
    p.amount,
    r.rate,
    round(p.amount * r.rate, 2) as amount_usd
from payments p
left join rates r on r.currency = 'EUR' and p.paid_at::timestamp >= r.valid_from and p.paid_at::timestamp < r.valid_to

-- name: event_property_extraction
with ev as (
    select
        event_id,
        user_id,
        event_ts,
        json_extract_string(properties, '$.campaign') as campaign,
        try_cast(json_extract_string(properties, '$.value') as decimal(12, 2)) as value,
        context.device.os as os,
        len(items) as n_items
    from events
)
select campaign, os, count(*) as events, sum(value) as value, avg(n_items) as avg_items
from ev
group by all

-- name: cumulative_customers
with firsts as (
    select customer_id, min(order_date) as first_order_date from orders group by 1
),
daily as (
    select first_order_date as day, count(*) as new_customers from firsts group by 1
)
select
    day,
    new_customers,
    sum(new_customers) over (order by day rows unbounded preceding) as cumulative_customers
from daily

-- name: order_gaps
with ordered as (
    select
        customer_id,
        order_date,
        lag(order_date) over (partition by customer_id order by order_date) as previous_order_date
    from orders
)
select
    customer_id,
    avg(order_date - previous_order_date) as avg_gap_days,
    max(order_date - previous_order_date) as max_gap_days
from ordered
where previous_order_date is not null
group by customer_id

-- name: mixed_case_staging
with src as (select * from main."Mixed_Case")
select
    "CustomerID" as customer_id,
    trim("FirstName") as first_name,
    "Order Count"::integer as order_count,
    "lastUpdated"::date as last_updated_date,
    round(amount, 2) as amount
from src
where "Order Count" > 0

-- name: unioned_activity_typed
with a as (select customer_id, created_at as ts, 'order' as kind, amount::double as value from orders),
b as (select user_id, event_ts, event_type, score from events),
c as (select customer_id, started_at, 'session', pages_viewed from sessions)
select * from a
union all select * from b
union all select * from c

-- name: top_products_per_category
with ranked as (
    select
        p.category,
        p.name,
        sum(oi.line_total) as revenue,
        dense_rank() over (partition by p.category order by sum(oi.line_total) desc) as rnk
    from order_items oi
    join products p using (product_id)
    group by p.category, p.name
)
select category, name, revenue from ranked where rnk <= 3

-- name: late_shipments
select
    order_id,
    order_date,
    shipped_at,
    date_diff('day', order_date, shipped_at) as days_to_ship,
    date_diff('day', order_date, shipped_at) > 3 as is_late
from orders
where shipped_at is not null
  and status in ('shipped', 'completed')

-- name: payments_method_mix
with p as (select order_id, payment_method, amount from payments where not is_refund)
select
    payment_method,
    count(*) as payments,
    sum(amount) as amount,
    sum(amount) / sum(sum(amount)) over () as share
from p
group by payment_method

-- name: snapshot_status_changes
with s as (
    select product_id, snapshot_date, status, lag(status) over (partition by product_id order by snapshot_date) as prev_status
    from inventory_snapshots
)
select product_id, snapshot_date, prev_status, status
from s
where status is distinct from prev_status
