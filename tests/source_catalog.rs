//! Sources without declared types get their columns from the target database's catalog
//! (read-only, never created), cached under target/ for compiles without the database.

mod common;
mod pg_common;

use std::path::Path;

use dbtc::exec::Adapter;

/// A DuckDB project with one untyped source `raw.orders` (one column declared with a
/// type, one without) and a model selecting `model_sql` from it.
fn project(dir: &Path, model_sql: &str) {
    std::fs::create_dir_all(dir.join("models")).unwrap();
    std::fs::write(
        dir.join("dbt_project.yml"),
        "name: cat\nversion: '1.0'\nprofile: cat\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("profiles.yml"),
        "cat:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("models/sources.yml"),
        "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n        columns:\n          - name: amount\n            data_type: double precision\n          - name: customer\n            description: who\n",
    )
    .unwrap();
    model(dir, model_sql);
}

/// Rewrites the model to select `model_sql` from the source.
fn model(dir: &Path, model_sql: &str) {
    std::fs::write(
        dir.join("models/order_totals.sql"),
        format!("select {model_sql} from {{{{ source('raw', 'orders') }}}}\n"),
    )
    .unwrap();
}

/// Creates `raw.orders` in the project's DuckDB file.
fn create_source_table(dir: &Path) {
    let mut adapter = common::open_duckdb(dir);
    adapter
        .execute(
            "create schema raw; create table raw.orders (order_id integer, customer varchar, \
             amount decimal(10, 2), ordered_at timestamp)",
        )
        .expect("create raw.orders");
}

/// The columns (name, type) lineage.json gives a node.
fn lineage_columns(dir: &Path, uid: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("target/lineage.json")).expect("lineage.json");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let node = &doc["nodes"][uid];
    node["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("no columns for {uid}: {node}"))
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["data_type"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_misspelled_column_of_a_source_in_the_database_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    project(&dir, "order_id, custmer");
    create_source_table(&dir);
    let bytes = std::fs::read(dir.join("dev.duckdb")).unwrap();
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("E4002"), "{out}");
    assert!(out.contains("custmer"), "{out}");
    assert!(
        out.contains("did you mean") && out.contains("customer"),
        "{out}"
    );
    // The database file is read, never written; what was read is cached.
    assert_eq!(std::fs::read(dir.join("dev.duckdb")).unwrap(), bytes);
    let cache = std::fs::read_to_string(dir.join("target/.dbtc/source_columns.dev.tsv")).unwrap();
    assert!(cache.contains("raw\torders\tcustomer\tVARCHAR"), "{cache}");
}

#[test]
fn the_cache_stands_in_for_the_database_and_declared_types_win() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    project(&dir, "*");
    create_source_table(&dir);
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let live = lineage_columns(&dir, "model.cat.order_totals");
    let names: Vec<&str> = live.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["order_id", "customer", "amount", "ordered_at"],
        "{live:?}"
    );
    let ty = |cols: &[(String, String)], name: &str| {
        cols.iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.to_lowercase())
            .unwrap_or_default()
    };
    assert!(ty(&live, "order_id").contains("int"), "{live:?}");
    assert!(ty(&live, "ordered_at").contains("timestamp"), "{live:?}");
    // `amount` is declared `double`: the declaration wins over the database's decimal.
    assert!(ty(&live, "amount").contains("double"), "{live:?}");

    // Without the database file, the next compile reads the cache and does not create
    // the file.
    std::fs::remove_file(dir.join("dev.duckdb")).unwrap();
    std::fs::remove_file(dir.join("target/lineage.json")).unwrap();
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!dir.join("dev.duckdb").exists());
    assert_eq!(lineage_columns(&dir, "model.cat.order_totals"), live);

    // The cache also makes a typo an error offline.
    model(&dir, "order_idd");
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("E4002") && out.contains("order_id"), "{out}");
}

#[test]
fn without_database_or_cache_a_source_stays_opaque() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    project(&dir, "order_id, custmer");
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("E4002"), "{out}");
    assert!(
        !dir.join("dev.duckdb").exists(),
        "compile created the database"
    );
    assert!(!dir.join("target/.dbtc/source_columns.dev.tsv").exists());

    // Once the table exists, the next compile (same files) reads it: the compile stamp
    // hashes the database file.
    create_source_table(&dir);
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("E4002"), "{out}");
}

#[test]
fn a_source_the_database_lacks_stays_opaque() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    project(&dir, "order_id, custmer");
    let mut adapter = common::open_duckdb(&dir);
    adapter
        .execute("create table main.other (x integer)")
        .expect("create other");
    drop(adapter);
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("E4002"), "{out}");
}

/// On Postgres the catalog is read with the target's profile; types are Postgres'.
#[test]
fn postgres_sources_are_typed_from_the_database() {
    let Some(env) = pg_common::server() else {
        return;
    };
    let pg = pg_common::TestDb::create(env);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    project(&dir, "order_id, custmer");
    std::fs::write(
        dir.join("profiles.yml"),
        "cat:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n\
         \x20     host: \"{{ env_var('DBTC_TEST_PG_HOST') }}\"\n\
         \x20     port: \"{{ env_var('DBTC_TEST_PG_PORT') | as_number }}\"\n\
         \x20     user: \"{{ env_var('DBTC_TEST_PG_USER') }}\"\n\
         \x20     password: \"{{ env_var('DBTC_TEST_PG_PASSWORD') }}\"\n\
         \x20     dbname: \"{{ env_var('DBTC_TEST_PG_DBNAME') }}\"\n\
         \x20     schema: main\n",
    )
    .unwrap();
    let compile = || pg_common::text(&pg_common::dbtc(&pg, "compile", &dir, &[]).output().unwrap());
    // No table yet: opaque.
    let out = compile();
    assert!(!out.contains("E4002"), "{out}");
    pg.adapter()
        .execute(
            "create schema raw; create table raw.orders (order_id integer, \
             customer character varying(40), amount numeric(10, 2))",
        )
        .unwrap();
    let out = compile();
    assert!(
        out.contains("E4002") && out.contains("did you mean"),
        "{out}"
    );
    model(&dir, "*");
    let out = compile();
    assert!(!out.contains("E4002"), "{out}");
    let cols = lineage_columns(&dir, "model.cat.order_totals");
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["order_id", "customer", "amount"], "{cols:?}");
    let customer = &cols[1].1.to_lowercase();
    assert!(
        customer.contains("char") || customer.contains("text"),
        "{cols:?}"
    );
    // `amount` is declared `double` (Postgres' `double precision`): it wins over numeric.
    assert!(cols[2].1.to_lowercase().contains("double"), "{cols:?}");
}

/// A declared column with a type that the database lacks is kept (the declaration may
/// be ahead of the table); others not in either are errors.
#[test]
fn declared_columns_the_database_lacks_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    project(&dir, "order_id, note");
    std::fs::write(
        dir.join("models/sources.yml"),
        "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n        columns:\n          - name: note\n            data_type: varchar\n          - name: customer\n",
    )
    .unwrap();
    create_source_table(&dir);
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let cols = lineage_columns(&dir, "model.cat.order_totals");
    assert_eq!(cols[1].0, "note", "{cols:?}");
    model(&dir, "order_id, notes");
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("E4002") && out.contains("notes"), "{out}");
}
