-- name: struct_literal
select {'a': 1, 'b': 'x'} as s

-- name: struct_literal_field
select {'a': 1, 'b': 'x'}.a as a

-- name: struct_from_columns
select {'id': order_id, 'amount': amount} as s from orders

-- name: struct_field_dot
select context.page, context.device.os from events

-- name: struct_field_qualified
select e.context.page as page from events e

-- name: struct_bracket
select context['referrer'] as ref from events

-- name: struct_nested_unaliased
select context.device from events

-- name: list_literal
select [1, 2, 3] as l, ['a', 'b'] as s, [] as empty_list

-- name: list_index
select tags[1] as first_tag, tags[-1] as last_tag, tags[2:3] as middle from orders

-- name: list_of_structs
select [{'a': 1}, {'a': 2}] as ls

-- name: list_index_struct_field
select items[1].sku as first_sku, items[1].price as first_price from events

-- name: map_literal
select map {'a': 1, 'b': 2} as m

-- name: map_access
select attributes['k'] as v, attributes['k'][1] as v1 from events

-- name: map_functions
select map_keys(attributes) as keys, map_entries(attributes) as entries, map_from_entries([('a', 1)]) as m from events

-- name: lambda_transform
select list_transform([1, 2, 3], x -> x + 1) as plus_one

-- name: lambda_filter_columns
select list_filter(tags, t -> t like 'v%') as vip_tags from orders

-- name: lambda_reduce
select list_reduce([1, 2, 3], (a, b) -> a + b) as total

-- name: lambda_struct_fields
select list_transform(items, it -> {'sku': it.sku, 'value': it.qty * it.price}) as vals from events

-- name: list_comprehension
select [x * 2 for x in [1, 2, 3]] as doubled

-- name: list_aggregate_fn
select list_aggregate([1, 2, 3], 'sum') as s, list_sum([1.5, 2]) as s2

-- name: array_fixed
select dimensions, dimensions[2] as depth, array_length(dimensions) as n from products

-- name: struct_insert
select struct_insert(context, extra := 1) as c2 from events

-- name: json_functions
select properties->>'$.a' as a, json_extract(properties, '$.b') as b, json_type(properties) as t, properties.a as dot from events

-- name: unnest_struct_columns
select unnest(context) from events

-- name: unnest_list_of_structs_recursive
select unnest(items, recursive := true) from events

-- name: method_chaining
select status.upper() as up, tags.len() as n from orders

-- name: string_slicing
select status[1:3] as prefix from orders
