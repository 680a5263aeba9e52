-- Models as an analytics engineer writes them: import CTEs, logical CTEs, final select.

-- name: stg_orders
with source as (
    select * from orders
),
renamed as (
    select
        order_id,
        customer_id,
        order_date,
        status as order_status,
        amount as order_amount,
        coalesce(discount, 0) as discount_rate,
        created_at
    from source
)
select * from renamed

-- name: stg_customers
with source as (
    select * from main.customers
),
renamed as (
    select
        customer_id,
        first_name,
        last_name,
        first_name || ' ' || last_name as full_name,
        lower(email) as email,
        signup_date,
        is_active,
        upper(country_code) as country_code
    from source
)
select * from renamed

-- name: stg_payments
with source as (
    select * from memory.main.payments
),
renamed as (
    select
        payment_id,
        order_id,
        payment_method,
        amount / 100 as amount_dollars,
        paid_at::date as paid_date,
        is_refund
    from source
)
select * from renamed

-- name: customer_orders
with orders as (
    select * from orders
),
customer_orders as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as most_recent_order_date,
        count(order_id) as number_of_orders,
        sum(amount) as lifetime_amount
    from orders
    group by customer_id
)
select * from customer_orders

-- name: dim_customers
with customers as (
    select * from customers
),
orders as (
    select * from orders
),
customer_orders as (
    select
        customer_id,
        min(order_date) as first_order,
        max(order_date) as most_recent_order,
        count(order_id) as number_of_orders
    from orders
    group by 1
),
final as (
    select
        customers.customer_id,
        customers.first_name,
        customers.last_name,
        customer_orders.first_order,
        customer_orders.most_recent_order,
        coalesce(customer_orders.number_of_orders, 0) as number_of_orders
    from customers
    left join customer_orders on customers.customer_id = customer_orders.customer_id
)
select * from final

-- name: fct_orders
with orders as (
    select * from orders
),
payments as (
    select * from payments
),
order_payments as (
    select
        order_id,
        sum(case when payment_method = 'credit_card' then amount else 0 end) as credit_card_amount,
        sum(case when payment_method = 'coupon' then amount else 0 end) as coupon_amount,
        sum(case when payment_method = 'bank_transfer' then amount else 0 end) as bank_transfer_amount,
        sum(amount) as total_amount
    from payments
    group by order_id
),
final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.order_date,
        orders.status,
        order_payments.credit_card_amount,
        order_payments.coupon_amount,
        order_payments.bank_transfer_amount,
        order_payments.total_amount as amount
    from orders
    left join order_payments on orders.order_id = order_payments.order_id
)
select * from final

-- name: orders_with_items
with o as (select * from orders),
items as (select * from order_items),
agg as (
    select order_id, count(*) as item_count, sum(line_total) as items_total, sum(quantity) as units
    from items
    group by order_id
)
select
    o.order_id,
    o.order_date,
    agg.item_count,
    agg.items_total,
    agg.units,
    o.amount - agg.items_total as rounding_diff
from o
join agg using (order_id)

-- name: monthly_revenue
with orders as (select * from orders where status not in ('cancelled', 'returned')),
monthly as (
    select
        date_trunc('month', order_date) as order_month,
        count(*) as orders,
        sum(amount) as revenue,
        avg(amount) as avg_order_value
    from orders
    group by 1
)
select
    order_month,
    orders,
    revenue,
    avg_order_value,
    revenue - lag(revenue) over (order by order_month) as revenue_change
from monthly
order by order_month

-- name: customer_ltv
with payments as (
    select p.order_id, p.amount, p.is_refund from payments p
),
orders as (
    select o.order_id, o.customer_id from orders o
),
joined as (
    select
        orders.customer_id,
        case when payments.is_refund then -payments.amount else payments.amount end as net_amount
    from payments
    join orders on payments.order_id = orders.order_id
)
select customer_id, sum(net_amount) as ltv, count(*) as n_payments
from joined
group by customer_id
having sum(net_amount) > 0

-- name: latest_order_per_customer
with ranked as (
    select
        *,
        row_number() over (partition by customer_id order by order_date desc, order_id desc) as rn
    from orders
)
select * exclude (rn) from ranked where rn = 1

-- name: latest_order_qualify
select customer_id, order_id, order_date, amount
from orders
qualify row_number() over (partition by customer_id order by order_date desc) = 1

-- name: sessionized_events
with events as (
    select user_id, event_ts, event_type from events
),
lagged as (
    select
        *,
        lag(event_ts) over (partition by user_id order by event_ts) as prev_ts
    from events
),
flagged as (
    select
        *,
        case when prev_ts is null or event_ts - prev_ts > interval 30 minute then 1 else 0 end as is_new_session
    from lagged
),
numbered as (
    select
        *,
        sum(is_new_session) over (partition by user_id order by event_ts rows between unbounded preceding and current row) as session_number
    from flagged
)
select user_id, session_number, min(event_ts) as session_start, max(event_ts) as session_end, count(*) as events
from numbered
group by all

-- name: daily_active_users
with ev as (select * from events where event_type <> 'heartbeat')
select
    event_ts::date as activity_date,
    count(distinct user_id) as dau,
    count(*) filter (where event_type = 'purchase') as purchases,
    approx_count_distinct(user_id) as dau_approx
from ev
group by 1
order by 1

-- name: product_catalog
with products as (select * from products),
stats as (
    select product_id, sum(quantity) as units_sold, sum(line_total) as revenue
    from order_items
    group by product_id
)
select
    p.product_id,
    p.sku,
    p.name as product_name,
    p.category,
    p.price,
    coalesce(s.units_sold, 0) as units_sold,
    coalesce(s.revenue, 0) as revenue,
    s.revenue / nullif(s.units_sold, 0) as avg_selling_price
from products p
left join stats s on s.product_id = p.product_id

-- name: inventory_latest
with snaps as (
    select *, row_number() over (partition by product_id order by snapshot_date desc) as rn
    from inventory_snapshots
)
select product_id, snapshot_date as as_of, on_hand, status as inventory_status
from snaps
where rn = 1

-- name: fx_converted_payments
with p as (select * from payments),
fx as (select * from fx_rates)
select
    p.payment_id,
    p.amount,
    fx.rate,
    p.amount * fx.rate as amount_usd
from p
left join fx on fx.currency = 'EUR' and p.paid_at::date = fx.rate_date

-- name: employee_hierarchy
with recursive hierarchy as (
    select employee_id, manager_id, name, 1 as depth, [name] as path
    from employees
    where manager_id is null
    union all
    select e.employee_id, e.manager_id, e.name, h.depth + 1, list_append(h.path, e.name)
    from employees e
    join hierarchy h on e.manager_id = h.employee_id
)
select employee_id, name, depth, array_to_string(path, ' > ') as chain from hierarchy

-- name: department_salaries
with emp as (select * from employees where status = 'active')
select
    department,
    count(*) as headcount,
    sum(salary) as total_salary,
    avg(salary) as avg_salary,
    median(salary) as median_salary,
    max(salary) - min(salary) as salary_range
from emp
group by department
having count(*) >= 3
order by total_salary desc

-- name: customer_segments
with co as (
    select customer_id, count(*) as n_orders, sum(amount) as total
    from orders
    group by customer_id
)
select
    c.customer_id,
    c.country_code,
    co.n_orders,
    co.total,
    case
        when co.total >= 1000 then 'vip'
        when co.total >= 100 then 'regular'
        when co.total is null then 'prospect'
        else 'casual'
    end as segment
from customers c
left join co on c.customer_id = co.customer_id

-- name: orders_enriched_using
with o as (select * from orders),
c as (select customer_id, first_name, country_code from customers)
select * from o join c using (customer_id)

-- name: web_traffic_daily
with hits as (select * from web_hits)
select
    date_trunc('day', ts) as day,
    count(*) as hits,
    count(*) filter (where status_code >= 500) as errors,
    sum(bytes_sent) as bytes,
    avg(retries) as avg_retries
from hits
group by all

-- name: session_metrics
with s as (select * from sessions)
select
    customer_id,
    count(*) as sessions,
    sum(pages_viewed) as pages,
    avg(pages_viewed) as avg_pages,
    max(ended_at - started_at) as longest_session,
    sum(date_diff('second', started_at, ended_at)) as total_seconds
from s
group by customer_id

-- name: payments_pivoted_case
with p as (select order_id, payment_method, amount from payments)
select
    order_id,
    sum(amount) filter (where payment_method = 'card') as card_amount,
    sum(amount) filter (where payment_method = 'cash') as cash_amount,
    count(*) as n
from p
group by order_id

-- name: order_status_history
with o as (select order_id, status, created_at from orders)
select
    order_id,
    string_agg(status, ' -> ' order by created_at) as status_path,
    list(status order by created_at) as statuses,
    array_agg(distinct status) as distinct_statuses,
    first(status order by created_at) as first_status,
    arg_max(status, created_at) as last_status
from o
group by order_id

-- name: cohort_retention
with first_orders as (
    select customer_id, min(date_trunc('month', order_date)) as cohort_month
    from orders
    group by customer_id
),
activity as (
    select distinct o.customer_id, date_trunc('month', o.order_date) as activity_month
    from orders o
)
select
    f.cohort_month,
    date_diff('month', f.cohort_month, a.activity_month) as months_since,
    count(distinct a.customer_id) as customers
from first_orders f
join activity a on a.customer_id = f.customer_id
group by 1, 2
order by 1, 2

-- name: event_items_flattened
with ev as (select event_id, user_id, items from events),
flat as (
    select event_id, user_id, unnest(items) as item from ev
)
select event_id, user_id, item.sku, item.qty, item.price, item.qty * item.price as line_value
from flat

-- name: event_items_unnest_recursive
select event_id, unnest(items, recursive := true) from events

-- name: event_context
select
    event_id,
    context.page as page,
    context.device.os as os,
    context.device.version as os_version,
    attributes['utm_source'] as utm_source,
    properties->>'$.campaign' as campaign
from events
where event_type = 'page_view'

-- name: mixed_case_model
with src as (select * from "Mixed_Case")
select CustomerID as customer_id, FirstName as first_name, "Order Count" as order_count, lastUpdated as last_updated
from src

-- name: snapshot_like_scd
with src as (
    select
        customer_id,
        country_code,
        updated_at as dbt_valid_from,
        lead(updated_at) over (partition by customer_id order by updated_at) as dbt_valid_to
    from customers
)
select *, dbt_valid_to is null as is_current from src

-- name: incremental_filter
with new_orders as (
    select * from orders
    where created_at > (select coalesce(max(created_at), '1900-01-01'::timestamp) from orders)
)
select order_id, customer_id, amount, created_at from new_orders

-- name: surrogate_key
select
    md5(cast(coalesce(cast(order_id as varchar), '') || '-' || coalesce(cast(customer_id as varchar), '') as varchar)) as order_key,
    order_id,
    customer_id
from orders

-- name: date_spine
with spine as (
    select range::date as date_day from range(date '2024-01-01', date '2024-12-31', interval 1 day)
)
select spine.date_day, count(o.order_id) as orders
from spine
left join orders o on o.order_date = spine.date_day
group by spine.date_day

-- name: date_spine_generate_series
select generate_series::date as date_day
from generate_series(timestamp '2024-01-01', timestamp '2024-02-01', interval 1 day)

-- name: union_sources
with a as (
    select customer_id, 'order' as source, created_at as ts from orders
),
b as (
    select user_id as customer_id, 'event' as source, event_ts as ts from events
)
select * from a
union all
select * from b

-- name: running_totals
select
    customer_id,
    order_date,
    amount,
    sum(amount) over (partition by customer_id order by order_date) as running_amount,
    count(*) over (partition by customer_id) as customer_orders,
    amount / sum(amount) over (partition by customer_id) as share_of_customer
from orders

-- name: percentiles
select
    category,
    quantile_cont(price, 0.5) as median_price,
    percentile_disc(0.9) within group (order by price) as p90_price,
    stddev(price) as price_stddev
from products
group by category

-- name: funnel
with e as (select user_id, event_type from events)
select
    count(distinct user_id) filter (where event_type = 'view') as viewers,
    count(distinct user_id) filter (where event_type = 'cart') as carters,
    count(distinct user_id) filter (where event_type = 'purchase') as buyers,
    buyers / nullif(viewers, 0) as conversion
from e

-- name: bool_aggregates
select
    customer_id,
    bool_or(status = 'returned') as ever_returned,
    bool_and(amount > 0) as all_positive,
    count_if(status = 'completed') as completed_orders,
    max(shipped_at) as last_ship
from orders
group by customer_id

-- name: payments_by_order_lateral
select o.order_id, p.last_payment
from orders o,
lateral (select max(paid_at) as last_payment from payments where payments.order_id = o.order_id) p

-- name: final_select_order_limit
with o as (select * from orders)
select order_id, amount from o order by amount desc nulls last limit 100

-- name: from_first_model
with o as (from orders select order_id, amount where amount > 0)
from o select order_id, amount * 2 as doubled
