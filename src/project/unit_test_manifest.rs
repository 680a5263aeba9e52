//! Unit tests in the artifacts: their manifest.json entry (dbt's keys) and where their
//! compiled and executed SQL go under target/.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::unit_test_rows::{Rows, RowsFormat};
use super::unit_tests::{UnitTest, UnitTests, unit_tests};
use crate::db::{Db, Project};

/// Where dbt writes a unit test's SQL under `folder` (target/compiled or target/run):
/// `<package>/<yml path>/<yml folder>/<test name>.sql`. None for other ids.
pub fn file_path(
    db: &dyn Db,
    project: Project,
    folder: &std::path::Path,
    unique_id: &str,
) -> Option<PathBuf> {
    if !unique_id.starts_with("unit_test.") {
        return None;
    }
    let test = unit_tests(db, project).get(unique_id)?;
    let yml = std::path::Path::new(&test.original_file_path);
    let dir = yml.parent().unwrap_or(std::path::Path::new(""));
    Some(
        folder
            .join(&test.package)
            .join(yml)
            .join(dir)
            .join(format!("{}.sql", test.run_name())),
    )
}

/// The unit test's entry in manifest.json (`unit_tests` or `disabled`), dbt's keys.
pub fn manifest_entry(test: &UnitTest, created_at: Value) -> Value {
    let fixture = |format: RowsFormat, fixture: &Option<String>, rows: &Rows| json!({"fixture": fixture, "format": format.as_str(), "rows": rows.to_value()});
    let given: Vec<Value> = test
        .given
        .iter()
        .map(|g| {
            let mut v = fixture(g.format, &g.fixture, &g.rows);
            v["input"] = json!(g.input);
            v
        })
        .collect();
    json!({
        "model": test.model,
        "given": given,
        "expect": fixture(test.expect_format, &test.expect_fixture, &test.expect),
        "name": test.name,
        "resource_type": "unit_test",
        "package_name": test.package,
        "path": test.path,
        "original_file_path": test.original_file_path,
        "unique_id": test.unique_id,
        "fqn": test.fqn,
        "description": test.description,
        "overrides": test.overrides,
        "depends_on": {"macros": [], "nodes": [test.model_id]},
        "config": test.config,
        "checksum": test.checksum,
        "schema": test.schema,
        "created_at": created_at,
        "versions": test.versions,
        "version": test.version.as_deref().map(|v| {
            v.parse::<i64>().map_or_else(|_| Value::from(v), Value::from)
        }),
    })
}

impl UnitTests {
    /// The manifest's `unit_tests` section.
    pub fn section(&self, created_at: &Value) -> Map<String, Value> {
        self.tests
            .iter()
            .map(|t| (t.unique_id.clone(), manifest_entry(t, created_at.clone())))
            .collect()
    }

    /// Disabled unit tests as the manifest's `disabled` section lists them.
    pub fn disabled_section(&self, created_at: &Value) -> Map<String, Value> {
        self.disabled
            .iter()
            .map(|t| {
                let entry = manifest_entry(t, created_at.clone());
                (t.unique_id.clone(), Value::Array(vec![entry]))
            })
            .collect()
    }

    /// Adds the enabled unit tests to the manifest's parent and child maps (each has its
    /// tested model as only parent).
    pub fn extend_maps(&self, parents: &mut Map<String, Value>, children: &mut Map<String, Value>) {
        for t in &self.tests {
            parents.insert(t.unique_id.clone(), json!([t.model_id]));
            if let Some(Value::Array(list)) = children.get_mut(&t.model_id) {
                list.push(json!(t.unique_id));
            }
            children.insert(t.unique_id.clone(), json!([]));
        }
    }
}
