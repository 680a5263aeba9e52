//! Static analysis on a Postgres target: models are bound with Postgres' catalog and type
//! rules (no server needed), so Postgres-only functions are accepted, misspelled ones and
//! type errors are flagged at the template's file:line:col, and output types are spelled
//! the way Postgres spells them.

use dbtc::compile::compile_project;
use dbtc::db::{MemSystem, NodeKey, RootDb};
use dbtc::project::{LoadOptions, load_project};
use dbtc::sql::analysis::model_schema;

const PROFILE: &str = "demo:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: localhost\n      user: u\n      password: p\n      port: 5432\n      dbname: d\n      schema: public\n";

fn project(models: &[(&str, &str)]) -> (RootDb, dbtc::db::Project) {
    let fs = MemSystem::default();
    fs.write("/proj/dbt_project.yml", "name: demo\nprofile: demo\n");
    fs.write("/proj/profiles.yml", PROFILE);
    fs.write(
        "/proj/seeds/raw.csv",
        "id,amount,note,ordered_at\n1,2.5,a,2024-01-01\n2,3,b,2024-01-02\n",
    );
    for (name, sql) in models {
        fs.write(format!("/proj/models/{name}.sql"), *sql);
    }
    let db = RootDb::default();
    let project = load_project(&db, &fs, &LoadOptions::in_dir("/proj"));
    (db, project)
}

fn findings(models: &[(&str, &str)]) -> Vec<dbtc::diagnostics::Diagnostic> {
    let (db, p) = project(models);
    compile_project(&db, p, None)
        .diagnostics
        .into_iter()
        .filter(|d| d.code.starts_with("E4"))
        .collect()
}

#[test]
fn postgres_only_functions_are_accepted() {
    let found = findings(&[
        (
            "m",
            "select id,\n  to_char(ordered_at::date, 'YYYY-MM') as month,\n  date_part('year', ordered_at::timestamp) as y\nfrom {{ ref('raw') }}",
        ),
        (
            "agg",
            "select note, string_agg(note, ',' order by id) as notes, jsonb_agg(id) as ids,\n  sum(id) as total, count(*) filter (where id > 1) as n\nfrom {{ ref('raw') }} group by note",
        ),
        (
            "syntax",
            "select distinct on (note) note, id::text || '-' as k, note ilike 'a%' as a,\n  array[id, 2] as arr, '{\"a\":1}'::jsonb ->> 'a' as j\nfrom {{ ref('raw') }} r, lateral (select r.id + 1 as next) l\norder by note, id",
        ),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn declared_source_types_use_postgres_names() {
    let fs = MemSystem::default();
    fs.write("/proj/dbt_project.yml", "name: demo\nprofile: demo\n");
    fs.write("/proj/profiles.yml", PROFILE);
    fs.write(
        "/proj/models/sources.yml",
        "version: 2\nsources:\n  - name: app\n    tables:\n      - name: events\n        columns:\n          - name: name\n            data_type: character varying(20)\n          - name: payload\n            data_type: jsonb\n",
    );
    fs.write(
        "/proj/models/m.sql",
        "select name || 'x' as n, payload ->> 'a' as a, payload -> 'b' as b\nfrom {{ source('app', 'events') }}",
    );
    fs.write(
        "/proj/models/bad.sql",
        "select name from {{ source('app', 'events') }} where payload = 1",
    );
    let db = RootDb::default();
    let p = load_project(&db, &fs, &LoadOptions::in_dir("/proj"));
    let out = compile_project(&db, p, None);
    let codes: Vec<(&str, Option<String>)> = out
        .diagnostics
        .iter()
        .filter(|d| d.code.starts_with("E4"))
        .map(|d| (d.code, d.node.clone()))
        .collect();
    assert_eq!(codes, [("E4007", Some("model.demo.bad".to_string()))]);
    let schema = model_schema(&db, p, NodeKey::new(&db, "model.demo.m".to_string()))
        .clone()
        .expect("a schema");
    let types: Vec<String> = schema.columns.iter().map(|c| c.ty.to_string()).collect();
    assert_eq!(types, ["text", "text", "jsonb"]);
}

#[test]
fn functions_in_other_schemas_are_not_checked() {
    // A user-defined function (created by a hook or a migration) is not in the catalog.
    let found = findings(&[(
        "m",
        "select util.clean_name(note) as n, pg_catalog.upper(note) as u from {{ ref('raw') }}",
    )]);
    assert!(found.is_empty(), "{found:#?}");
    let typo = findings(&[(
        "m",
        "select pg_catalog.uper(note) as u from {{ ref('raw') }}",
    )]);
    assert_eq!(typo.len(), 1, "{typo:#?}");
    assert_eq!(typo[0].code, "E4005");
}

#[test]
fn syntax_sqlparser_lacks_is_not_flagged() {
    // sqlparser cannot parse ROWS FROM; DuckDB's parser (Postgres' grammar) decides.
    let found = findings(&[(
        "m",
        "select * from rows from (generate_series(1, 2), generate_series(1, 3)) as t(a, b)",
    )]);
    assert!(found.is_empty(), "{found:#?}");
    let broken = findings(&[("m", "select id from from {{ ref('raw') }}")]);
    assert_eq!(broken.len(), 1, "{broken:#?}");
    assert_eq!(broken[0].code, "E4001");
}

#[test]
fn misspelled_function_is_flagged_at_the_template() {
    let found = findings(&[(
        "m",
        "select id,\n  to_chr(ordered_at::date, 'YYYY') as month\nfrom {{ ref('raw') }}",
    )]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = &found[0];
    assert_eq!(d.code, "E4005");
    assert!(d.message.contains("to_chr"), "{}", d.message);
    assert_eq!(d.hint.as_deref(), Some("did you mean \"to_char\"?"));
    assert!(d.file.as_ref().is_some_and(|f| f.ends_with("models/m.sql")));
    let span = d.span.as_ref().expect("a span");
    assert_eq!((span.line, span.column), (2, 3));
}

#[test]
fn postgres_type_errors_are_flagged() {
    let found = findings(&[
        ("cmp", "select id from {{ ref('raw') }} where id = note"),
        ("op", "select id + note as x from {{ ref('raw') }}"),
        ("arity", "select to_char(id) as x from {{ ref('raw') }}"),
        ("dd", "select date_trunc(id) as x from {{ ref('raw') }}"),
    ]);
    let codes: Vec<(&str, String)> = found
        .iter()
        .map(|d| (d.code, d.node.clone().unwrap_or_default()))
        .collect();
    assert!(
        codes.contains(&("E4007", "model.demo.cmp".into())),
        "{found:#?}"
    );
    assert!(
        codes.contains(&("E4006", "model.demo.op".into())),
        "{found:#?}"
    );
    assert!(
        codes.contains(&("E4006", "model.demo.arity".into())),
        "{found:#?}"
    );
    assert!(
        codes.contains(&("E4006", "model.demo.dd".into())),
        "{found:#?}"
    );
}

#[test]
fn output_types_use_postgres_names() {
    let (db, p) = project(&[(
        "m",
        "select id, sum(id) as s, avg(id) as a, count(*) as n, note || 'x' as t,\n  now() as ts, 1.5 as num, array_agg(note) as arr\nfrom {{ ref('raw') }} group by id, note",
    )]);
    let out = compile_project(&db, p, None);
    assert_eq!(out.error_count(), 0, "{:?}", out.diagnostics);
    let schema = model_schema(&db, p, NodeKey::new(&db, "model.demo.m".to_string()))
        .clone()
        .expect("a schema");
    let cols: Vec<(String, String)> = schema
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.ty.to_string()))
        .collect();
    let expect = [
        ("id", "integer"),
        ("s", "bigint"),
        ("a", "numeric"),
        ("n", "bigint"),
        ("t", "text"),
        ("ts", "timestamp with time zone"),
        ("num", "numeric"),
        ("arr", "text[]"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(cols, expect);
}

/// The DuckDB differential corpus bound with the Postgres dialect, against relations
/// that are partly known and partly opaque: never a panic (user input never panics).
#[test]
fn duckdb_corpus_under_the_postgres_dialect_never_panics() {
    use dbtc::sql::schema::{Column, RelationLookup, RelationProvider, RelationSchema};
    use dbtc::sql::types::SqlType;
    struct Half;
    impl RelationProvider for Half {
        fn lookup(&self, parts: &[String]) -> RelationLookup {
            if parts.last().is_some_and(|p| p.len() % 2 == 0) {
                return RelationLookup::Opaque;
            }
            let col = |n: &str, t: &str| Column {
                name: n.into(),
                ty: SqlType::Other(t.into()),
                lineage: Vec::new(),
            };
            RelationLookup::Known {
                node: None,
                schema: std::sync::Arc::new(RelationSchema {
                    columns: vec![
                        col("id", "integer"),
                        col("name", "text"),
                        col("amount", "numeric(10,2)"),
                        col("created_at", "timestamp with time zone"),
                        col("tags", "text[]"),
                    ],
                }),
            }
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sql_diff/queries");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("corpus") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        for chunk in text.split("-- name:").chain(text.lines()) {
            let sql = chunk.split_once('\n').map_or(chunk, |(_, body)| body);
            let _ = dbtc::sql::analyze_query(sql, dbtc::sql::Dialect::Postgres, &Half);
            n += 1;
        }
    }
    assert!(n > 1000, "{n} texts");
}
