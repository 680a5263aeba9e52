//! Writes the Postgres catalog data file from a live server's system catalogs.
//!
//! Backs `examples/pg_catalog.rs` (which regenerates the checked-in file) and the test in
//! `tests/pg_sql_diff.rs` that proves the checked-in file is what the server reports.

use postgres::Client;

/// The command that regenerates the checked-in file, printed at its top.
pub const COMMAND: &str = "cargo run --example pg_catalog > src/sql/pg/pg_catalog.tsv";

/// Types no SQL expression can have: functions taking or returning them are internal
/// (I/O, planner support, handlers) and left out of the file.
const INTERNAL_TYPES: &str = "'internal','cstring','trigger','event_trigger','language_handler',\
    'fdw_handler','index_am_handler','table_am_handler','tsm_handler','pg_ddl_command'";

const TYPES: &str = "
select t.typname::text, format_type(t.oid, null), t.typcategory::text,
       case when t.typispreferred then 't' else 'f' end,
       coalesce(case when t.typcategory = 'A' then e.typname::text end, '-'),
       coalesce(a.typname::text, '-'), t.typtype::text
from pg_type t
left join pg_type e on e.oid = t.typelem
left join pg_type a on a.oid = t.typarray
where t.typnamespace = 'pg_catalog'::regnamespace
  and t.typtype <> 'c'
  and (e.oid is null or e.typtype <> 'c' or t.typcategory <> 'A')
order by 1";

const CASTS: &str = "
select s.typname::text, t.typname::text, c.castcontext::text
from pg_cast c
join pg_type s on s.oid = c.castsource
join pg_type t on t.oid = c.casttarget
where s.typnamespace = 'pg_catalog'::regnamespace
  and t.typnamespace = 'pg_catalog'::regnamespace
order by 1, 2";

/// Arguments are the IN arguments (`proargtypes`); the OUT (or TABLE) arguments, when there
/// are some, are the columns of the row the function returns (`name:type,...`).
fn functions_query() -> String {
    functions_in("p.pronamespace = 'pg_catalog'::regnamespace")
}

/// The user-defined functions an unqualified call can reach: those of the schemas on the
/// connection's search path (`current_schemas(false)`; pg_catalog and
/// information_schema left out), with the fields of pg_catalog's `func` lines.
pub fn user_functions_query() -> String {
    functions_in(
        "p.pronamespace in (select n.oid from pg_namespace n \
         where n.nspname = any(current_schemas(false)) \
         and n.nspname not in ('pg_catalog', 'information_schema'))",
    )
}

fn functions_in(namespace: &str) -> String {
    format!(
        "
select case when p.prokind = 'a' and a.aggkind <> 'n' then 'o' else p.prokind::text end,
       p.proname::text, r.typname::text,
       case when p.proretset then 't' else 'f' end,
       coalesce(v.typname::text, '-'), p.pronargdefaults::text,
       coalesce((select string_agg(coalesce(p.proargnames[o.n], 'column' || o.n) || ':' ||
                                   t.typname, ',' order by o.n)
                 from unnest(p.proallargtypes, p.proargmodes) with ordinality o(oid, mode, n)
                 join pg_type t on t.oid = o.oid
                 where o.mode in ('o', 't')), 'f'),
       coalesce((select string_agg(coalesce(nullif(x.name, ''), '?'), ',' order by x.n)
                 from unnest(p.proargnames,
                             coalesce(p.proargmodes,
                                      array_fill('i'::\"char\", array[coalesce(cardinality(p.proargnames), 0)])))
                      with ordinality x(name, mode, n)
                 where x.mode in ('i', 'b', 'v')), '-'),
       coalesce((select string_agg(t.typname::text, E'\\t' order by i.n)
                 from unnest(p.proargtypes::oid[]) with ordinality i(oid, n)
                 join pg_type t on t.oid = i.oid), '')
from pg_proc p
join pg_type r on r.oid = p.prorettype
left join pg_type v on v.oid = nullif(p.provariadic, 0)
left join pg_aggregate a on a.aggfnoid = p.oid
where {namespace}
  and p.prokind <> 'p'
  and r.typname not in ({INTERNAL_TYPES})
  and not exists (select 1 from unnest(p.proargtypes::oid[]) x(oid)
                  join pg_type t on t.oid = x.oid where t.typname in ({INTERNAL_TYPES}))
order by 2, 9, 1, 3"
    )
}

const OPERATORS: &str = "
select o.oprname::text, coalesce(l.typname::text, '-'), r.typname::text, res.typname::text
from pg_operator o
left join pg_type l on l.oid = o.oprleft
join pg_type r on r.oid = o.oprright
join pg_type res on res.oid = o.oprresult
where o.oprnamespace = 'pg_catalog'::regnamespace
order by 1, 2, 3";

fn lines(
    client: &mut Client,
    sql: &str,
    kind: &str,
    out: &mut String,
) -> Result<(), postgres::Error> {
    for row in client.query(sql, &[])? {
        let mut fields = vec![kind.to_string()];
        for i in 0..row.len() {
            let v: String = row.get(i);
            if !v.is_empty() {
                fields.push(v);
            }
        }
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    Ok(())
}

/// The data file for the server behind `client`, in a deterministic order. Tab-separated
/// lines (type names are `pg_type.typname`):
///
/// - `version <major>`
/// - `type <typname> <format_type name> <category> <preferred t/f> <element or -> <array
///   type or -> <typtype>`
/// - `cast <source> <target> <context i/a/e>`
/// - `func <kind f/a/o/w> <name> <return> <set-returning t/f> <variadic element or ->
///   <defaulted argument count> <OUT columns name:type,... or f> <argument names
///   name,... (? unnamed) or -> <argument types...>` (kind `o`: ordered-set or
///   hypothetical-set aggregates; names and types of the IN arguments)
/// - `oper <name> <left or - for prefix> <right> <result>`
pub fn catalog_tsv(client: &mut Client) -> Result<String, postgres::Error> {
    let version: String = client.query_one("select version()", &[])?.get(0);
    let num: String = client.query_one("show server_version_num", &[])?.get(0);
    let major = num.parse::<u32>().map_or(0, |n| n / 10000);
    let mut out = String::new();
    out.push_str(
        "# The Postgres catalog dbtc types calls with (pg_catalog only). Generated, do not edit:\n",
    );
    out.push_str(&format!("#   {COMMAND}\n"));
    out.push_str(&format!("# from: {version}\n"));
    out.push_str("# Lines: version | type | cast | func | oper (see src/sql/pg/generate.rs)\n");
    out.push_str(&format!("version\t{major}\n"));
    lines(client, TYPES, "type", &mut out)?;
    lines(client, CASTS, "cast", &mut out)?;
    lines(client, &functions_query(), "func", &mut out)?;
    lines(client, OPERATORS, "oper", &mut out)?;
    Ok(out)
}

/// A client for the server the `DBTC_TEST_PG_*` variables name (host, port, user,
/// password, dbname); None when `DBTC_TEST_PG_HOST` is unset.
pub fn test_client() -> Option<Result<Client, postgres::Error>> {
    let var = |k: &str| std::env::var(format!("DBTC_TEST_PG_{k}")).ok();
    let host = var("HOST")?;
    let mut config = postgres::Config::new();
    config.host(&host);
    if let Some(p) = var("PORT").and_then(|p| p.parse().ok()) {
        config.port(p);
    }
    config.user(var("USER").as_deref().unwrap_or("postgres"));
    if let Some(pw) = var("PASSWORD") {
        config.password(pw);
    }
    config.dbname(var("DBNAME").as_deref().unwrap_or("postgres"));
    Some(config.connect(postgres::NoTls))
}
