-- Upstream relations of the differential test (issue 3). Created as empty tables in an
-- in-memory DuckDB; the provider reads their columns back with DESCRIBE, and lineage
-- edges point to "model.t.<table>". One statement per entry, separated by ";" lines.
-- customers/orders share customer_id and created_at, orders/payments share order_id and
-- amount, orders/employees/inventory_snapshots share status: ambiguity on purpose.
create table customers (
    customer_id integer,
    first_name varchar,
    last_name varchar,
    email varchar,
    signup_date date,
    is_active boolean,
    country_code varchar,
    lifetime_value decimal(12, 2),
    created_at timestamp,
    updated_at timestamptz,
    external_id uuid
);
create table orders (
    order_id bigint,
    customer_id integer,
    order_date date,
    status varchar,
    amount decimal(10, 2),
    discount decimal(4, 3),
    quantity smallint,
    shipped_at timestamp,
    tags varchar[],
    created_at timestamp
);
create table payments (
    payment_id integer,
    order_id bigint,
    payment_method varchar,
    amount decimal(18, 4),
    paid_at timestamptz,
    is_refund boolean,
    fee double
);
create table events (
    event_id uuid,
    user_id integer,
    event_type varchar,
    event_ts timestamp,
    properties json,
    context struct(page varchar, referrer varchar, device struct(os varchar, version integer)),
    items struct(sku varchar, qty integer, price decimal(9, 2))[],
    attributes map(varchar, varchar),
    session_length interval,
    sequence_number hugeint,
    score float
);
create table products (
    product_id integer,
    sku varchar,
    name varchar,
    category varchar,
    price decimal(9, 2),
    weight_kg real,
    launched_on date,
    dimensions integer[3],
    is_active boolean
);
create table order_items (
    order_item_id bigint,
    order_id bigint,
    product_id integer,
    quantity integer,
    unit_price decimal(9, 2),
    line_total decimal(18, 2)
);
create table "Mixed_Case" (
    "CustomerID" integer,
    "FirstName" varchar,
    "Order Count" bigint,
    "lastUpdated" timestamp,
    amount double
);
create table sessions (
    session_id varchar,
    user_id integer,
    customer_id integer,
    started_at timestamp,
    ended_at timestamp,
    duration interval,
    pages_viewed utinyint,
    device varchar
);
create table inventory_snapshots (
    product_id integer,
    snapshot_date date,
    on_hand integer,
    status varchar,
    snapshot_time time,
    flags bit,
    raw_payload blob,
    row_hash ubigint
);
create table fx_rates (
    currency varchar,
    rate_date date,
    rate double,
    valid_from timestamp,
    valid_to timestamp
);
create table employees (
    employee_id integer,
    manager_id integer,
    name varchar,
    department varchar,
    salary decimal(12, 2),
    hired_at date,
    status varchar
);
create table web_hits (
    hit_id bigint,
    ts timestamp_ms,
    ts_ns timestamp_ns,
    url varchar,
    status_code usmallint,
    retries tinyint,
    bytes_sent uinteger
);
