-- Subscripts, slices and field access on values that are not lists, strings, maps or
-- structs; IN/ANY/ALL over a subquery (DuckDB needs a max type of the two sides).

-- name: index_json
select properties[1] as p, properties['a'] as q from events

-- name: slice_blob_and_varchar
select raw_payload[1:2] as b, sku[1:3] as s from inventory_snapshots join products using (product_id)

-- name: index_varchar_and_list
select status[1] as first_char, tags[1] as first_tag from orders

-- name: in_subquery_widening
select order_id in (select customer_id from orders) as a, order_date in (select created_at from orders) as b from orders

-- name: in_subquery_null
select order_id in (select null) as a from orders

-- name: any_subquery_numeric
select amount > any (select fee from payments) as a from orders

-- name: err_index_bigint
select order_id[1] as x from orders

-- name: err_index_date
select order_date[1] as x from orders

-- name: err_index_uuid
select event_id[2] as x from events

-- name: err_slice_bigint
select order_id[1:2] as x from orders

-- name: err_field_on_date
select (order_date).year as y from orders

-- name: err_field_on_subscripted_varchar
select tags[1].x as y from orders

-- name: err_in_subquery_date_varchar
select order_date in (select status from orders) as a from orders

-- name: err_in_subquery_list_varchar
select tags in (select status from orders) as a from orders

-- name: err_any_subquery_bigint_varchar
select order_id = any (select status from orders) as a from orders

-- name: err_in_subquery_string_literal
select order_id in (select '1') as a from orders

-- name: err_not_in_subquery_where
select * from orders where status not in (select order_id from order_items)

-- name: power_operator
select 2 ^ 3 as g, amount ^ 2 as i, quantity ^ quantity as j, '2' ^ 2 as k from orders

-- name: array_subquery_varchar
select array(select status from orders limit 3) as x

-- name: err_power_operator_varchar_column
select status ^ 2 as x from orders

-- name: err_array_subquery_two_columns
select array(select order_id, status from orders) as x
