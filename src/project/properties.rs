//! Properties yml files (schema.yml and friends): models, seeds, snapshots, analyses,
//! sources, macros, and the generic tests declared on them.

use serde_json::Value;

use super::yaml::parse_yaml;
use crate::db::{Db, File};
use crate::diagnostics::{Diagnostic, codes};

/// What a generic test is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestTarget {
    /// A model, seed, snapshot or analysis by name (`ref`).
    Node {
        name: String,
        version: Option<String>,
    },
    Source {
        source: String,
        table: String,
    },
}

/// One entry of a `data_tests:`/`tests:` list, with where it was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestDef {
    pub target: TestTarget,
    pub column_name: Option<String>,
    /// The entry: a string (`unique`) or a one-key mapping (`accepted_values: {...}`).
    pub entry: Value,
}

/// One properties file, parsed. Position-free so an edit that keeps the content equal
/// backdates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Properties {
    /// (resource key: models/seeds/snapshots/analyses, entry)
    pub patches: Vec<(String, Value)>,
    pub sources: Vec<Value>,
    pub macros: Vec<Value>,
    pub tests: Vec<TestDef>,
    /// `unit_tests:` entries as written (resolved by `super::unit_tests`).
    pub unit_tests: Vec<Value>,
    pub diagnostics: Vec<Diagnostic>,
}

fn test_list(entry: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for key in ["data_tests", "tests"] {
        if let Some(Value::Array(items)) = entry.get(key) {
            out.extend(items.iter().cloned());
        }
    }
    out
}

fn column_tests(entry: &Value, target: &TestTarget, tests: &mut Vec<TestDef>) {
    for t in test_list(entry) {
        tests.push(TestDef {
            target: target.clone(),
            column_name: None,
            entry: t,
        });
    }
    if let Some(Value::Array(columns)) = entry.get("columns") {
        for col in columns {
            let Some(name) = col.get("name").and_then(Value::as_str) else {
                continue;
            };
            for t in test_list(col) {
                tests.push(TestDef {
                    target: target.clone(),
                    column_name: Some(name.to_string()),
                    entry: t,
                });
            }
        }
    }
}

/// Parses one properties yml file. Reads only that file's text.
#[salsa::tracked(returns(ref))]
pub fn properties(db: &dyn Db, file: File) -> Properties {
    let path = file.path(db).clone();
    let text = file.text(db).clone();
    let mut props = Properties::default();
    let value = match parse_yaml(&text, &path) {
        Ok(v) => v,
        Err(diag) => {
            props.diagnostics.push(diag);
            return props;
        }
    };
    let Value::Object(map) = value else {
        if !value.is_null() {
            props.diagnostics.push(
                Diagnostic::error(codes::PROPERTIES, "a properties file must be a mapping")
                    .at(&path, None)
                    .with_hint("start the file with `version: 2` and keys such as `models:`"),
            );
        }
        return props;
    };
    for key in ["models", "seeds", "snapshots", "analyses"] {
        let Some(list) = map.get(key) else { continue };
        let Value::Array(entries) = list else {
            props.diagnostics.push(
                Diagnostic::error(codes::PROPERTIES, format!("`{key}` must be a list"))
                    .at(&path, super::yaml::find_line(&text, key)),
            );
            continue;
        };
        for entry in entries {
            let Some(name) = entry.get("name").and_then(Value::as_str) else {
                props.diagnostics.push(
                    Diagnostic::error(
                        codes::PROPERTIES,
                        format!("an entry of `{key}` has no `name`"),
                    )
                    .at(&path, super::yaml::find_line(&text, key))
                    .with_hint("every entry needs `name:`"),
                );
                continue;
            };
            let target = TestTarget::Node {
                name: name.to_string(),
                version: None,
            };
            column_tests(entry, &target, &mut props.tests);
            props.patches.push((key.to_string(), entry.clone()));
        }
    }
    if let Some(Value::Array(sources)) = map.get("sources") {
        for source in sources {
            let Some(source_name) = source.get("name").and_then(Value::as_str) else {
                props.diagnostics.push(
                    Diagnostic::error(codes::PROPERTIES, "a source has no `name`")
                        .at(&path, super::yaml::find_line(&text, "sources")),
                );
                continue;
            };
            if let Some(Value::Array(tables)) = source.get("tables") {
                for table in tables {
                    let Some(table_name) = table.get("name").and_then(Value::as_str) else {
                        continue;
                    };
                    let target = TestTarget::Source {
                        source: source_name.to_string(),
                        table: table_name.to_string(),
                    };
                    column_tests(table, &target, &mut props.tests);
                }
            }
            props.sources.push(source.clone());
        }
    }
    if let Some(Value::Array(macros)) = map.get("macros") {
        props.macros.extend(macros.iter().cloned());
    }
    match map.get("unit_tests") {
        Some(Value::Array(units)) => props.unit_tests.extend(units.iter().cloned()),
        None | Some(Value::Null) => {}
        Some(_) => props.diagnostics.push(
            Diagnostic::error(codes::PROPERTIES, "`unit_tests` must be a list")
                .at(&path, super::yaml::find_line(&text, "unit_tests")),
        ),
    }
    props
}
