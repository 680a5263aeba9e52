-- SQL as dbt-duckdb compiles it: quoted three-part relation names, macros expanded
-- (dbt_utils.generate_surrogate_key, union_relations, date_spine, star, pivot, ...).

-- name: compiled_ref_three_part
select * from "memory"."main"."orders"

-- name: compiled_ref_two_part
select "order_id", "status" from "main"."orders" as "o"

-- name: compiled_surrogate_key
select
    md5(cast(coalesce(cast(order_id as TEXT), '_dbt_utils_surrogate_key_null_') || '-' || coalesce(cast(customer_id as TEXT), '_dbt_utils_surrogate_key_null_') as TEXT)) as order_customer_key,
    *
from "memory"."main"."orders"

-- name: compiled_union_relations
(
    select
        cast('"memory"."main"."orders"' as TEXT) as _dbt_source_relation,
        cast("order_id" as BIGINT) as "order_id",
        cast("amount" as DECIMAL(18,4)) as "amount",
        cast(null as TIMESTAMP WITH TIME ZONE) as "paid_at"
    from "memory"."main"."orders"
)
union all
(
    select
        cast('"memory"."main"."payments"' as TEXT) as _dbt_source_relation,
        cast("order_id" as BIGINT) as "order_id",
        cast("amount" as DECIMAL(18,4)) as "amount",
        cast("paid_at" as TIMESTAMP WITH TIME ZONE) as "paid_at"
    from "memory"."main"."payments"
)

-- name: compiled_star_macro
select
    "order_id",
    "customer_id",
    "order_date",
    "status"
from "memory"."main"."orders"

-- name: compiled_date_spine
with rawdata as (
    with p as (
        select 0 as generated_number union all select 1
    ), unioned as (
        select
            p0.generated_number * power(2, 0) + p1.generated_number * power(2, 1) + p2.generated_number * power(2, 2) + 1 as generated_number
        from p as p0
        cross join p as p1
        cross join p as p2
    )
    select * from unioned where generated_number <= 7 order by generated_number
),
all_periods as (
    select (
        date_add(cast('2024-01-01' as date), interval (row_number() over (order by 1) - 1) day)
    ) as date_day
    from rawdata
),
filtered as (
    select * from all_periods where date_day <= cast('2024-01-08' as date)
)
select * from filtered

-- name: compiled_pivot_macro
select
    customer_id,
    sum(case when status = 'placed' then 1 else 0 end) as "placed",
    sum(case when status = 'shipped' then 1 else 0 end) as "shipped",
    sum(case when status = 'completed' then 1 else 0 end) as "completed"
from "memory"."main"."orders"
group by customer_id

-- name: compiled_incremental_is_incremental
select * from "memory"."main"."events"
where event_ts > (select coalesce(max(event_ts), cast('1970-01-01' as timestamp)) from "memory"."main"."events")

-- name: compiled_snapshot_check
select
    *,
    md5(coalesce(cast(customer_id as varchar), '') || '|' || coalesce(cast(updated_at as varchar), '')) as dbt_scd_id,
    updated_at as dbt_updated_at,
    updated_at as dbt_valid_from,
    cast(null as timestamp with time zone) as dbt_valid_to
from (select * from "memory"."main"."customers") sbq

-- name: compiled_not_null_test
select order_id from "memory"."main"."orders" where order_id is null

-- name: compiled_unique_test
select unique_field, count(*) as n_records
from (select order_id as unique_field from "memory"."main"."orders" where order_id is not null) dbt_test__target
group by unique_field
having count(*) > 1

-- name: compiled_accepted_values_test
with all_values as (
    select status as value_field, count(*) as n_records
    from "memory"."main"."orders"
    group by status
)
select * from all_values
where value_field not in ('placed', 'shipped', 'completed', 'return_pending', 'returned')

-- name: compiled_relationships_test
with child as (
    select customer_id as from_field from "memory"."main"."orders" where customer_id is not null
),
parent as (
    select customer_id as to_field from "memory"."main"."customers"
)
select from_field
from child
left join parent on child.from_field = parent.to_field
where parent.to_field is null

-- name: compiled_get_column_values_result
select
    order_id,
    sum(case when payment_method = 'credit_card' then amount end) as "credit_card_amount",
    sum(case when payment_method = 'bank_transfer' then amount end) as "bank_transfer_amount"
from "memory"."main"."payments"
group by 1

-- name: compiled_safe_divide_and_cast_bool
select
    customer_id,
    lifetime_value / nullif(datediff('day', signup_date, current_date), 0) as value_per_day,
    cast(is_active as integer) as is_active_int,
    cast(signup_date as timestamp) as signup_ts
from "memory"."main"."customers"

-- name: compiled_type_string_macros
select
    cast(order_id as varchar) as order_id_str,
    cast(amount as numeric(28, 6)) as amount_num,
    cast(quantity as bigint) as quantity_big,
    cast(shipped_at as timestamp) as shipped_ts,
    cast(null as float) as nothing
from "memory"."main"."orders"

-- name: compiled_ephemeral_cte
with __dbt__cte__stg_orders as (
    select order_id, customer_id, amount from "memory"."main"."orders"
)
select customer_id, sum(amount) as total from __dbt__cte__stg_orders group by customer_id

-- name: compiled_listagg_macro
select customer_id, string_agg(status, ', ' order by order_date) as statuses
from "memory"."main"."orders"
group by customer_id

-- name: compiled_bool_or_macro
select customer_id, bool_or(status = 'returned') as any_returned from "memory"."main"."orders" group by customer_id

-- name: compiled_dateadd_macro
select order_date + ((interval '1 month') * (3)) as due_date, date_trunc('week', order_date) as week from "memory"."main"."orders"
