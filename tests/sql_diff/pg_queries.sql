select * from customers
select c.* from customers c
select id, name from customers where active
select id, name, email from customers where id = 1 and name like 'a%'
select name, count(*) from customers group by name
select name, count(*) as n from customers group by 1 having count(*) > 1
select c.name, o.amount from customers c join orders o on o.customer_id = c.id
select c.name, sum(o.amount) from customers c left join orders o on o.customer_id = c.id group by c.name
select c.name, sum(o.quantity) as q, avg(o.amount) as a from customers c join orders o on c.id = o.customer_id group by c.name
select status, count(distinct customer_id) from orders group by status
select distinct on (customer_id) customer_id, ordered_at, amount from orders order by customer_id, ordered_at desc
select id, name::varchar as n, score::float8 as s from customers
select id, cast(score as integer) from customers
select email ilike '%@x.com' as x from customers
select array[1, 2, 3] as a
select array[id, customer_id] from orders
select tags[1] as first_tag from customers
select meta ->> 'plan' as plan, meta -> 'limits' as limits from customers
select meta #>> '{a,b}' from customers
select attrs @> '{"color":"red"}' from products
select c.id, x.n from customers c, lateral (select count(*) as n from orders o where o.customer_id = c.id) x
select c.id, x.total from customers c cross join lateral (select sum(amount) as total from orders o where o.customer_id = c.id) x
select count(*) filter (where status = 'paid') as paid, count(*) from orders
select sum(amount) filter (where quantity > 1) from orders
with recent as (select * from orders where ordered_at > now() - interval '7 days') select customer_id, sum(amount) from recent group by customer_id
with a as (select id from customers), b as (select customer_id from orders) select a.id from a join b on a.id = b.customer_id
select id from customers union select customer_id from orders
select id from customers union all select id from orders
select name from customers intersect select name from products
select name from customers except select category from products
select id, row_number() over (order by id) from customers
select id, rank() over (partition by region order by score desc) from customers
select id, sum(amount) over (partition by customer_id order by ordered_at) as running from orders
select id, lag(amount) over (order by ordered_at) from orders
select id, lead(amount, 1, 0) over w from orders window w as (order by id)
select id, first_value(name) over (partition by region order by id) from customers
select ntile(4) over (order by score) from customers
select percentile_cont(0.5) within group (order by amount) from orders
select mode() within group (order by status) from orders
select string_agg(name, ', ' order by name) from customers
select array_agg(id order by id) from customers
select jsonb_agg(name) from customers
select json_agg(id) from orders
select jsonb_build_object('id', id, 'name', name) from customers
select json_build_object('a', 1)
select to_char(created_at, 'YYYY-MM-DD') from customers
select to_char(amount, '999D99') from orders
select date_trunc('month', created_at) from customers
select date_trunc('day', ordered_at) from orders
select date_part('year', created_at) from customers
select extract(year from created_at) from customers
select extract(epoch from duration) from events
select now(), current_date, current_timestamp, localtimestamp
select age(created_at) from customers
select created_at + interval '1 day' from customers
select signup_date + 1 from customers
select signup_date - signup_date from customers
select created_at - created_at from customers
select ordered_at - interval '1 hour' from orders
select signup_date + interval '1 month' from customers
select coalesce(email, name) from customers
select coalesce(score, 0) from customers
select coalesce(amount, discount) from orders
select nullif(status, '') from orders
select greatest(amount, 0), least(quantity, 10) from orders
select case when score > 50 then 'high' else 'low' end as band from customers
select case region when 'US' then 1 when 'EU' then 2 else 0 end from customers
select case when active then score end from customers
select upper(name), lower(email), length(name), initcap(name) from customers
select substring(name from 1 for 3), substring(name, 2) from customers
select position('a' in name) from customers
select trim(name), trim(leading 'x' from name), rtrim(name) from customers
select replace(name, 'a', 'b'), split_part(email, '@', 2) from customers
select left(name, 1), right(name, 2), reverse(name), repeat(name, 2) from customers
select concat(name, '-', id), concat_ws('/', name, email) from customers
select name || ' ' || email from customers
select id || name from customers
select 'a' || 'b'
select md5(name) from customers
select regexp_replace(name, '[0-9]', '', 'g') from customers
select name ~ '^a' as m, name !~* 'b' from customers
select round(amount, 1), round(discount), ceil(amount), floor(discount), abs(amount) from orders
select trunc(score), sqrt(discount), power(weight, 2), mod(quantity, 3) from orders o, customers c
select amount * quantity, amount / 2, quantity % 2, -amount from orders
select quantity + 1, quantity * 2, quantity / 2 from orders
select weight + discount, weight * 2 from orders
select id + customer_id from orders
select 1 + 1.5, 2 * 3, 7 / 2, 7.0 / 2
select 10 % 3, 2 ^ 3, |/ 16.0
select sum(quantity), sum(id), sum(amount), sum(discount), sum(weight) from orders
select avg(quantity), avg(id), avg(amount), avg(discount) from orders
select min(name), max(created_at), min(amount) from customers, orders
select count(*), count(id), count(distinct status) from orders
select bool_and(active), bool_or(active), every(active) from customers
select stddev(amount), variance(discount) from orders
select id from customers where id in (1, 2, 3)
select id from customers where name in ('a', 'b')
select id from customers where id in (select customer_id from orders)
select id from customers c where exists (select 1 from orders o where o.customer_id = c.id)
select id from customers where score between 1 and 10
select id from customers where created_at between '2024-01-01' and '2024-12-31'
select id from customers where email is not null and active is true
select id from customers where name is distinct from email
select (select max(amount) from orders) as m
select id, (select count(*) from orders o where o.customer_id = c.id) as n from customers c
select * from (select id, name from customers) s where s.id > 1
select s.n from (select count(*) as n from orders) s
select * from generate_series(1, 10) g
select g from generate_series(1, 3) as g
select * from generate_series('2024-01-01'::timestamp, '2024-02-01', interval '1 day')
select unnest(tags) from customers
select unnest(array[1, 2])
select * from unnest(array['a', 'b']) as t(x)
select x from unnest(array[1, 2]) as t(x)
select id::text, id::bigint, id::numeric(10, 2), id::float4 from customers
select '1'::integer, '2024-01-01'::date, 'true'::boolean, '{}'::jsonb
select date '2024-01-01', timestamp '2024-01-01 00:00', interval '2 hours'
select now()::date, current_date - 1
select created_at::date, ordered_at::timestamp from customers, orders
select name::text = email::text from customers
select id = customer_id from orders
select amount > discount from orders
select quantity = id from orders
select score > 1.5 from customers
select true and false, not active from customers
select array_length(tags, 1), cardinality(tags) from customers
select array_append(tags, 'x'), array_cat(tags, tags) from customers
select array_remove(sizes, 1), array_position(sizes, 2) from products
select sizes || 4, 1 || sizes from products
select tags @> array['a'] from customers
select 'a' = any(tags) from customers
select id from products where 3 = any(sizes)
select jsonb_array_length(attrs), jsonb_typeof(attrs) from products
select jsonb_each_text(attrs) from products
select key, value from products, jsonb_each(attrs)
select jsonb_set(attrs, '{a}', '1') from products
select payload ->> 'x', payload -> 'y' from events
select to_jsonb(name), row_to_json(c) from customers c
select uid, uid::text from events
select gen_random_uuid()
select duration * 2, duration + interval '1 min', justify_hours(duration) from events
select day + interval '1 hour' from events
select at::time, at::date from events
select to_timestamp(1700000000), to_date('2024-01-01', 'YYYY-MM-DD')
select make_date(2024, 1, 1), make_interval(days => 3)
select format('%s-%s', id, name) from customers
select lpad(name, 10, '*'), rpad(name, 10) from customers
select char_length(name), octet_length(name), bit_length(name) from customers
select starts_with(name, 'a') from customers
select encode(decode(md5(name), 'hex'), 'base64') from customers
select string_to_array(name, ','), array_to_string(tags, ',') from customers
select regexp_split_to_array(name, ' ') from customers
select quote_ident(name), quote_literal(name) from customers
select pg_typeof(id) from customers
select num_nulls(id, name), num_nonnulls(id) from customers
select region, count(*) from customers group by rollup (region)
select region, active, count(*) from customers group by grouping sets ((region), (active))
select region, grouping(region) from customers group by cube (region)
select id from customers order by score desc nulls last limit 5 offset 1
select id from customers order by 1
select id as i from customers order by i
select name, upper(name) as u from customers group by name order by u
select customer_id, count(*) from orders group by customer_id having sum(amount) > 100 order by 2 desc
select o.status, c.region, count(*) from orders o join customers c on c.id = o.customer_id group by o.status, c.region
select * from orders o join customers c using (id)
select id, c.name, o.amount from customers c join orders o using (id)
select * from customers natural join products
select c.id, p.name from customers c full outer join products p on p.id = c.id
select a.id, b.id from customers a cross join customers b
select * from customers c left join lateral (select * from orders o where o.customer_id = c.id limit 1) o on true
select sum(amount)::numeric(12, 2) / nullif(count(*), 0) from orders
select round(avg(score), 2) from customers
select customer_id, array_agg(distinct status) from orders group by customer_id
select customer_id, max(ordered_at) - min(ordered_at) from orders group by customer_id
select count(*) over () from orders
select sum(sum(amount)) over () from orders group by customer_id
select id, dense_rank() over (order by score), percent_rank() over (order by score), cume_dist() over (order by score) from customers
select id, nth_value(name, 2) over (order by id rows between unbounded preceding and unbounded following) from customers
select id, avg(amount) over (order by id rows between 2 preceding and current row) from orders
select values_col from (values (1), (2)) as v(values_col)
select * from (values (1, 'a'), (2, 'b')) v
select column1 from (values (1.5), (2)) v
select 1 as x union select 2 order by x
select id, name from customers union all select id, name from products
select id::bigint from customers union select id from orders
select null
select null::int
select 'text literal'
select 42, 3000000000, 1.25, 1e3
select -5, +5
select coalesce(null, 1)
select case when true then null else 1 end
select current_user, session_user
select version()
select exists (select 1)
select array(select id from customers)
select row(1, 2)
select (1, 2) = (1, 2)
select id from customers where (id, name) in (select id, name from products)
select id from customers c where c.id = any(select customer_id from orders)
select id from customers where id > all(select id from products)
select id from customers where name similar to 'a%'
select coalesce(sum(amount), 0) from orders
select extract(dow from ordered_at) from orders
select date_part('epoch', created_at)::bigint from customers
select id % 2 = 0 as even from customers
select ~5, 5 & 3, 5 | 3, 5 # 3, 1 << 2
select abs(-5), sign(-2.5), pi(), random()
select greatest('a', 'b'), least(1, 2.5)
select coalesce(tags, array[]::text[]) from customers
select nullif(1, 1.0)
select lower(name) as name from customers order by name
select name as "Name" from customers
select "name" from customers
select customers.id from customers
select c.id from public.customers c
