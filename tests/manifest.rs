//! Compares dbtc's manifest with the reduced dbt-core manifest of each fixture
//! (`expected/nodes.json`, written by scripts/reduce_manifest.py): the same nodes, and for
//! each node the same identity, relation, config, dependency and column keys, and the file
//! keys (checksum, raw_code, language, compiled_path, doc_blocks, unrendered_config, ...),
//! the compiled keys (compiled_code, extra_ctes with each ephemeral CTE's SQL,
//! extra_ctes_injected; SQL compared whitespace-normalized as tests/fixtures.rs does), and
//! for the project's and packages' macros depends_on.macros (dbt's static parse).

mod common;

use dbtc::artifacts::manifest::manifest;
use serde_json::Value;

fn manifest_of(name: &str) -> (Value, Value) {
    let root = common::fixture_dir(name);
    let (db, project) = common::load_fixture(name);
    let ours = manifest(&db, project, true);
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("expected/nodes.json")).unwrap())
            .unwrap();
    (ours, golden)
}

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `value` with every string whitespace-normalized (compiled SQL is compared that way).
fn normalized(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::from(normalize(s)),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalized(v))).collect())
        }
        other => other.clone(),
    }
}

fn sorted(v: Option<&Value>) -> Value {
    let mut items: Vec<String> = v
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    Value::from(items)
}

/// Mismatches between our manifest and the golden rows.
fn compare(ours: &Value, golden: &Value, known: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut our_nodes = serde_json::Map::new();
    for section in ["nodes", "sources", "docs"] {
        if let Some(Value::Object(m)) = ours.get(section) {
            our_nodes.extend(m.clone());
        }
    }
    // Macros of the project and its packages (dbtc's built-ins are its own code).
    if let Some(Value::Object(m)) = ours.get("macros") {
        our_nodes.extend(
            m.iter()
                .filter(|(_, mac)| mac["package_name"] != "dbt")
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    let golden = golden.as_object().unwrap();
    for uid in our_nodes.keys() {
        if !golden.contains_key(uid) {
            problems.push(format!("{uid}: not in dbt-core's manifest"));
        }
    }
    for (uid, row) in golden {
        let Some(node) = our_nodes.get(uid) else {
            problems.push(format!("{uid}: missing"));
            continue;
        };
        for (key, expected) in row.as_object().unwrap() {
            let actual = match key.as_str() {
                "depends_on_macros" => sorted(node.pointer("/depends_on/macros")),
                // A macro's row holds dbt's whole depends_on ({"macros": [...]}).
                "depends_on" if uid.starts_with("macro.") => {
                    let actual = sorted(node.pointer("/depends_on/macros"));
                    let expected = sorted(expected.get("macros"));
                    if actual != expected {
                        problems.push(format!(
                            "{uid}: depends_on.macros: dbt {expected} dbtc {actual}"
                        ));
                    }
                    continue;
                }
                "depends_on" => sorted(node.pointer("/depends_on/nodes")),
                "compiled_code" | "extra_ctes" => {
                    let actual = normalized(node.get(key).unwrap_or(&Value::Null));
                    if actual != normalized(expected) && !known.contains(&uid.as_str()) {
                        problems.push(format!("{uid}: {key}: dbt {expected} dbtc {actual}"));
                    }
                    continue;
                }
                "config" => {
                    for (ck, cv) in expected.as_object().unwrap() {
                        let ours = node
                            .get("config")
                            .and_then(|c| c.get(ck))
                            .cloned()
                            .unwrap_or(Value::Null);
                        if &ours != cv {
                            problems.push(format!("{uid}: config.{ck}: dbt {cv} dbtc {ours}"));
                        }
                    }
                    continue;
                }
                // dbtc fills `columns` with inferred columns where none are declared.
                "columns" if expected.as_object().is_some_and(|m| m.is_empty()) => continue,
                "columns" => {
                    let ours: serde_json::Map<String, Value> = node
                        .get("columns")
                        .and_then(Value::as_object)
                        .map(|m| {
                            m.iter()
                                .map(|(k, c)| (k.clone(), serde_json::json!({"description": c.get("description").cloned().unwrap_or(Value::from("")), "data_type": c.get("data_type").cloned().unwrap_or(Value::Null)})))
                                .collect()
                        })
                        .unwrap_or_default();
                    Value::Object(ours)
                }
                // A time: only its type is compared.
                "created_at" => Value::from(if node.get(key).is_some_and(Value::is_f64) {
                    "float"
                } else {
                    "not a float"
                }),
                k => node.get(k).cloned().unwrap_or(Value::Null),
            };
            // Known difference: dbtc's parse keeps one of consecutive repeated ref() calls
            // (jinja::nodes::parsed_node dedups them), dbt lists every call.
            let expected = &match (key.as_str(), expected) {
                ("refs", Value::Array(items)) => {
                    let mut items = items.clone();
                    items.dedup();
                    Value::Array(items)
                }
                _ => expected.clone(),
            };
            if &actual != expected {
                problems.push(format!("{uid}: {key}: dbt {expected} dbtc {actual}"));
            }
        }
    }
    problems
}

fn check(name: &str) {
    check_except(name, &[]);
}

/// Like `check`, but the compiled SQL of the `known` nodes may differ (the compiled-SQL
/// gaps tests/fixtures.rs lists with their reasons).
fn check_except(name: &str, known: &[&str]) {
    let (ours, golden) = manifest_of(name);
    let problems = compare(&ours, &golden, known);
    assert!(
        problems.is_empty(),
        "{name}: {} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn shop_manifest_matches_dbt_core() {
    check("shop");
}

#[test]
fn macros_pkg_manifest_matches_dbt_core() {
    check("macros_pkg");
}

#[test]
fn configs_manifest_matches_dbt_core() {
    check("configs");
}

#[test]
fn builtin_macros_manifest_matches_dbt_core() {
    // dbt.date_spine runs a query at compile time (see tests/fixtures.rs).
    check_except("builtin_macros", &["model.builtin_macros.date_spine"]);
}

/// dbt_project.yml values rendered with `target` (schema, tags, meta, materialized, enabled,
/// full_refresh, severity; hooks left unrendered; project vars not visible there), `vars:`
/// values rendered when var() reads them, ephemeral chains as extra_ctes, and macro
/// depends_on across the project, a package and dbt's built-ins.
#[test]
fn project_jinja_manifest_matches_dbt_core() {
    check("project_jinja");
}

/// Aliased and nested ephemeral models (`fixtures/ephemerals`).
#[test]
fn ephemerals_manifest_matches_dbt_core() {
    check("ephemerals");
}

#[test]
fn streamed_manifest_equals_the_value_one() {
    // A copy: a dbt run in fixtures/shop (a golden script) creates dev.duckdb for a while,
    // and is_incremental() would then answer differently between the two manifests.
    let (_tmp, dir) = common::fixture_copy("shop");
    let db = dbtc::db::RootDb::default();
    let project = dbtc::project::load_project(
        &db,
        &dbtc::db::OsSystem,
        &dbtc::project::LoadOptions::in_dir(&dir),
    );
    for threads in [1, 2, 3] {
        let bytes = dbtc::artifacts::manifest::manifest_bytes(&db, project, true, threads);
        let parsed: Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(parsed, manifest(&db, project, true), "threads {threads}");
    }
}

/// depends_on.macros of every node and of the project's and packages' macros in a parse
/// manifest, against `dbt parse`'s (expected/parse_depends_on.json): a parse lists a generic
/// test's macro as dbt's bare-name lookup finds it and does not render dbt's not_null/unique.
fn check_parse_depends_on(name: &str) {
    let root = common::fixture_dir(name);
    let (db, project) = common::load_fixture(name);
    let ours = manifest(&db, project, false);
    let text = std::fs::read_to_string(root.join("expected/parse_depends_on.json")).unwrap();
    let golden: Value = serde_json::from_str(&text).unwrap();
    let mut problems = Vec::new();
    for (uid, expected) in golden.as_object().unwrap() {
        let section = if uid.starts_with("macro.") {
            "macros"
        } else {
            "nodes"
        };
        let actual = sorted(
            ours.get(section)
                .and_then(|s| s.get(uid))
                .and_then(|n| n.pointer("/depends_on/macros")),
        );
        if &actual != expected {
            problems.push(format!("{uid}: dbt {expected} dbtc {actual}"));
        }
    }
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
}

#[test]
fn parse_depends_on_macros_match_dbt_core() {
    for name in [
        "shop",
        "macros_pkg",
        "configs",
        "builtin_macros",
        "project_jinja",
    ] {
        check_parse_depends_on(name);
    }
}
