//! Ephemeral models injected as CTEs, compared byte for byte with dbt-core 1.11
//! (fixtures/ephemerals, goldens by scripts/goldens.sh): the CTE is named after the model's
//! alias, and the `with` goes where dbt's sqlparse-based injection puts it (after leading
//! whitespace, before a leading comment, after `with recursive` and the whitespace that
//! follows it). Both the compiled files and the manifest's compiled_code / extra_ctes.

mod common;

use std::path::PathBuf;

use dbtc::artifacts::compiled_path;
use dbtc::artifacts::manifest::manifest;
use dbtc::compile::compile_project;
use dbtc::db::NodeKey;
use dbtc::sql::analysis::model_schema;
use serde_json::Value;

const FIXTURE: &str = "ephemerals";

#[test]
fn compiled_sql_equals_dbt_core_exactly() {
    let root = common::fixture_dir(FIXTURE);
    let (db, project) = common::load_fixture(FIXTURE);
    let out = compile_project(&db, project, None);
    let errors: Vec<_> = out.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let fake_target = PathBuf::from("/target");
    let expected_dir = root.join("expected/compiled");
    let mut checked = 0;
    let mut bad = Vec::new();
    for node in &out.nodes {
        let (Some(sql), Some(path)) = (
            &node.sql,
            compiled_path(&db, project, &fake_target, &node.unique_id),
        ) else {
            continue;
        };
        let rel = path.strip_prefix(fake_target.join("compiled")).unwrap();
        let expected = std::fs::read_to_string(expected_dir.join(rel))
            .unwrap_or_else(|e| panic!("{}: no golden ({e})", rel.display()));
        checked += 1;
        if **sql != *expected {
            bad.push(format!(
                "{}:\n--- dbt\n{expected:?}\n--- dbtc\n{sql:?}",
                rel.display()
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert_eq!(
        checked, 10,
        "every model of the fixture has a compiled file"
    );
}

#[test]
fn manifest_compiled_keys_equal_dbt_core_exactly() {
    let root = common::fixture_dir(FIXTURE);
    let (db, project) = common::load_fixture(FIXTURE);
    let ours = manifest(&db, project, true);
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("expected/nodes.json")).unwrap())
            .unwrap();
    let mut bad = Vec::new();
    let mut checked = 0;
    for (uid, row) in golden.as_object().unwrap() {
        if !uid.starts_with("model.") {
            continue;
        }
        checked += 1;
        let node = &ours["nodes"][uid];
        for key in ["compiled_code", "extra_ctes", "extra_ctes_injected"] {
            if node[key] != row[key] {
                bad.push(format!(
                    "{uid}: {key}:\n  dbt  {}\n  dbtc {}",
                    row[key], node[key]
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert_eq!(checked, 10);
}

#[test]
fn analysis_binds_the_aliased_cte_to_its_model() {
    let (db, project) = common::load_fixture(FIXTURE);
    let key = NodeKey::new(&db, "model.ephemerals.aliased_direct".to_string());
    let schema = model_schema(&db, project, key).clone().expect("a schema");
    let id = &schema.columns[0];
    assert_eq!(
        (id.name.as_str(), id.ty.to_string().as_str()),
        ("id", "INTEGER")
    );
    let from: Vec<String> = id
        .lineage
        .iter()
        .map(|e| format!("{}.{}:{}", e.node, e.column, e.kind.as_str()))
        .collect();
    assert!(
        from.contains(&"model.ephemerals.eph_aliased.id:copy".to_string()),
        "{from:?}"
    );
}
