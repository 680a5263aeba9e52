create table customers (id integer, name text, email varchar(100), created_at timestamp, signup_date date, score numeric(10,2), active boolean, tags text[], meta jsonb, region char(2));
create table orders (id bigint, customer_id integer, amount numeric(12,2), quantity smallint, status text, ordered_at timestamptz, note varchar, discount double precision, weight real);
create table products (id integer, name text, price numeric, category text, stock integer, attrs jsonb, launched date, sizes integer[]);
create table events (id bigint, kind text, payload json, at timestamp, duration interval, user_id integer, uid uuid, day time);
