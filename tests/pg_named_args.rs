//! Postgres' named notation (`f(1, b => 2)`) in static analysis, with a real PostgreSQL as
//! the oracle: every query is PREPAREd by the server (never run) and bound by dbtc with the
//! Postgres dialect; both must agree on whether it binds and, when it does, on the type of
//! its column (the server's `format_type`). The parameter names come from pg_catalog's
//! `proargnames` (src/sql/pg/pg_catalog.tsv). Skips without `DBTC_TEST_PG_HOST`.

use dbtc::sql::schema::{RelationLookup, RelationProvider};
use dbtc::sql::{Dialect, analyze_query};

struct NoRelations;

impl RelationProvider for NoRelations {
    fn lookup(&self, _: &[String]) -> RelationLookup {
        RelationLookup::Opaque
    }
}

/// Calls in named notation: right and wrong names, duplicates, a name a positional
/// argument already fills, left-out parameters with and without defaults, types, quoting.
const QUERIES: &[&str] = &[
    "select make_interval(days => 3) as v",
    "select make_interval(1, days => 3) as v",
    "select make_interval(secs => 1.5, weeks => 2) as v",
    "select make_interval(days := 3) as v",
    "select make_interval(\"days\" => 3) as v",
    "select make_interval(DAYS => 3) as v",
    "select make_interval(dayz => 3) as v",
    "select make_interval(\"Days\" => 3) as v",
    "select make_interval(1, years => 2) as v",
    "select make_interval(days => 'x'::text) as v",
    "select make_interval(days => '3') as v",
    "select make_timestamp(year => 2024, month => 1, mday => 1, hour => 0, min => 0, sec => 0) as v",
    "select make_timestamp(2024, 1, mday => 1, hour => 0, min => 0, sec => 0.5) as v",
    "select make_timestamp(year => 2024, month => 1, mday => 1) as v",
    "select jsonb_set('{}'::jsonb, path => '{a}', replacement => '1') as v",
    "select jsonb_set(jsonb_in => '{}'::jsonb, replacement => '1') as v",
    "select jsonb_set(jsonb_in => '{}', path => '{a}', replacement => '1', create_if_missing => false) as v",
    "select jsonb_set(jsonb_in => '{}', path => '{a}', replacement => '1', create_if_missing => 1) as v",
    "select upper(x => 'a') as v",
    "select generate_series(start => 1, stop => 3) as v",
    "select to_char(1, format => 'x') as v",
    "select date_bin(stride => interval '1 day', source => now(), origin => now()) as v",
    "select date_bin(source => now(), stride => interval '1 day') as v",
    "select make_interval(days => 1, 2) as v",
    "select make_interval(weeks => 1, 2, days => 3) as v",
];

#[test]
fn named_arguments_agree_with_postgres() {
    let Some(client) = dbtc::sql::pg::generate::test_client() else {
        eprintln!("skipped: DBTC_TEST_PG_HOST is not set");
        return;
    };
    let mut client = client.expect("connect to the DBTC_TEST_PG_* server");
    let mut disagreements = Vec::new();
    let (mut binds, mut refused) = (0, 0);
    for sql in QUERIES {
        let server = match client.prepare(sql) {
            Ok(statement) => {
                let oid = statement.columns()[0].type_().oid();
                let row = client
                    .query_one("select format_type($1::oid, null)", &[&oid])
                    .unwrap();
                Ok(row.get::<_, String>(0))
            }
            Err(e) => Err(e
                .as_db_error()
                .map_or(e.to_string(), |d| d.message().to_string())),
        };
        let analysis = analyze_query(sql, Dialect::Postgres, &NoRelations);
        let ours = match analysis.diagnostics.first() {
            Some(d) => Err(format!("{}: {}", d.code, d.message)),
            None => Ok(analysis
                .schema
                .as_ref()
                .map(|s| s.columns[0].ty.to_string())
                .unwrap_or_default()),
        };
        match (&server, &ours) {
            (Ok(a), Ok(b)) if a == b => binds += 1,
            (Err(_), Err(_)) => refused += 1,
            _ => disagreements.push(format!("{sql}\n  server: {server:?}\n  dbtc:   {ours:?}")),
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} disagree:\n{}",
        disagreements.len(),
        QUERIES.len(),
        disagreements.join("\n")
    );
    // The corpus has both kinds.
    assert!(
        binds >= 8 && refused >= 8,
        "binds {binds}, refused {refused}"
    );
}
