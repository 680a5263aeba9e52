//! Compiles each fixture project and compares dbtc's compiled SQL with the goldens that
//! dbt-core 1.11 wrote (scripts/goldens.sh), whitespace-normalized.

mod common;

use std::path::{Path, PathBuf};

use dbtc::artifacts::compiled_path;
use dbtc::compile::compile_project;

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

/// Returns (matching, mismatches) for one fixture.
fn check_fixture(name: &str) -> (usize, Vec<String>) {
    let root = common::fixture_dir(name);
    let (db, project) = common::load_fixture(name);
    let out = compile_project(&db, project, None);
    let fake_target = PathBuf::from("/target");
    let mut produced = std::collections::BTreeMap::new();
    for node in &out.nodes {
        if let (Some(sql), Some(path)) = (
            &node.sql,
            compiled_path(&db, project, &fake_target, &node.unique_id),
        ) {
            let rel = path
                .strip_prefix(fake_target.join("compiled"))
                .unwrap()
                .to_path_buf();
            produced.insert(rel, sql.to_string());
        }
    }
    let expected_dir = root.join("expected").join("compiled");
    let mut ok = 0;
    let mut bad = Vec::new();
    for file in files_under(&expected_dir) {
        let rel = file.strip_prefix(&expected_dir).unwrap().to_path_buf();
        let expected = std::fs::read_to_string(&file).unwrap();
        match produced.get(&rel) {
            Some(sql) if normalize(sql) == normalize(&expected) => ok += 1,
            Some(sql) => bad.push(format!(
                "{}: differs\n  dbt : {}\n  dbtc: {}",
                rel.display(),
                normalize(&expected),
                normalize(sql)
            )),
            None => bad.push(format!("{}: not produced", rel.display())),
        }
    }
    let errors: Vec<String> = out
        .diagnostics
        .iter()
        // Analysis findings (E4xxx) are checked in tests/analysis.rs: some fixture models
        // are invalid SQL on purpose (dbt compiles them all the same).
        .filter(|d| d.is_error() && !d.code.starts_with("E4"))
        .map(|d| d.message.clone())
        .collect();
    if !errors.is_empty() {
        bad.push(format!("errors: {errors:?}"));
    }
    (ok, bad)
}

fn assert_fixture(name: &str) {
    assert_fixture_except(name, &[]);
}

/// Like `assert_fixture`, but `known` files are expected to differ (each with its reason);
/// the test fails if one of them starts to match, so the list cannot go stale.
fn assert_fixture_except(name: &str, known: &[(&str, &str)]) {
    let (ok, mut bad) = check_fixture(name);
    for (file, _reason) in known {
        let before = bad.len();
        bad.retain(|b| !b.starts_with(&format!("{file}: differs")));
        assert!(
            bad.len() < before,
            "{file} now matches dbt-core: remove it from the known gaps"
        );
    }
    assert!(
        bad.is_empty(),
        "{name}: {ok} equal, {} problems:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(ok > 0, "{name}: no goldens found");
}

#[test]
fn shop_matches_dbt_core() {
    assert_fixture("shop");
}

#[test]
fn macros_pkg_matches_dbt_core() {
    assert_fixture("macros_pkg");
}

#[test]
fn configs_matches_dbt_core() {
    assert_fixture("configs");
}

#[test]
fn builtin_macros_match_dbt_core() {
    assert_fixture_except(
        "builtin_macros",
        &[(
            "builtin_macros/models/date_spine.sql",
            "dbt.date_spine runs a query at compile time (statement/load_result); dbtc renders introspective queries with empty results until execution exists",
        )],
    );
}

#[test]
fn project_jinja_matches_dbt_core() {
    assert_fixture("project_jinja");
}

#[test]
fn ephemerals_match_dbt_core() {
    assert_fixture("ephemerals");
}
