-- DuckDB's nullif is a scalar macro: aggregates may be its arguments, and its arguments
-- are GROUP BY-checked like any scalar function's.

-- name: nullif_of_aggregate
select nullif(sum(amount), 0) as c from orders

-- name: ratio_with_nullif
select status, sum(amount) / nullif(count(*), 0) as avg_amount from orders group by status

-- name: err_nullif_ungrouped_argument
select status, nullif(amount, 0) as c from orders group by status

-- name: err_nullif_nested_aggregate
select status, nullif(sum(sum(amount)), 0) as c from orders group by status
