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
select '1' + 1
select 'a' || 1
select length('abc')
select abs('1')
select upper('x'), lower(null)
select round('1.5')
select 1 = '1'
select id from customers where name = 'x' and score > '1'
select id as k from customers where k > 1
select id as k from customers group by k having k > 1
select id as k from customers order by k + 1
select score * 2 as s from customers order by s
select name, count(*) from customers group by name having name like 'a%'
select name, id from customers group by name
select c.name, count(*) from customers c group by c.id
select count(*) from customers where count(*) > 1
select sum(count(*)) from customers
select id from customers where row_number() over () > 1
select id from customers group by id having id > 1
select region, sum(score) filter (where active) from customers group by region
select coalesce(id, 'a') from customers
select coalesce(name, 1) from customers
select case when active then 1 else 'a' end from customers
select case when active then 1 else name end from customers
select array[1, 'a']
select array[1, 2.5]
select array['a', 'b']
select array[name, email] from customers
select id from customers union select name from customers
select id, name from customers union select id from customers
select 1 union select 'a'
select 1.5 union select 1
select null union select 1
select id from customers where id in ('1', '2')
select id from customers where id in (1, 'a')
select id from customers where name in (1, 2)
select id from customers where created_at > '2024-01-01'
select id from customers where created_at > 1
select id from customers where signup_date = now()
select id from customers where signup_date < created_at
select id from orders where ordered_at > current_date
select id from customers where active = 1
select id from customers where active = 'true'
select id from customers where id
select id from customers where name
select sum(name) from customers
select avg(created_at) from customers
select max(tags) from customers
select min(meta) from customers
select max(active) from customers
select string_agg(id, ',') from customers
select string_agg(id::text, ',') from customers
select to_char(now())
select to_char(name, 'x') from customers
select date_trunc('day', signup_date) from customers
select extract(hour from signup_date) from customers
select extract(year from duration) from events
select substring(id from 1 for 2) from customers
select position(1 in name) from customers
select length(id) from customers
select upper(id::text) from customers
select id::date from customers
select created_at::integer from customers
select name::integer from customers
select active::integer from customers
select meta::text::jsonb from customers
select tags::text from customers
select sizes::text[] from products
select uid::text, 'x'::uuid from events
select now() - created_at from customers
select created_at - signup_date from customers
select signup_date - 1.5 from customers
select duration / 2, duration * 1.5 from events
select amount::money from orders
select 5 / 0.0, 5.0 / 2
select power(2, 3), power(2.0, 3)
select mod(7, 2.5)
select round(discount, 2) from orders
select round(weight) from orders
select trunc(amount, 1), trunc(discount) from orders
select log(amount), ln(discount), exp(weight) from orders
select generate_series(1, 3)
select generate_series(1, 3) + 1
select jsonb_array_elements(attrs) from products
select jsonb_array_elements_text(attrs) ->> 'x' from products
select attrs -> 0, attrs -> 'a' -> 'b', attrs #> '{a}' from products
select attrs ->> 1 from products
select attrs ? 'a', attrs ?| array['a'], attrs ?& array['a'] from products
select attrs - 'a', attrs || '{}' from products
select payload::jsonb ? 'a' from events
select payload ? 'a' from events
select meta['a'] from customers
select tags[1:2] from customers
select name[1] from customers
select sizes[1] + 1 from products
select sizes[1] || 'a' from products
select lower(tags) from customers
select array_length(sizes) from products
select unnest(sizes) * 2 from products
select u from products, unnest(sizes) u
select u.x from products, unnest(sizes) as u(x)
select t.i from products, generate_series(1, stock) as t(i)
select * from customers c join lateral unnest(c.tags) as t(tag) on true
select tag from customers c, unnest(c.tags) tag where tag like 'a%'
select e.kind, count(*) over (partition by e.kind) from events e
select kind, sum(count(*)) over (order by kind) from events group by kind
select kind, rank() over (order by count(*) desc) from events group by kind
select kind, row_number() over (partition by user_id) from events group by kind
select avg(duration), sum(duration), max(at) from events
select user_id, max(at) - min(at) as span from events group by user_id
select day, count(*) from events group by day order by 1
select date_trunc('hour', at) as h, count(*) from events group by 1
select date_trunc('hour', at) as h, count(*) from events group by h
select date_trunc('hour', at), count(*) from events group by date_trunc('hour', at)
select date_trunc('hour', at), count(*) from events group by date_trunc('day', at)
select extract(year from at) as y, count(*) from events group by y order by y
select kind, count(*) from events group by kind order by count(*) desc limit 3
select kind from events group by kind having count(*) > 1 and kind <> 'x'
select distinct kind from events order by kind
select distinct kind from events order by user_id
select distinct on (kind) kind, at from events order by kind, at desc
select distinct on (kind) kind, at from events order by at
with x as (select 1 as a, 2 as a) select a from x
with x as (select 1 as a, 2 as b) select x.a, x.b from x
with x(p, q) as (select 1, 2) select p, q from x
with x(p, q) as (select 1) select p from x
with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select n from r
select * from (select 1 as a, 2 as a) s
select s.a from (select 1 as a, 2 as a) s
select * from customers where exists (select * from orders where orders.customer_id = customers.id)
select * from customers where id = (select max(id) from orders)
select * from customers where id = (select id, 1 from orders limit 1)
select (select id, name from customers limit 1)
select * from customers c where c.id in (select o.customer_id from orders o where o.amount > c.score)
select c.name, o.status from customers c, orders o where c.id = o.customer_id and o.status = 'x'
select c.name from customers c join orders o on c.id = o.idd
select c.name from customers c join orders o on c.id = o.customer_id join products p on p.id = o.id
select name from customers c join products p on p.id = c.id
select c.name, p.name from customers c join products p on p.id = c.id
select customers.name from customers c
select x.id from customers c
select id, name from customers c left join orders o on o.customer_id = c.id
select cast(amount as text) || ' EUR' from orders
select format('%s', amount) from orders
select concat(amount, ' ', status) from orders
select status || amount from orders
select amount || ' x' from orders
select 'x' || null
select null || null
select null + 1
select null = null
select not name from customers
select -name from customers
select +amount, -amount, @ amount from orders
select |/ amount from orders
select amount ^ 2 from orders
select 2 ^ quantity from orders
select quantity & 1, quantity | 2, quantity << 1 from orders
select name & 1 from customers
select '{1,2}'::int[] || 3
select array[1] || array[2.5]
select array[1] || 'a'
select array_agg(name) || 'x' from customers
select cardinality(array_agg(id)) from customers
select json_agg(c) from customers c
select jsonb_agg(c.*) from customers c
select to_json(c.*) from customers c
select count(c.*) from customers c
select count(c) from customers c
select c from customers c
select greatest(amount, discount) from orders
select greatest(name, 1) from customers
select least(signup_date, created_at) from customers
select nullif(name, 1) from customers
select nullif(id, 'a') from customers
select coalesce(created_at, signup_date) from customers
select coalesce(signup_date, created_at) from customers
select coalesce(amount, quantity, id) from orders
select case when id > 1 then amount when id > 2 then quantity end from orders
select case status when 'a' then 1 when 2 then 2 end from orders
select case when 1 then 1 end
select id from customers order by name collate "C"
select name from customers where name ilike any(array['a%', 'b%'])
select name from customers where name like all(array['a%'])
select name from customers where id = any('{1,2}')
select name from customers where id = any(array['1'])
select name from customers where id = any(array[1.5])
select name from customers where id <> all(select customer_id from orders)
select name from customers where (id, name) = (1, 'a')
select name from customers where (id, name) = (1, 2)
select name from customers where id between 'a' and 'b'
select name from customers where score between 1 and '2'
select name from customers where name not between 'a' and 'm'
select name from customers where name similar to '%a%' escape '#'
select name from customers where name is not distinct from null
select name from customers where email is unknown
select name from customers where active is not false
select name from customers where meta is json
select name from customers limit 'a'
select name from customers limit 1 offset 2
select name from customers fetch first 3 rows only
select name from customers for update
select created_at::timestamp(0) from customers
select interval '1' day
select date_trunc('month', created_at)::date from customers
select E'a\nb', $$dollar$$, U&'\0041'
select * from generate_series(1, 3) with ordinality as t(v, n)
select * from unnest(array[1, 2]) with ordinality
select * from rows from (generate_series(1, 2), generate_series(1, 3)) as t(a, b)
select * from customers tablesample system (10)
select ordered_at at time zone 'UTC' from orders
select created_at at time zone 'Europe/Paris' from customers
select 3 operator(pg_catalog.+) 4
select name collate "C" from customers
select id from customers where id = any(array[1, 2]::int[])
select array[]::integer[]
select '{}'::text[]
select (meta->>'a')::int from customers
select meta->'a'->>'b' from customers
select x.* from (select 1 as a) x
select count(*)::int from customers
select sum(amount)::float from orders
select coalesce(sum(amount), 0)::numeric(12, 2) from orders
select cast(null as text)
select id, name from customers where id = $1
select current_setting('timezone')
select split_part(email, '@', 1) as local_part, count(*) from customers group by 1
select id from customers where created_at >= date_trunc('day', now()) - interval '30 days'
select to_char(created_at, 'Day'), to_char(created_at, 'IW') from customers
select array_to_string(array_agg(distinct name order by name), ', ') from customers
select jsonb_object_agg(name, id) from customers
select json_object_agg(name, score) from customers
select regexp_matches(name, '(a)') from customers
select substring(name, '[0-9]+') from customers
select overlay(name placing 'x' from 1 for 1) from customers
select 1 where false
select id from customers limit all
select id from customers c where not exists (select from orders o where o.customer_id = c.id)
select ntile(3) over w, lag(id) over w from customers window w as (partition by region order by id)
select sum(score) over (order by id range between unbounded preceding and current row) from customers
select id, count(*) over (partition by region) filter_count from customers
select count(*) filter (where active), count(*) filter (where not active) from customers
select percentile_disc(0.9) within group (order by score) from customers
select rank(3) within group (order by id) from customers
select distinct kind from events e order by e.kind
select distinct e.kind from events e order by kind
select distinct upper(kind) from events order by upper(kind)
select distinct kind as k from events order by k
select distinct kind, user_id from events order by 2, 1
select distinct kind from events order by kind desc
select null is true, active is not false from customers
select ceil(amount), floor(2.5), ceiling(discount) from orders
select overlay('abc' placing 'x' from 2)
select e.* from events e where e.kind is not null order by e.at
select pg_catalog.upper(name), pg_catalog.length(name) from customers
select pg_catalog.uper(name) from customers
