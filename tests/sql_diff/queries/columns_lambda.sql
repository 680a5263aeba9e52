-- COLUMNS(lambda): the columns whose name makes the lambda true.

-- name: columns_lambda_ilike_or_equals
select columns(c -> c ilike '%DATE%' or c = 'status') from orders

-- name: columns_lambda_not_like
select columns(c -> c not like '%_id') from orders

-- name: columns_lambda_in_list
select columns(c -> c in ('amount', 'discount')) from orders

-- name: columns_lambda_prefix_suffix
select columns(c -> starts_with(c, 'ship') or ends_with(c, '_at')) from orders

-- name: columns_lambda_regexp
select columns(c -> regexp_matches(c, '^c')) from orders

-- name: columns_lambda_not_and
select columns(c -> not (c like 'order%') and c <> 'tags') from orders

-- name: columns_lambda_in_aggregate
select min(columns(c -> c like '%_at')) from orders

-- name: err_columns_lambda_empty
select columns(c -> c like 'zzz%') from orders

-- name: err_columns_lambda_type
select columns(c -> c like '%date%') + 1 from orders
