//! Which unit tests a `--select`/`--exclude` picks, as dbt selects them: by their own
//! name, fqn, path, tags, package, config, `resource_type:unit_test`, `test_type:unit`
//! and `unit_test:[package.]name`, and indirectly when the model they test is selected
//! (dbt's eager indirect selection; exclusion too removes the tests of an excluded model).

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;

use super::unit_tests::{UnitTest, unit_tests};
use crate::db::{Db, Project};
use crate::graph::glob;

/// The selected, enabled unit tests, in project order.
pub fn select_unit_tests(
    db: &dyn Db,
    project: Project,
    select: &[String],
    exclude: &[String],
) -> Vec<Arc<UnitTest>> {
    let all = &unit_tests(db, project).tests;
    if all.is_empty() {
        return Vec::new();
    }
    let chosen: BTreeSet<usize> = if select.is_empty() {
        (0..all.len()).collect()
    } else {
        union(db, project, all, select)
    };
    let excluded = union(db, project, all, exclude);
    all.iter()
        .enumerate()
        .filter(|(i, _)| chosen.contains(i) && !excluded.contains(i))
        .map(|(_, t)| Arc::clone(t))
        .collect()
}

/// Whether `dbt ls --resource-type <types>` lists unit tests (by default it does).
pub fn ls_lists_unit_tests(types: &[String]) -> bool {
    types.is_empty()
        || types
            .iter()
            .any(|t| matches!(t.as_str(), "default" | "all" | "unit_test"))
}

/// How `dbt ls` prints a unit test.
pub fn selector_name(test: &UnitTest) -> String {
    format!("unit_test:{}.{}", test.package, test.run_name())
}

/// The union of space-separated expressions, each an intersection of comma-separated
/// selectors.
fn union(
    db: &dyn Db,
    project: Project,
    all: &[Arc<UnitTest>],
    exprs: &[String],
) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for expr in exprs.iter().flat_map(|s| s.split_whitespace()) {
        let mut sets = expr.split(',').map(|atom| atom_set(db, project, all, atom));
        let first = sets.next().unwrap_or_default();
        out.extend(sets.fold(first, |acc, s| acc.intersection(&s).copied().collect()));
    }
    out
}

/// The unit tests one selector picks: directly, or through their model.
fn atom_set(db: &dyn Db, project: Project, all: &[Arc<UnitTest>], atom: &str) -> BTreeSet<usize> {
    let core = atom.trim_start_matches(|c: char| c.is_ascii_digit() || c == '+');
    let core = core.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+');
    let (method, value) = core.split_once(':').unwrap_or(("name", core));
    let nodes: BTreeSet<String> = crate::graph::select(db, project, &[atom.to_string()], &[])
        .into_iter()
        .collect();
    all.iter()
        .enumerate()
        .filter(|(_, t)| nodes.contains(&t.model_id) || matches(t, method, value))
        .map(|(i, _)| i)
        .collect()
}

fn matches(test: &UnitTest, method: &str, value: &str) -> bool {
    match method {
        "name" | "fqn" => {
            test.name == value
                || glob(value, &test.name)
                || fqn_prefix(value, &test.fqn)
                || test.fqn[..test.fqn.len().saturating_sub(1)]
                    .iter()
                    .any(|p| p == value)
        }
        "path" | "file" => {
            test.original_file_path
                .starts_with(value.trim_end_matches('/'))
                || glob(value, &test.original_file_path)
        }
        "unit_test" => {
            let (package, name) = value.split_once('.').unwrap_or(("*", value));
            (package == "*" || package == test.package || glob(package, &test.package))
                && (name == test.name || glob(name, &test.name))
        }
        "tag" => test.tags().iter().any(|t| t == value),
        "resource_type" => value == "unit_test",
        "test_type" => value == "unit",
        "package" => test.package == value,
        m if m.starts_with("config.") => test.config.get(&m[7..]).is_some_and(|v| match v {
            Value::Array(items) => items.iter().any(|i| i.as_str() == Some(value)),
            Value::String(s) => s == value,
            other => serde_json::to_string(other).is_ok_and(|s| s == value),
        }),
        _ => false,
    }
}

/// `a.b.c` selects every test whose fqn starts with `a`, `b`, `c`.
fn fqn_prefix(value: &str, fqn: &[String]) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() <= fqn.len() && parts.iter().zip(fqn).all(|(p, f)| *p == f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqn_prefixes_and_globs() {
        let fqn: Vec<String> = ["p", "staging", "m", "t"].map(String::from).to_vec();
        assert!(fqn_prefix("p.staging", &fqn));
        assert!(fqn_prefix("p.staging.m.t", &fqn));
        assert!(!fqn_prefix("p.marts", &fqn));
        assert!(glob("low*", "lowercase"));
        assert!(!glob("x*", "lowercase"));
    }
}
