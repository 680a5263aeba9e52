//! dbt unit tests (`unit_tests:` in properties yml) against what dbt-core 1.11 +
//! dbt-duckdb 1.11.1 do with `fixtures/unit_tests` (scripts/unit_tests_goldens.sh):
//! - the manifest's top-level keys, `unit_tests` entries (all keys and values, the
//!   checksum too), disabled unit tests, and the unit tests in parent_map and child_map;
//! - `dbtc ls` with unit test selections;
//! - `dbtc build` on an empty database and `dbtc seed && run && test`: every node's
//!   status and failures, the diff message of a failing unit test, and each error's
//!   message as the start of dbt's (dbt appends the macro frames);
//! - bad definitions are diagnostics with file:line:col and a hint, and the rest of the
//!   project still compiles.

mod common;
mod pg_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbtc::exec::Adapter;
use serde_json::{Value, json};

fn golden(name: &str) -> PathBuf {
    common::fixture_dir("unit_tests")
        .join("expected")
        .join(name)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A copy of the fixture with the source table loaded, as the goldens script does.
fn prepared() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = common::fixture_copy("unit_tests");
    let sql = std::fs::read_to_string(golden("setup/_sources.sql")).unwrap();
    common::open_duckdb(&dir).execute(&sql).unwrap();
    (tmp, dir)
}

#[test]
fn manifest_unit_tests_match_dbt() {
    let (_tmp, dir) = common::fixture_copy("unit_tests");
    let (code, out) = common::dbtc_cli("parse", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let doc = read_json(&dir.join("target/manifest.json"));
    let want = read_json(&golden("manifest_unit_tests.json"));
    let mut keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(json!(keys), want["keys"]);
    for key in ["group_map", "semantic_models", "saved_queries"] {
        assert_eq!(doc[key], want[key], "{key}");
    }
    let ours = doc["unit_tests"].as_object().unwrap();
    let theirs = want["unit_tests"].as_object().unwrap();
    let mut ids: Vec<&String> = ours.keys().collect();
    ids.sort();
    let mut want_ids: Vec<&String> = theirs.keys().collect();
    want_ids.sort();
    assert_eq!(ids, want_ids);
    let mut problems = Vec::new();
    for (uid, entry) in theirs {
        let got = &ours[uid];
        let mut got_keys: Vec<&String> = got.as_object().unwrap().keys().collect();
        got_keys.retain(|k| *k != "created_at");
        got_keys.sort();
        let mut want_keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
        want_keys.sort();
        if got_keys != want_keys {
            problems.push(format!("{uid}: keys {got_keys:?} != {want_keys:?}"));
        }
        for (key, value) in entry.as_object().unwrap() {
            if &got[key] != value {
                problems.push(format!("{uid}.{key}:\n  dbtc {}\n  dbt  {value}", got[key]));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let disabled: Vec<&String> = doc["disabled"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("unit_test."))
        .collect();
    assert_eq!(json!(disabled), want["disabled"]);
    for (uid, parents) in want["unit_test_parents"].as_object().unwrap() {
        assert_eq!(&doc["parent_map"][uid], parents, "parent_map {uid}");
    }
    for (model, units) in want["model_unit_test_children"].as_object().unwrap() {
        let ours: Vec<&Value> = doc["child_map"][model]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c.as_str().unwrap().starts_with("unit_test."))
            .collect();
        let mut ours: Vec<String> = ours.iter().map(|v| v.to_string()).collect();
        let mut want: Vec<String> = units
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect();
        ours.sort();
        want.sort();
        assert_eq!(ours, want, "child_map {model}");
    }
}

#[test]
fn ls_matches_dbt() {
    let dir = common::fixture_dir("unit_tests");
    let text = std::fs::read_to_string(golden("ls.txt")).unwrap();
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("# ") {
            Some(args) => blocks.push((args.to_string(), Vec::new())),
            None if !line.trim().is_empty() => blocks.last_mut().unwrap().1.push(line.into()),
            None => {}
        }
    }
    assert!(blocks.len() >= 10);
    let (_tmp, copy) = common::fixture_copy("unit_tests");
    let _ = dir;
    let mut problems = Vec::new();
    for (args, mut want) in blocks {
        let extra: Vec<&str> = args.split_whitespace().collect();
        let (code, out) = common::dbtc_cli("ls", &copy, &extra);
        assert_eq!(code, 0, "{args}: {out}");
        let mut got: Vec<String> = out
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(String::from)
            .collect();
        got.sort();
        want.sort();
        if got != want {
            problems.push(format!("{args}:\n  dbtc {got:?}\n  dbt  {want:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Compares dbtc's run_results.json with a golden: the same unique_ids, statuses and
/// failures; a unit test's failure message equal to dbt's; an error's message the start
/// of dbt's.
fn compare_results(dir: &Path, golden_name: &str) {
    compare_results_renamed(dir, golden_name, &[]);
}

/// [`compare_results`] with database names replaced in messages (`(from, to)` pairs).
fn compare_results_renamed(dir: &Path, golden_name: &str, renames: &[(&str, &str)]) {
    let doc = read_json(&dir.join("target/run_results.json"));
    let want = read_json(&golden(golden_name));
    let ours: BTreeMap<String, &Value> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["unique_id"].as_str().unwrap().to_string(), r))
        .collect();
    let mut problems = Vec::new();
    let wanted = want["results"].as_array().unwrap();
    for w in wanted {
        let uid = w["unique_id"].as_str().unwrap();
        let Some(got) = ours.get(uid) else {
            problems.push(format!("{uid}: missing"));
            continue;
        };
        if got["status"] != w["status"] || got["failures"] != w["failures"] {
            problems.push(format!(
                "{uid}: dbtc {} {} / dbt {} {}",
                got["status"], got["failures"], w["status"], w["failures"]
            ));
        }
        if !uid.starts_with("unit_test.") {
            continue;
        }
        let rename = |m: Option<&str>| {
            m.map(|m| {
                renames
                    .iter()
                    .fold(m.to_string(), |m, (from, to)| m.replace(from, to))
            })
        };
        let (g, m) = (
            rename(got["message"].as_str()),
            rename(w["message"].as_str()),
        );
        let (g, m) = (g.as_deref(), m.as_deref());
        match w["status"].as_str() {
            Some("fail") if g != m => {
                problems.push(format!("{uid}: message\n  dbtc {g:?}\n  dbt  {m:?}"));
            }
            Some("error") if !m.unwrap_or_default().starts_with(g.unwrap_or("<none>")) => {
                problems.push(format!("{uid}: message\n  dbtc {g:?}\n  dbt  {m:?}"));
            }
            _ => {}
        }
    }
    assert_eq!(ours.len(), wanted.len(), "the same number of results");
    let mut result_keys: Vec<&String> = doc["results"][0].as_object().unwrap().keys().collect();
    result_keys.sort();
    assert_eq!(json!(result_keys), want["result_keys"]);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn build_matches_dbt() {
    let (_tmp, dir) = prepared();
    let (code, out) = common::dbtc_cli("build", &dir, &[]);
    assert_eq!(code, 1, "a unit test fails: {out}");
    compare_results(&dir, "build.json");
    // A unit test runs before its model, and its failure skips the model.
    let flags = out
        .find("FAIL 1 order_flags::flags_wrong_on_purpose")
        .unwrap();
    let skip = out.find("SKIP relation main.order_flags").unwrap();
    assert!(flags < skip, "{out}");
    assert!(out.contains("16 unit tests"), "{out}");
    // As dbt: `build` runs a unit test with its model only (dbt: "Nothing to do").
    let (code, only_units) = common::dbtc_cli("build", &dir, &["-s", "test_type:unit"]);
    assert_eq!(code, 0, "{only_units}");
    assert!(only_units.contains("Nothing to do"), "{only_units}");
    let (_, one) = common::dbtc_cli("build", &dir, &["-s", "stg_customers"]);
    assert!(
        one.contains("PASS stg_customers::trims_and_uppercases_from_source"),
        "{one}"
    );
    assert!(!one.contains("stg_orders::"), "{one}");
    // Their SQL is written where dbt writes it: the model's with the fixture CTEs
    // (target/compiled), the comparison query (target/run).
    let file = "unit_lab/models/marts/_marts.yml/models/marts/tiers_by_total.sql";
    let compiled = std::fs::read_to_string(dir.join("target/compiled").join(file)).unwrap();
    assert!(
        compiled.contains("__dbt__cte__stg_customers as ("),
        "{compiled}"
    );
    assert!(
        compiled.contains("from __dbt__cte__stg_customers as c"),
        "{compiled}"
    );
    let run = std::fs::read_to_string(dir.join("target/run").join(file)).unwrap();
    assert!(run.contains("dbt_internal_unit_test_expected"), "{run}");
    // A macro override replaces the macro in the model's SQL, namespaced call too.
    let file = "unit_lab/models/marts/_marts.yml/models/marts/stamps_with_overridden_clock.sql";
    let compiled = std::fs::read_to_string(dir.join("target/compiled").join(file)).unwrap();
    let stamp = "cast('2024-05-01 10:00:00' as timestamp)";
    assert_eq!(compiled.matches(stamp).count(), 2, "{compiled}");
}

#[test]
fn test_after_run_matches_dbt() {
    let (_tmp, dir) = prepared();
    for verb in ["seed", "run"] {
        let (code, out) = common::dbtc_cli(verb, &dir, &[]);
        assert_eq!(code, 0, "{verb}: {out}");
    }
    let (code, out) = common::dbtc_cli("test", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    compare_results(&dir, "test.json");
    // Only the unit tests: `test_type:unit`.
    let (_, out) = common::dbtc_cli("test", &dir, &["-s", "test_type:unit"]);
    assert!(out.contains("16 unit tests"), "{out}");
    assert!(!out.contains("data test"), "{out}");
}

/// On Postgres (the server of scripts/pg_server.sh, when DBTC_TEST_PG_* are set): the
/// same two runs against dbt-postgres's goldens.
#[test]
fn postgres_build_and_test_match_dbt() {
    let Some(env) = pg_common::server() else {
        return;
    };
    let runs: [(&str, &[&str], &str, &str); 2] = [
        ("build", &[], "postgres/build.json", "golden_unit_build"),
        (
            "test",
            &["seed", "run"],
            "postgres/test.json",
            "golden_unit_test",
        ),
    ];
    for (verb, before, golden_name, golden_db) in runs {
        let db = pg_common::TestDb::create(env.clone());
        let (_tmp, dir) = common::fixture_copy("unit_tests");
        std::fs::copy(golden("postgres/profiles.yml"), dir.join("profiles.yml")).unwrap();
        let sql = std::fs::read_to_string(golden("setup/_sources.sql")).unwrap();
        db.adapter().execute(&sql).unwrap();
        for step in before.iter().chain([&verb]) {
            let out = pg_common::dbtc(&db, step, &dir, &[]).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let code = if *step == verb { 1 } else { 0 };
            assert_eq!(out.status.code(), Some(code), "{step}: {text}");
        }
        compare_results_renamed(
            &dir,
            golden_name,
            &[(golden_db, "<db>"), (db.name.as_str(), "<db>")],
        );
    }
}

/// A project whose unit tests have every kind of mistake, next to a good one.
fn write_bad_project(dir: &Path) {
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "dbt_project.yml",
        "name: bad\nversion: '1'\nconfig-version: 2\nprofile: bad\n",
    );
    write(
        "profiles.yml",
        "bad:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n",
    );
    write("models/a.sql", "select 1 as id\n");
    write("models/b.sql", "select id from {{ ref('a') }}\n");
    write("models/other.sql", "select 2 as id\n");
    write(
        "models/inc.sql",
        "{{ config(materialized='incremental') }}\nselect id from {{ ref('a') }}\n{% if is_incremental() %} where id > 0 {% endif %}\n",
    );
    write(
        "models/units.yml",
        r#"version: 2
unit_tests:
  - name: good
    model: b
    given:
      - input: ref('a')
        rows: [{id: 1}]
    expect:
      rows: [{id: 1}]
  - name: no_such_model
    model: nope
    given: []
    expect: {rows: []}
  - name: unknown_input
    model: b
    given:
      - input: ref('missing_one')
        rows: []
    expect: {rows: []}
  - name: bad_input_call
    model: b
    given:
      - input: model('a')
        rows: []
    expect: {rows: []}
  - name: rows_not_a_list
    model: b
    given:
      - input: ref('a')
        rows: "id\n1"
    expect: {rows: []}
  - name: not_a_parent
    model: b
    given:
      - input: ref('a')
        rows: []
      - input: ref('other')
        rows: []
    expect: {rows: []}
  - name: incremental_without_override
    model: inc
    given:
      - input: ref('a')
        rows: []
    expect: {rows: []}
  - name: incremental_true_without_this
    model: inc
    overrides:
      macros: {is_incremental: true}
    given:
      - input: ref('a')
        rows: []
    expect: {rows: []}
  - name: csv_fixture_missing
    model: b
    given:
      - input: ref('a')
        format: csv
        fixture: nowhere
    expect: {rows: []}
  - name: versions_on_plain_model
    model: b
    versions: {include: [1]}
    given:
      - input: ref('a')
        rows: []
    expect: {rows: []}
"#,
    );
}

#[test]
fn bad_definitions_are_diagnostics() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bad");
    write_bad_project(&dir);
    let (code, out) = common::dbtc_cli("parse", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    let expect = [
        (
            "Unable to find model 'bad.nope' for unit test 'no_such_model'",
            "units.yml:11:",
        ),
        (
            "Unit test 'unknown_input' had an input (ref('missing_one')) which was not found",
            "units.yml:17:",
        ),
        (
            "Unit test given inputs must be either a 'ref', 'source' or 'this' call. Got: 'model('a')'",
            "units.yml:23:",
        ),
        (
            "unit test 'rows_not_a_list' has input rows for ref('a') that are not valid",
            "units.yml:29:",
        ),
        (
            "input ref('other') is not a parent of model 'b'",
            "units.yml:37:16",
        ),
        (
            "Boolean override for 'is_incremental' must be provided for unit test 'incremental_without_override'",
            "units.yml:40:",
        ),
        (
            "Unit test 'incremental_true_without_this' for incremental model 'inc' must have a 'this' input",
            "units.yml:49:",
        ),
        (
            "fixture file 'nowhere' (csv) was not found",
            "units.yml:57:",
        ),
        (
            "Unit test 'versions_on_plain_model' should not have a versions include or exclude when referencing non-versioned model 'b'",
            "units.yml:63:",
        ),
    ];
    for (message, place) in expect {
        let at = out
            .find(message)
            .unwrap_or_else(|| panic!("no diagnostic {message:?} in\n{out}"));
        let rest = &out[at..];
        let next = rest[1..]
            .find("\nerror")
            .or(rest[1..].find("\nwarning"))
            .map_or(rest.len(), |i| i + 1);
        assert!(
            rest[..next].contains(place),
            "{message}: not at {place}\n{}",
            &rest[..next]
        );
        assert!(
            rest[..next].contains("help") || rest[..next].contains("hint"),
            "{message}: no hint\n{}",
            &rest[..next]
        );
    }
    // The good test and the warned one are in the manifest; the project compiled.
    let doc = read_json(&dir.join("target/manifest.json"));
    let units: Vec<&String> = doc["unit_tests"].as_object().unwrap().keys().collect();
    assert_eq!(
        units,
        ["unit_test.bad.b.good", "unit_test.bad.b.not_a_parent"]
    );
    assert!(doc["nodes"]["model.bad.b"].is_object());
}
