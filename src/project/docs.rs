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
    if !text.contains("{{") {
        return text.to_string();
    }
    let mut env = minijinja::Environment::new();
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
