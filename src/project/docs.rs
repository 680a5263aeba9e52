//! `{% docs %}` blocks (in .md files under the docs paths, and in macro files) and the
//! `doc()` calls that descriptions in properties yml use.

use std::sync::Arc;

use indexmap::IndexMap;

use super::config::project_config;
use crate::db::{Db, File, Project};
use crate::jinja::blocks::find_blocks;

/// A docs block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocBlock {
    pub package: String,
    pub name: String,
    pub contents: String,
    pub original_file_path: String,
}

/// The docs blocks of one file: (name, contents).
#[salsa::tracked(returns(ref))]
pub fn file_docs(db: &dyn Db, file: File) -> Vec<(String, String)> {
    let text = file.text(db);
    find_blocks(text)
        .0
        .into_iter()
        .filter(|b| b.kind == "docs")
        .map(|b| {
            (
                b.name.clone(),
                text[b.body_start..b.body_end].trim().to_string(),
            )
        })
        .collect()
}

/// Every docs block by `package.name`. Reads the file list and the .md files under each
/// package's docs paths.
#[salsa::tracked(returns(clone))]
pub fn docs_index(db: &dyn Db, project: Project) -> Arc<IndexMap<String, DocBlock>> {
    let config = project_config(db, project);
    let mut out = IndexMap::new();
    for file in project.files(db) {
        let path = file.path(db);
        if path.extension().is_none_or(|e| e != "md") || !file.present(db) {
            continue;
        }
        let pkg = config.package_of(path);
        let Ok(rel) = path.strip_prefix(&pkg.root) else {
            continue;
        };
        if !pkg.docs_paths.iter().any(|d| rel.starts_with(d)) {
            continue;
        }
        for (name, contents) in file_docs(db, *file) {
            out.insert(
                format!("{}.{}", pkg.name, name),
                DocBlock {
                    package: pkg.name.clone(),
                    name: name.clone(),
                    contents: contents.clone(),
                    original_file_path: rel.to_string_lossy().replace('\\', "/"),
                },
            );
        }
    }
    Arc::new(out)
}

/// Renders a description that calls `doc('name')` or `doc('package', 'name')`; other text
/// is returned as is.
pub fn render_description(text: &str, package: &str, docs: &IndexMap<String, DocBlock>) -> String {
    render_description_with(text, package, docs, None)
}

/// What dbt's docs context offers descriptions besides `doc()`: `target`, `var()` (the
/// properties yml's vars, as written) and `env_var()`.
#[derive(Debug, Clone, Default)]
pub struct DescriptionGlobals {
    pub target: serde_json::Value,
    pub vars: serde_json::Map<String, serde_json::Value>,
    pub env: std::collections::BTreeMap<String, String>,
}

impl DescriptionGlobals {
    /// The globals for descriptions of `package`. Reads the project config, the target and
    /// the settings.
    pub fn for_package(db: &dyn Db, project: Project, package: &str) -> DescriptionGlobals {
        let config = project_config(db, project);
        let settings = project.settings(db);
        let target = super::profiles::target(db, project)
            .as_ref()
            .ok()
            .cloned()
            .unwrap_or_else(|| super::profiles::Target::fallback(&config.root.name));
        DescriptionGlobals {
            target: target.to_jinja(),
            vars: super::yml_render::package_vars(config, package, &settings.cli_vars),
            env: settings.env.clone(),
        }
    }
}

/// [`render_description`] with dbt's docs context (`globals`) as well.
pub fn render_description_with(
    text: &str,
    package: &str,
    docs: &IndexMap<String, DocBlock>,
    globals: Option<&DescriptionGlobals>,
) -> String {
    if !text.contains("{{") && !text.contains("{%") {
        return text.to_string();
    }
    let mut env = minijinja::Environment::new();
    if let Some(g) = globals {
        env.add_global("target", crate::jinja::to_value(&g.target));
        let vars = g.vars.clone();
        env.add_function(
            "var",
            move |name: String, default: Option<minijinja::Value>| {
                vars.get(&name)
                    .map(crate::jinja::to_value)
                    .or(default)
                    .ok_or_else(|| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("Required var '{name}' not found in config"),
                        )
                    })
            },
        );
        let process_env = g.env.clone();
        env.add_function(
            "env_var",
            move |name: String, default: Option<minijinja::Value>| {
                if name.starts_with("DBT_ENV_SECRET") {
                    return None;
                }
                process_env
                    .get(&name)
                    .map(|v| minijinja::Value::from(v.clone()))
                    .or(default)
            },
        );
    }
    let docs = docs.clone();
    let package = package.to_string();
    env.add_function(
        "doc",
        move |a: String, b: Option<String>| -> Result<String, minijinja::Error> {
            let (pkg, name) = match b {
                Some(name) => (a, name),
                None => (package.clone(), a),
            };
            docs.get(&format!("{pkg}.{name}"))
                .or_else(|| docs.values().find(|d| d.name == name))
                .map(|d| d.contents.clone())
                .ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("Documentation for '{name}' not found"),
                    )
                })
        },
    );
    env.render_str(text, ())
        .unwrap_or_else(|_| text.to_string())
}
