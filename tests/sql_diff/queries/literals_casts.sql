-- name: numeric_literals
select 1 as i, 127 as t, 32768 as s, 2147483647 as imax, 2147483648 as b, 9223372036854775807 as bmax, 9223372036854775808 as h, 1.0 as d1, 0.5 as d2, 123.456 as d3, 1e10 as sci

-- name: negative_literals
select -1 as a, -2147483649 as b, -1.5 as c

-- name: huge_decimal_literal
select 12345678901234567890.12345 as d, 0.000001 as tiny

-- name: string_and_null_literals
select 'abc' as s, null as n, true as t, false as f, '' as e

-- name: typed_literals
select date '2024-01-01' as d, timestamp '2024-01-01 00:00:00' as ts, time '12:00' as t, interval 1 day as i, timestamptz '2024-01-01 00:00:00+00' as tz

-- name: cast_variants
select cast(order_id as varchar) as a, order_id::int as b, try_cast(status as double) as c, cast(amount as decimal(18, 2)) as d, amount::numeric as e, status::text as f from orders

-- name: cast_to_nested
select cast([1, 2] as varchar[]) as l, cast({'a': 1} as struct(a bigint)) as s, '{"a": 1}'::json as j from orders

-- name: cast_null_typed
select null::date as d, cast(null as decimal(10, 2)) as dec, null::varchar[] as l

-- name: cast_to_uuid_and_blob
select '00000000-0000-0000-0000-000000000000'::uuid as u, 'abc'::blob as b, 42::utinyint as ut, 7::hugeint as hi

-- name: arithmetic_literals
select 1 + 1 as a, 1 + 1.5 as b, 2 * 3.0 as c, 7 / 2 as d, 7 // 2 as e, 1.5 * 2 as f, 2 ^ 3 as g, 10 % 3 as h

-- name: decimal_arithmetic
select amount + amount as a, amount * amount as m, amount / amount as d, amount * discount as md, amount - 1 as s, amount * 1.5 as x from orders

-- name: decimal_mixed
select o.amount + p.amount as a, o.amount * p.fee as b, o.amount + o.quantity as c, o.amount + o.order_id as d from orders o join payments p using (order_id)

-- name: integer_promotion
select quantity + quantity as ss, quantity + customer_id as si, customer_id + order_id as ib, order_id + sequence_number as bh, retries + retries as tt, bytes_sent + retries as ut from orders, events, web_hits

-- name: date_arithmetic
select order_date + 1 as d1, order_date + interval 1 day as d2, order_date - interval '1 month' as d3, created_at + interval 1 hour as t1, created_at - shipped_at as iv, order_date - order_date as days from orders

-- name: date_functions
select date_trunc('month', order_date) as m, date_trunc('hour', created_at) as h, date_diff('day', order_date, current_date) as dd, date_part('dow', order_date) as dow, date_add(order_date, interval 1 day) as da, make_timestamp(2024, 1, 1, 0, 0, 0) as mt from orders

-- name: string_functions
select upper(first_name) as u, lower(last_name) as l, length(email) as len, concat(first_name, ' ', last_name) as c, first_name || last_name as p, substr(email, 1, 3) as s, position('@' in email) as pos, trim(both ' ' from first_name) as t, replace(email, '@', '_') as r, split_part(email, '@', 1) as sp from customers

-- name: coalesce_types
select coalesce(quantity, customer_id) as a, coalesce(amount, 0) as b, coalesce(amount, discount) as c, coalesce(null, 1) as d, coalesce(shipped_at, created_at) as e, coalesce(order_date, created_at) as f from orders

-- name: case_types
select case when true then quantity else customer_id end as a, case when true then amount else 1.5 end as b, case when true then 'a' end as c, case when true then null else order_date end as d from orders

-- name: boolean_expressions
select amount > 1 as a, status = 'x' or quantity > 1 as b, not is_active as c, status is null as d, amount between 1 and 2 as e, status in ('a') as f from orders, customers

-- name: unaliased_expression_names
select order_id + 1, upper(status), amount * 2, cast(order_id as varchar), status || 'x', order_date + interval 1 day, 'lit', 42, null from orders

-- name: unaliased_qualified_columns
select o.order_id, o.status, c.email from orders o join customers c using (customer_id)
