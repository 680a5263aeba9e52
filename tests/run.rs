//! `dbtc run` against DuckDB on a copy of the shop fixture (seeded with `dbtc seed`, its
//! source tables loaded from fixtures/shop/expected/run/_sources.sql), compared with what
//! `dbt seed && dbt run` (dbt-core 1.11 + dbt-duckdb 1.11.1) builds:
//! fixtures/shop/expected/run/<schema>.<alias>.json, written by scripts/run_goldens.sh.

mod common;

use std::path::{Path, PathBuf};

use dbtc::exec::Adapter;
use serde_json::{Value, json};

fn expected_dir() -> PathBuf {
    common::fixture_dir("shop").join("expected/run")
}

/// A seeded copy of the shop fixture with its source tables loaded.
fn prepared_shop() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    common::copy_dir(&common::fixture_dir("shop"), &dir);
    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let sources = std::fs::read_to_string(expected_dir().join("_sources.sql")).unwrap();
    common::open_duckdb(&dir).execute(&sources).unwrap();
    (tmp, dir)
}

fn count(dir: &Path, table: &str) -> Value {
    common::open_duckdb(dir)
        .query(&format!("select count(*) from main.{table}"))
        .unwrap()
        .rows[0][0]
        .clone()
}

fn position(out: &str, needle: &str) -> usize {
    out.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in:\n{out}"))
}

#[test]
fn shop_run_matches_dbt() {
    let (_tmp, dir) = prepared_shop();
    let (code, out) = common::dbtc_cli("run", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Done. PASS=7 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=7"),
        "{out}"
    );
    assert!(
        out.contains("OK created sql view model main.stg_teas"),
        "{out}"
    );
    assert!(
        out.contains("OK created sql incremental model main.fct_orders"),
        "{out}"
    );
    // Parents first.
    assert!(
        position(&out, "START sql view model main.stg_orders")
            < position(&out, "START sql incremental model main.fct_orders")
    );
    assert!(
        position(&out, "OK created sql incremental model main.fct_orders")
            < position(&out, "START sql table model main.dim_customers")
    );
    let mut expected: Vec<String> = std::fs::read_dir(expected_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".json"))
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 7);
    let mut adapter = common::open_duckdb(&dir);
    for file in &expected {
        let want: Value =
            serde_json::from_str(&std::fs::read_to_string(expected_dir().join(file)).unwrap())
                .unwrap();
        let (schema, table) = file.trim_end_matches(".json").split_once('.').unwrap();
        assert_eq!(
            common::dump(&mut adapter, schema, table, true),
            want,
            "{file}"
        );
    }
    // No leftovers, and the ephemeral models were not built.
    let names: Vec<String> = adapter
        .query("select table_name from information_schema.tables")
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    assert!(!names.iter().any(|n| n.contains("__dbt_tmp")), "{names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n == "int_order_totals" || n == "stg_order_lines")
    );
}

#[test]
fn rerun_replaces_views_and_tables_and_runs_incrementals() {
    let (_tmp, dir) = prepared_shop();
    let (code, out) = common::dbtc_cli("run", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = common::dbtc_cli("run", &dir, &["-s", "+dim_customers", "tea_popularity"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("OK created sql incremental model main.fct_orders"),
        "{out}"
    );
    assert!(
        out.contains("OK created sql table model main.tea_rankings"),
        "{out}"
    );
    assert!(
        out.contains("Done. PASS=7 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=7"),
        "{out}"
    );
    // Nothing newer than what the table holds: the incremental run adds no row.
    let compiled =
        std::fs::read_to_string(dir.join("target/compiled/shop/models/marts/fct_orders.sql"))
            .unwrap();
    assert!(
        compiled.contains("select max(ordered_at) from"),
        "{compiled}"
    );
    assert_eq!(count(&dir, "tea_rankings"), json!(4));
    assert_eq!(count(&dir, "dim_customers"), json!(3));
}

#[test]
fn failing_model_keeps_its_table_and_skips_children() {
    let (_tmp, dir) = prepared_shop();
    let (code, out) = common::dbtc_cli("run", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    // tea_popularity (a table) now fails at run time; stg_teas (a view) too, with a
    // child built from it through an ephemeral model.
    let model = dir.join("models/marts/tea_popularity.sql");
    let sql = std::fs::read_to_string(&model).unwrap();
    std::fs::write(
        &model,
        sql.replace("sum(lines.quantity)", "sum(lines.no_such_column)"),
    )
    .unwrap();
    // Static analysis would reject the model before running it; the point here is a
    // failure at run time.
    let (code, out) = common::dbtc_cli(
        "run",
        &dir,
        &["-s", "tea_popularity", "--static-analysis", "off"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("1 of 1 ERROR creating sql table model main.tea_rankings"),
        "{out}"
    );
    assert!(
        out.contains("Runtime Error in model tea_popularity (models/marts/tea_popularity.sql)"),
        "{out}"
    );
    assert!(out.contains("no_such_column"), "{out}");
    assert!(out.contains("ERROR=1"), "{out}");
    assert_eq!(count(&dir, "tea_rankings"), json!(4));

    let view = dir.join("models/staging/stg_teas.sql");
    let sql = std::fs::read_to_string(&view).unwrap();
    std::fs::write(&view, sql.replace("caffeine_mg > 0", "no_such_column > 0")).unwrap();
    let (code, out) = common::dbtc_cli(
        "run",
        &dir,
        &["-s", "stg_teas+", "--static-analysis", "off"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ERROR creating sql view model main.stg_teas"),
        "{out}"
    );
    // fct_orders reads stg_teas through the ephemeral int_order_totals.
    assert!(out.contains("SKIP relation main.fct_orders "), "{out}");
    assert!(out.contains("SKIP relation main.tea_rankings "), "{out}");
    assert!(out.contains("SKIP relation main.dim_customers "), "{out}");
    assert!(
        out.contains("Done. PASS=0 WARN=0 ERROR=1 SKIP=3 NO-OP=0 TOTAL=4"),
        "{out}"
    );
    // The old view still answers.
    assert_eq!(count(&dir, "stg_teas"), json!(5));
    let mut adapter = common::open_duckdb(&dir);
    let names = adapter
        .query("select table_name from information_schema.tables where table_name like '%dbt_tmp%'")
        .unwrap()
        .rows;
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn compile_errors_refuse_to_run() {
    let (_tmp, dir) = prepared_shop();
    let model = dir.join("models/marts/tea_popularity.sql");
    std::fs::write(&model, "select {{ ref('no_such_model') }}").unwrap();
    let (code, out) = common::dbtc_cli("run", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("nothing was run"), "{out}");
    assert!(!out.contains("START"), "{out}");
    let names = common::open_duckdb(&dir)
        .query("select table_name from information_schema.tables where table_schema = 'main' and table_type = 'VIEW'")
        .unwrap()
        .rows;
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn unusable_profile_exits_2() {
    let (_tmp, dir) = prepared_shop();
    let (code, out) = common::dbtc_cli("run", &dir, &["--target", "no_such_target"]);
    assert_eq!(code, 2, "{out}");
}
