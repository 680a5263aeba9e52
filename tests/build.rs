//! `dbtc build` and `dbtc test` on copies of every fixture, compared with what dbt-core 1.11
//! + dbt-duckdb 1.11.1 do on the same project (goldens written by scripts/build_goldens.sh):
//! - `fixtures/<name>/expected/build/results.json`: each node's status and failure count
//!   in run_results.json after `dbt build`, and the keys of that file;
//! - `fixtures/<name>/expected/build/<schema>.<table>.json`: every relation afterwards
//!   (models, seeds, stored test failures, the source tables);
//! - `fixtures/<name>/expected/test/results.json`: the tests after `dbt seed`, `dbt run`,
//!   `dbt test`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbtc::exec::Adapter;
use serde_json::{Value, json};

/// Nodes dbtc does not build yet, so reports as skipped where dbt builds them (or fails to).
/// Empty since introspective models (`dbt.date_spine`) render just in time.
const NOT_SUPPORTED: &[&str] = &[];

/// Columns computed from the clock (`current_timestamp`): their values are not compared.
const VOLATILE: &[(&str, &str)] = &[
    ("main.cross_db_dates", "loaded_at"),
    ("main.cross_db_dates", "loaded_at_bare"),
    ("main.overrides", "backcompat_now"),
    ("main.overrides", "utc_now"),
];

/// A relation dump with its volatile columns' values blanked.
fn stable(mut dump: Value) -> Value {
    let rel = dump["relation"].as_str().unwrap_or_default().to_string();
    let columns: Vec<String> = dump["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    for row in dump["rows"].as_array_mut().unwrap() {
        for (i, value) in row.as_array_mut().unwrap().iter_mut().enumerate() {
            if VOLATILE.contains(&(rel.as_str(), columns[i].as_str())) {
                *value = json!("<clock>");
            }
        }
    }
    dump
}

fn expected(name: &str, what: &str) -> PathBuf {
    common::fixture_dir(name).join("expected").join(what)
}

/// A copy of a fixture with its source tables loaded (when it has any).
fn prepared(name: &str) -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = common::fixture_copy(name);
    let sources = expected(name, "run/_sources.sql");
    if sources.is_file() {
        let sql = std::fs::read_to_string(sources).unwrap();
        common::open_duckdb(&dir).execute(&sql).unwrap();
    }
    (tmp, dir)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn sorted_keys(v: &Value) -> Value {
    let mut keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    keys.sort();
    json!(keys)
}

/// run_results.json reduced as scripts/build_goldens.sh reduces dbt's: keys, then status,
/// failures, compiled, relation_name (and a test verdict's message) per unique_id (only
/// ids starting with one of `prefixes`).
fn reduce(doc: &Value, prefixes: &[&str]) -> Value {
    let results = doc["results"].as_array().unwrap();
    let mut rows: BTreeMap<String, Value> = BTreeMap::new();
    for r in results {
        let uid = r["unique_id"].as_str().unwrap();
        if prefixes.iter().any(|p| uid.starts_with(p)) {
            let mut row = json!({
                "unique_id": uid, "status": r["status"], "failures": r["failures"],
                "compiled": r["compiled"], "relation_name": r["relation_name"],
            });
            if ["pass", "warn", "fail"].iter().any(|s| r["status"] == *s) {
                row["message"] = r["message"].clone();
            }
            rows.insert(uid.to_string(), row);
        }
    }
    json!({
        "keys": sorted_keys(doc),
        "metadata_keys": sorted_keys(&doc["metadata"]),
        "result_keys": results.first().map(sorted_keys).unwrap_or(json!([])),
        "results": rows.into_values().collect::<Vec<_>>(),
    })
}

/// Compares reduced results; nodes dbtc does not support must be skipped.
fn compare_results(name: &str, got: &Value, want: &Value) {
    for key in ["keys", "metadata_keys", "result_keys"] {
        assert_eq!(got[key], want[key], "{name}: run_results.json {key}");
    }
    let by_id = |v: &Value| -> BTreeMap<String, Value> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["unique_id"].as_str().unwrap().to_string(), r.clone()))
            .collect()
    };
    let (got, want) = (by_id(got), by_id(want));
    let ids: Vec<&String> = got.keys().chain(want.keys()).collect();
    let mut diffs = Vec::new();
    for id in ids {
        if NOT_SUPPORTED.contains(&id.as_str()) {
            if got.get(id).map(|r| &r["status"]) != Some(&json!("skipped")) {
                diffs.push(format!("{id}: not supported, should be skipped"));
            }
            continue;
        }
        if got.get(id) != want.get(id) {
            diffs.push(format!(
                "{id}: dbtc {} dbt {}",
                got.get(id).map_or("-".into(), Value::to_string),
                want.get(id).map_or("-".into(), Value::to_string)
            ));
        }
    }
    diffs.sort();
    diffs.dedup();
    assert!(diffs.is_empty(), "{name}:\n{}", diffs.join("\n"));
}

/// Every relation in the database equals dbt's (but those of unsupported nodes).
fn compare_relations(name: &str, dir: &Path) {
    let folder = expected(name, "build");
    let mut want: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".json") && f != "results.json")
        .map(|f| f.trim_end_matches(".json").to_string())
        .collect();
    want.sort();
    let mut adapter = common::open_duckdb(dir);
    let unsupported_tables: Vec<&str> = NOT_SUPPORTED
        .iter()
        .map(|id| id.rsplit('.').next().unwrap())
        .collect();
    let mut got: Vec<String> = adapter
        .query(
            "select table_schema || '.' || table_name from information_schema.tables \
             where table_catalog = current_database() order by 1",
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    let supported = |rel: &String| {
        !unsupported_tables
            .iter()
            .any(|t| rel.rsplit('.').next() == Some(t))
    };
    got.retain(supported);
    want.retain(supported);
    assert_eq!(got, want, "{name}: relations after build");
    for rel in &want {
        let (schema, table) = rel.split_once('.').unwrap();
        let expected = read_json(&folder.join(format!("{rel}.json")));
        assert_eq!(
            stable(common::dump(&mut adapter, schema, table, true)),
            stable(expected),
            "{name}: {rel}"
        );
    }
}

/// Some fixture models are rejected by DuckDB on purpose (`initcap` does not exist, an
/// unterminated string), to compare how failures propagate with dbt. Static analysis
/// would stop the whole run before anything executes (tested below), so the comparison
/// with dbt runs with findings as warnings.
const AS_DBT: &[&str] = &["--static-analysis", "baseline"];

fn build_matches_dbt(name: &str) {
    let (_tmp, dir) = prepared(name);
    let (code, out) = common::dbtc_cli("build", &dir, AS_DBT);
    let want = read_json(&expected(name, "build/results.json"));
    let failed = want["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["status"] == "error" || r["status"] == "fail");
    assert_eq!(code, i32::from(failed), "{name}:\n{out}");
    let doc = read_json(&dir.join("target/run_results.json"));
    let got = reduce(&doc, &["seed.", "model.", "test.", "snapshot."]);
    compare_results(name, &got, &want);
    compare_relations(name, &dir);
}

fn test_matches_dbt(name: &str) {
    let (_tmp, dir) = prepared(name);
    for verb in ["seed", "run"] {
        common::dbtc_cli(verb, &dir, AS_DBT);
    }
    let (code, out) = common::dbtc_cli("test", &dir, AS_DBT);
    let want = read_json(&expected(name, "test/results.json"));
    let failed = want["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["status"] == "error" || r["status"] == "fail");
    assert_eq!(code, i32::from(failed), "{name}:\n{out}");
    let doc = read_json(&dir.join("target/run_results.json"));
    compare_results(name, &reduce(&doc, &["test."]), &want);
}

#[test]
fn shop_build_matches_dbt() {
    build_matches_dbt("shop");
}

#[test]
fn builtin_macros_build_matches_dbt() {
    build_matches_dbt("builtin_macros");
}

#[test]
fn configs_build_matches_dbt() {
    build_matches_dbt("configs");
}

#[test]
fn macros_pkg_build_matches_dbt() {
    build_matches_dbt("macros_pkg");
}

/// Introspective models (run_query pivot, statement/load_result, adapter.get_relation,
/// get_columns_in_relation, execute) and an introspective test, rendered just in time.
#[test]
fn introspective_build_matches_dbt() {
    build_matches_dbt("introspective");
}

#[test]
fn introspective_test_matches_dbt() {
    test_matches_dbt("introspective");
}

/// Generic test arguments with Jinja inside a longer string (rendered before the call, as
/// dbt does), datetimes true in a condition, and a test whose SQL needs the database (its
/// render without one fails: rendered just in time, not an error ahead of time).
#[test]
fn test_args_build_matches_dbt() {
    build_matches_dbt("test_args");
}

#[test]
fn test_args_test_matches_dbt() {
    test_matches_dbt("test_args");
}

#[test]
fn shop_test_matches_dbt() {
    test_matches_dbt("shop");
}

#[test]
fn builtin_macros_test_matches_dbt() {
    test_matches_dbt("builtin_macros");
}

#[test]
fn configs_test_matches_dbt() {
    test_matches_dbt("configs");
}

#[test]
fn macros_pkg_test_matches_dbt() {
    test_matches_dbt("macros_pkg");
}

/// The console and the exit code of a build with a failing test, and what it skips.
#[test]
fn shop_build_console() {
    let (_tmp, dir) = prepared("shop");
    let (code, out) = common::dbtc_cli("build", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    for needle in [
        "START seed file main.tea_catalog",
        "OK created sql view model main.stg_orders",
        "FAIL 1 assert_orders_fully_paid ",
        "[FAIL 1 in ",
        "WARN 3 assert_few_premium_teas ",
        "WARN 1 accepted_values_tea_popularity_units_sold__False__1__3 ",
        "SKIP relation main.dim_customers ",
        "SKIP test unique_dim_customers_customer_id ",
        // As in dbt: the snapshot's `updated_at` column does not exist.
        "ERROR snapshotting snapshots.customers_snapshot ",
        "Completed with 2 errors, 0 partial successes, and 4 warnings:",
        "Failure in test assert_orders_fully_paid (tests/assert_orders_fully_paid.sql)\n  Got 1 result, configured to fail if != 0",
        "compiled code at target/compiled/shop/tests/assert_orders_fully_paid.sql",
        "select * from \"dev\".\"main_dbt_test__audit\".\"accepted_values_tea_popularity_units_sold__False__1__3\"",
        "Done. PASS=25 WARN=4 ERROR=2 SKIP=5 NO-OP=0 TOTAL=36",
    ] {
        assert!(out.contains(needle), "`{needle}` not in:\n{out}");
    }
    // Each test runs after the node it tests, before that node's children.
    let at = |s: &str| {
        out.find(s)
            .unwrap_or_else(|| panic!("`{s}` not in:\n{out}"))
    };
    assert!(
        at("OK created sql incremental model main.fct_orders")
            < at("START test assert_orders_fully_paid")
    );
    assert!(
        at("START test unique_stg_teas_tea_id") < at("START sql table model main.tea_rankings")
    );
    // The executed SQL is written as dbt writes it.
    let run = dir.join("target/run/shop");
    let test_sql = std::fs::read_to_string(run.join("tests/assert_orders_fully_paid.sql")).unwrap();
    assert!(
        test_sql.contains("count(*) != 0 as should_error"),
        "{test_sql}"
    );
    assert!(test_sql.contains(") dbt_internal_test"), "{test_sql}");
    let model_sql = std::fs::read_to_string(run.join("models/marts/fct_orders.sql")).unwrap();
    assert!(
        model_sql.starts_with("CREATE TABLE \"main\".\"fct_orders__dbt_tmp\""),
        "{model_sql}"
    );
    assert!(
        dir.join("target/compiled/shop/tests/assert_orders_fully_paid.sql")
            .is_file()
    );
}

/// Selection applies to tests too (dbt's eager indirect selection), and `--exclude`.
#[test]
fn test_selection() {
    let (_tmp, dir) = prepared("shop");
    let (code, out) = common::dbtc_cli("build", &dir, &["-s", "+stg_teas"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("WARN 3 assert_few_premium_teas"), "{out}");
    assert!(
        out.contains("Done. PASS=4 WARN=1 ERROR=0 SKIP=0 NO-OP=0 TOTAL=5"),
        "{out}"
    );
    let (code, out) = common::dbtc_cli(
        "test",
        &dir,
        &["-s", "stg_teas", "--exclude", "assert_few_premium_teas"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Done. PASS=2 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=2"),
        "{out}"
    );
    let doc = read_json(&dir.join("target/run_results.json"));
    assert_eq!(doc["results"].as_array().unwrap().len(), 2);
    assert_eq!(doc["args"]["which"], "test");
}

/// Seeds and runs write run_results.json too; a test on a missing relation is an error.
#[test]
fn run_results_for_every_command() {
    let (_tmp, dir) = prepared("shop");
    let (code, out) = common::dbtc_cli("test", &dir, &["-s", "stg_teas"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ERROR not_null_stg_teas_tea_id "), "{out}");
    let doc = read_json(&dir.join("target/run_results.json"));
    assert_eq!(doc["results"][0]["status"], "error");
    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let doc = read_json(&dir.join("target/run_results.json"));
    let first = &doc["results"][0];
    assert_eq!(first["unique_id"], "seed.shop.country_codes");
    assert_eq!(first["adapter_response"]["rows_affected"], 4);
    assert_eq!(first["message"], "INSERT 4");
    // As dbt-duckdb: the seed's statements under target/run, named like the CSV.
    let seed_sql =
        std::fs::read_to_string(dir.join("target/run/shop/seeds/country_codes.csv")).unwrap();
    assert!(seed_sql.contains("CREATE TABLE"), "{seed_sql}");
    assert!(seed_sql.contains("COPY"), "{seed_sql}");
    let (code, out) = common::dbtc_cli("run", &dir, &["-s", "stg_teas"]);
    assert_eq!(code, 0, "{out}");
    let doc = read_json(&dir.join("target/run_results.json"));
    assert_eq!(doc["results"][0]["status"], "success");
    assert_eq!(
        doc["results"][0]["relation_name"],
        "\"dev\".\"main\".\"stg_teas\""
    );
    assert!(
        dir.join("target/run/shop/models/staging/stg_teas.sql")
            .is_file()
    );
}

/// `--store-failures` saves every selected test's failing rows (a table per test in the
/// audit schema, replaced on the next run); `store_failures_as: view` makes a view.
#[test]
fn store_failures_flag() {
    let (_tmp, dir) = prepared("shop");
    common::dbtc_cli("build", &dir, &[]);
    let (code, out) = common::dbtc_cli("test", &dir, &["-s", "stg_customers", "--store-failures"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("See test failures:"), "{out}");
    let doc = read_json(&dir.join("target/run_results.json"));
    for r in doc["results"].as_array().unwrap() {
        let rel = r["relation_name"].as_str().unwrap_or_default();
        assert!(rel.starts_with("\"dev\".\"main_dbt_test__audit\"."), "{r}");
    }
    let count = |dir: &Path| {
        common::open_duckdb(dir)
            .query("select count(*) from information_schema.tables where table_schema = 'main_dbt_test__audit'")
            .unwrap()
            .rows[0][0]
            .clone()
    };
    // Four tests on stg_customers (and the one stored by config on tea_popularity).
    assert_eq!(count(&dir), json!(5));
    let mut adapter = common::open_duckdb(&dir);
    let rows = adapter
        .query("select * from main_dbt_test__audit.relationships_stg_customers_6b229771d7fe504be3fff70d96a35599")
        .unwrap()
        .rows;
    assert_eq!(rows, vec![vec![json!("XX")]]);
    drop(adapter);
    let (code, out) = common::dbtc_cli("test", &dir, &["-s", "stg_customers", "--store-failures"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(count(&dir), json!(5));
    // As a view.
    let yml = dir.join("models/staging/_staging.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        text.replace(
            "severity: warn\n",
            "severity: warn\n                store_failures_as: view\n",
        ),
    )
    .unwrap();
    let (code, out) = common::dbtc_cli("test", &dir, &["-s", "stg_customers", "--store-failures"]);
    assert_eq!(code, 0, "{out}");
    let kind = common::open_duckdb(&dir)
        .relation_kind(&common::relation(
            "main_dbt_test__audit",
            "relationships_stg_customers_6b229771d7fe504be3fff70d96a35599",
        ))
        .unwrap();
    assert_eq!(kind.as_deref(), Some("view"));
}

#[test]
fn analysis_errors_stop_a_build_before_anything_runs() {
    let (_tmp, dir) = prepared("configs");
    let (code, out) = common::dbtc_cli("build", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("E4005") && out.contains("initcap"), "{out}");
    assert!(!dir.join("target/run_results.json").exists(), "{out}");
}

/// A test whose rendering needs the database is rendered just in time and runs.
#[test]
fn introspective_tests_run_just_in_time() {
    let (_tmp, dir) = prepared("shop");
    std::fs::write(
        dir.join("tests/assert_introspective.sql"),
        "{% set ids = run_query('select 1') %}\nselect 1 as id from {{ ref('stg_teas') }} where false\n",
    )
    .unwrap();
    let (code, out) = common::dbtc_cli("build", &dir, &["-s", "+stg_teas"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS assert_introspective"), "{out}");
    assert!(!out.contains(" SKIP "), "{out}");
}

/// A just-in-time render whose query fails is the model's error; its descendants skip.
#[test]
fn failing_just_in_time_render_errors_and_skips_descendants() {
    let (_tmp, dir) = prepared("introspective");
    std::fs::write(
        dir.join("models/broken_pivot.sql"),
        "{% set r = run_query('select * from no_such_table') %}\nselect 1 as x from {{ ref('stg_orders') }}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("models/after_broken.sql"),
        "select * from {{ ref('broken_pivot') }}\n",
    )
    .unwrap();
    let (code, out) = common::dbtc_cli("build", &dir, &["-s", "+after_broken"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ERROR creating sql view model main.broken_pivot"),
        "{out}"
    );
    assert!(out.contains("no_such_table"), "{out}");
    assert!(out.contains("SKIP relation main.after_broken"), "{out}");
    // dbt words a query that failed during the render as a runtime error of the node,
    // with the database's message alone.
    let results = read_json(&dir.join("target/run_results.json"));
    let broken = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unique_id"] == "model.introspective.broken_pivot")
        .expect("broken_pivot has a result");
    let message = broken["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "Runtime Error in model broken_pivot (models/broken_pivot.sql)\n  Catalog Error: "
        ),
        "{message}"
    );
    assert!(!message.contains("in macro"), "{message}");
}

/// An introspective model is analyzed after its just-in-time render (`unsafe` mode):
/// findings are warnings, the run goes on (here the database then rejects the SQL).
#[test]
fn just_in_time_analysis_warns() {
    let (_tmp, dir) = prepared("introspective");
    std::fs::write(
        dir.join("models/bad_cols.sql"),
        "{% set r = run_query('select 1 as a') %}\nselect no_such_column from {{ ref('stg_orders') }}\n",
    )
    .unwrap();
    let (code, out) = common::dbtc_cli("build", &dir, &["-s", "+bad_cols"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Warning: model.introspective.bad_cols (analyzed just in time): E4002"),
        "{out}"
    );
    assert!(out.contains("START sql view model main.bad_cols"), "{out}");
}

/// An introspective incremental model: its second run renders just in time with
/// `is_incremental()` true (the table exists) and merges.
#[test]
fn introspective_incremental_model_sees_its_table() {
    let (_tmp, dir) = prepared("introspective");
    std::fs::write(
        dir.join("models/inc_statuses.sql"),
        "{{ config(materialized='incremental', unique_key='status') }}\n\
         {%- set n = run_query('select count(*) from ' ~ ref('stg_orders')).columns[0].values()[0] if execute else 0 %}\n\
         select status, count(*) as c, {{ n }} as total, {{ 'true' if is_incremental() else 'false' }} as inc\n\
         from {{ ref('stg_orders') }} group by status\n",
    )
    .unwrap();
    for _ in 0..2 {
        let (code, out) = common::dbtc_cli("build", &dir, &["-s", "+inc_statuses"]);
        assert_eq!(code, 0, "{out}");
    }
    let rows = common::open_duckdb(&dir)
        .query("select status, c, total, inc from main.inc_statuses order by status")
        .unwrap()
        .rows;
    assert_eq!(
        rows,
        vec![
            vec![json!("placed"), json!(2), json!(7), json!(true)],
            vec![json!("returned"), json!(1), json!(7), json!(true)],
            vec![json!("shipped"), json!(4), json!(7), json!(true)],
        ]
    );
}

/// An introspective ephemeral model is rendered just in time inside its child's CTE; the
/// child, whose own render queries nothing, renders just in time too.
#[test]
fn introspective_ephemeral_parent_renders_in_its_child() {
    let (_tmp, dir) = prepared("introspective");
    std::fs::write(
        dir.join("models/eph_count.sql"),
        "{{ config(materialized='ephemeral') }}\n-- depends_on: {{ ref('stg_orders') }}\n\
         {%- set n = run_query('select count(*) from ' ~ ref('stg_orders')).columns[0].values()[0] if execute else 0 %}\n\
         select {{ n }} as n\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("models/uses_eph.sql"),
        "{{ config(materialized='table') }}\nselect n from {{ ref('eph_count') }}\n",
    )
    .unwrap();
    let (code, out) = common::dbtc_cli("build", &dir, &["-s", "+uses_eph"]);
    assert_eq!(code, 0, "{out}");
    let rows = common::open_duckdb(&dir)
        .query("select n from main.uses_eph")
        .unwrap()
        .rows;
    assert_eq!(rows, vec![vec![json!(7)]]);
}
