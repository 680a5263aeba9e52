-- GROUP BY keys that are columns match by column identity, not by name: `a.category`
-- does not group `b.category`; an unqualified USING column is the left side's column.

-- name: group_by_qualified_select_unqualified
select status from orders o group by o.status

-- name: group_by_unqualified_select_qualified
select orders.status from orders group by status

-- name: group_by_using_column_left_side
select o.customer_id, count(*) as n from orders o join customers c using (customer_id) group by customer_id

-- name: group_by_left_side_select_using_column
select customer_id, count(*) as n from orders o join customers c using (customer_id) group by o.customer_id

-- name: group_by_ordinal_self_join
select a.status, count(*) as n from orders a join orders b on a.order_id = b.order_id group by 1

-- name: err_group_by_other_side_of_using
select c.customer_id from orders o join customers c using (customer_id) group by customer_id

-- name: err_group_by_right_select_using_column
select customer_id from orders o join customers c using (customer_id) group by c.customer_id

-- name: err_group_by_other_join_side
select o.customer_id from orders o join customers c on o.customer_id = c.customer_id group by c.customer_id

-- name: err_group_by_ordinal_self_join_other_side
select a.status, b.status as other, count(*) as n from orders a join orders b on a.order_id = b.order_id group by 1
