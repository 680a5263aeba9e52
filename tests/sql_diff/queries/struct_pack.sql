-- struct_pack: a STRUCT of its named arguments (names as written), or of columns named
-- after them.

-- name: struct_pack_named
select struct_pack(a := order_id, b := status) as v from orders

-- name: struct_pack_field
select struct_pack(k := status).k as v from orders

-- name: struct_pack_columns
select struct_pack(order_id, o.status) as v from orders o

-- name: struct_pack_quoted_names
select struct_pack("Version" := 1, "select" := 'x', A := 2.5) as v

-- name: err_struct_pack_duplicate_name
select struct_pack(a := 1, a := 2) as v

-- name: err_struct_pack_missing_field
select struct_pack(k := status).j as v from orders
