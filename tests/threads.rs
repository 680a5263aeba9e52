//! `--threads 4` gives the same results as `--threads 1`: `dbtc build` on a copy of each
//! fixture per thread count, compared node by node (status, failures, message, relation)
//! and relation by relation (columns, types, rows; clock-valued columns blanked).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use dbtc::exec::Adapter;
use serde_json::{Value, json};

/// Columns computed from the clock (`current_timestamp`).
const VOLATILE: &[(&str, &str)] = &[
    ("main.cross_db_dates", "loaded_at"),
    ("main.cross_db_dates", "loaded_at_bare"),
    ("main.overrides", "backcompat_now"),
    ("main.overrides", "utc_now"),
];

/// The statuses of a build and every relation afterwards.
fn build(name: &str, threads: &str) -> (BTreeMap<String, Value>, BTreeMap<String, Value>, String) {
    let (_tmp, dir) = common::fixture_copy(name);
    let sources = common::fixture_dir(name).join("expected/run/_sources.sql");
    if sources.is_file() {
        let sql = std::fs::read_to_string(sources).unwrap();
        common::open_duckdb(&dir).execute(&sql).unwrap();
    }
    let (_, out) = common::dbtc_cli(
        "build",
        &dir,
        &["--threads", threads, "--static-analysis", "baseline"],
    );
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("target/run_results.json")).unwrap(),
    )
    .unwrap();
    let results = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let keep = json!({
                "status": r["status"], "failures": r["failures"],
                "relation_name": r["relation_name"], "compiled": r["compiled"],
                "message": r["message"],
            });
            (r["unique_id"].as_str().unwrap().to_string(), keep)
        })
        .collect();
    (results, relations(&dir), out)
}

fn relations(dir: &Path) -> BTreeMap<String, Value> {
    let mut adapter = common::open_duckdb(dir);
    let names: Vec<String> = adapter
        .query(
            "select table_schema || '.' || table_name from information_schema.tables \
             where table_catalog = current_database() order by 1",
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    names
        .into_iter()
        .map(|rel| {
            let (schema, table) = rel.split_once('.').unwrap();
            let mut dump = common::dump(&mut adapter, schema, table, true);
            let columns: Vec<String> = dump["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect();
            for row in dump["rows"].as_array_mut().unwrap() {
                for (i, v) in row.as_array_mut().unwrap().iter_mut().enumerate() {
                    if VOLATILE.contains(&(rel.as_str(), columns[i].as_str())) {
                        *v = json!("<clock>");
                    }
                }
            }
            (rel, dump)
        })
        .collect()
}

fn same_with_four_threads(name: &str) {
    let (results1, relations1, _) = build(name, "1");
    let (results4, relations4, out) = build(name, "4");
    assert!(out.contains("Concurrency: 4 threads"), "{out}");
    assert_eq!(results1, results4, "{name}: statuses");
    assert_eq!(
        relations1.keys().collect::<Vec<_>>(),
        relations4.keys().collect::<Vec<_>>(),
        "{name}: relations"
    );
    for (rel, dump) in &relations1 {
        assert_eq!(dump, &relations4[rel], "{name}: {rel}");
    }
    // Every started node finishes once, under the number it started with.
    let total = results4.len();
    for i in 1..=total {
        let prefix = format!("{i} of {total} ");
        let lines = out.lines().filter(|l| l.starts_with(&prefix)).count();
        assert!((1..=2).contains(&lines), "{prefix}: {lines} lines\n{out}");
    }
}

#[test]
fn shop_same_with_four_threads() {
    same_with_four_threads("shop");
}

#[test]
fn configs_same_with_four_threads() {
    same_with_four_threads("configs");
}

#[test]
fn builtin_macros_same_with_four_threads() {
    same_with_four_threads("builtin_macros");
}

#[test]
fn macros_pkg_same_with_four_threads() {
    same_with_four_threads("macros_pkg");
}
