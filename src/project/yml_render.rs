//! Properties yml as dbt renders it when it parses the file: string values with Jinja are
//! rendered with `target`, `env_var()` and `var()` (command-line vars, then the root
//! project's vars for the file's package, then the package's own), a lone `{{ expr }}`
//! keeping its type. Left for later, as dbt does: descriptions (rendered with the docs),
//! `tests`/`data_tests` (their arguments are rendered when the test compiles),
//! `loaded_at_query`, and `config.pre_hook`/`config.post_hook`.

use serde_json::{Map, Value};

use super::config::{ProjectConfig, project_config};
use super::profiles::target;
use super::properties::{Properties, properties};
use super::render::{ProjectRenderer, contains_jinja};
use super::yaml::find_line;
use crate::db::{Db, File, Project};
use crate::diagnostics::{Diagnostic, codes};

/// A rendered source entry keeps its written `schema`/`database` under this prefix.
pub const UNRENDERED_PREFIX: &str = "__unrendered_";

const LATER: &[&str] = &["tests", "data_tests", "description", "loaded_at_query"];

/// dbt's keys of an entry (a model, a source table, a column, ...) that are not rendered
/// with the file: descriptions, tests, hooks, `loaded_at_query`.
fn rendered_later(path: &[&str]) -> bool {
    match path {
        [first, ..] if LATER.contains(first) => true,
        [_, second] if LATER.contains(second) => true,
        ["config", "pre_hook" | "post_hook" | "loaded_at_query", ..] => true,
        [_, _, _, _, "description"] => true,
        [
            "columns" | "dimensions" | "measures" | "entities",
            _,
            third,
            ..,
        ] => {
            matches!(*third, "tests" | "data_tests" | "description")
        }
        _ => false,
    }
}

/// Whether dbt renders the value at `path` of an entry of section `key`.
fn renders(key: &str, path: &[&str]) -> bool {
    match key {
        "sources" => match path {
            ["description" | "loaded_at_query", ..] => false,
            ["config", "loaded_at_query", ..] => false,
            ["tables", _, rest @ ..] => !rendered_later(rest),
            _ => true,
        },
        "macros" => match path {
            ["arguments", rest @ ..] => !rendered_later(rest),
            _ => !rendered_later(path),
        },
        _ => !rendered_later(path),
    }
}

struct Walk<'a> {
    key: &'a str,
    renderer: &'a ProjectRenderer,
    file: &'a std::path::Path,
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl Walk<'_> {
    fn value(&mut self, value: &mut Value, path: &mut Vec<String>) {
        match value {
            Value::String(s) if s.contains("{{") || s.contains("{%") => {
                let keys: Vec<&str> = path.iter().map(String::as_str).collect();
                if !renders(self.key, &keys) {
                    return;
                }
                match self.renderer.render(s) {
                    Ok(v) => *value = v,
                    Err(e) => self.diagnostics.push(
                        Diagnostic::error(
                            codes::PROPERTIES,
                            format!("Could not render {s}: {}", e.detail().unwrap_or("")),
                        )
                        .at(self.file, find_line(self.text, s))
                        .with_hint("properties yml can use target, env_var() and var()"),
                    ),
                }
            }
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    path.push(k.clone());
                    self.value(v, path);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    path.push(i.to_string());
                    self.value(v, path);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

/// The vars `var()` sees in a properties file of `package`: the package's own, then the root
/// project's (global ones and those scoped to the package), then the command line's.
pub(crate) fn package_vars(
    config: &ProjectConfig,
    package: &str,
    cli: &Value,
) -> Map<String, Value> {
    let names: Vec<&str> = config.all().map(|p| p.name.as_str()).collect();
    let mut out = Map::new();
    let mut take = |vars: Option<&Value>| {
        let Some(Value::Object(vars)) = vars else {
            return;
        };
        for (k, v) in vars {
            match v {
                Value::Object(scoped) if names.contains(&k.as_str()) => {
                    if k == package {
                        out.extend(scoped.iter().map(|(sk, sv)| (sk.clone(), sv.clone())));
                    }
                }
                _ if names.contains(&k.as_str()) => {}
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    };
    if let Some(pkg) = config.package(package).filter(|p| !p.is_root) {
        take(pkg.section("vars"));
    }
    take(config.root.section("vars"));
    if let Value::Object(cli) = cli {
        out.extend(cli.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    out
}

/// The renderer of properties yml values of `package` (also generic tests' configs). Reads
/// the project config, the target and the settings.
pub fn yml_renderer(db: &dyn Db, project: Project, package: &str) -> ProjectRenderer {
    let config = project_config(db, project);
    let settings = project.settings(db);
    let vars = package_vars(config, package, &settings.cli_vars);
    // Without a usable profile (reported on its own), DuckDB in memory, as renders use.
    let target = target(db, project)
        .as_ref()
        .ok()
        .cloned()
        .unwrap_or_else(|| super::profiles::Target::fallback(&config.root.name));
    ProjectRenderer::with_vars(Some(&target), vars, &settings.env, "<Configuration>")
}

/// A generic test's config values that are strings with Jinja, rendered as dbt's test
/// builder does (natively, with the properties yml context); a value that fails to render
/// stays as written (its test then reports it when it compiles).
pub fn render_test_config(
    db: &dyn Db,
    project: Project,
    package: &str,
    config: &mut indexmap::IndexMap<String, Value>,
) {
    let mut renderer = None;
    for (key, value) in config.iter_mut() {
        let Value::String(text) = value else { continue };
        if key.starts_with("__") || !super::render::has_jinja(text) {
            continue;
        }
        let r = renderer.get_or_insert_with(|| yml_renderer(db, project, package));
        if let Ok(rendered) = r.render(text) {
            *value = rendered;
        }
    }
}

/// A properties file as dbt sees it after rendering: [`rendered_properties`] when the file
/// holds Jinja, else the parsed file itself (no copy).
pub fn effective_properties(db: &dyn Db, project: Project, file: File) -> &Properties {
    match rendered_properties(db, project, file) {
        Some(rendered) => rendered,
        None => properties(db, file),
    }
}

/// A properties file with its entries (models, seeds, snapshots, analyses, sources, macros)
/// rendered as dbt renders them at parse; tests are not (dbt names and hashes generic tests
/// from the unrendered entries). None when no entry holds Jinja (most files: no copy is
/// kept). Reads the file's parsed properties and, only when some value holds Jinja, the
/// project config, the target and the settings.
#[salsa::tracked(returns(ref))]
pub fn rendered_properties(db: &dyn Db, project: Project, file: File) -> Option<Properties> {
    let props = properties(db, file);
    let has_jinja = props.patches.iter().any(|(_, e)| contains_jinja(e))
        || props.sources.iter().any(contains_jinja)
        || props.macros.iter().any(contains_jinja);
    if !has_jinja {
        return None;
    }
    let package = project_config(db, project)
        .package_of(file.path(db))
        .name
        .clone();
    let renderer = yml_renderer(db, project, &package);
    let mut out = props.clone();
    let mut walk = Walk {
        key: "",
        renderer: &renderer,
        file: file.path(db),
        text: file.text(db),
        diagnostics: Vec::new(),
    };
    for (key, entry) in &mut out.patches {
        walk.key = key;
        walk.value(entry, &mut Vec::new());
    }
    walk.key = "sources";
    for source in &mut out.sources {
        // dbt keeps a source's schema and database as written too (unrendered_schema,
        // unrendered_database in the manifest).
        let written: Vec<(String, Value)> = ["schema", "database"]
            .into_iter()
            .filter_map(|k| Some((format!("{UNRENDERED_PREFIX}{k}"), source.get(k)?.clone())))
            .collect();
        walk.value(source, &mut Vec::new());
        if let Value::Object(map) = source {
            map.extend(written);
        }
    }
    walk.key = "macros";
    for entry in &mut out.macros {
        walk.value(entry, &mut Vec::new());
    }
    out.diagnostics.extend(walk.diagnostics);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_tests_and_hooks_are_rendered_later() {
        assert!(!renders("models", &["description"]));
        assert!(!renders("models", &["columns", "0", "description"]));
        assert!(!renders("models", &["columns", "0", "data_tests", "0"]));
        assert!(!renders("models", &["config", "pre_hook"]));
        assert!(renders("models", &["config", "alias"]));
        assert!(renders("models", &["columns", "0", "meta", "x"]));
        assert!(!renders("sources", &["description"]));
        assert!(!renders("sources", &["tables", "0", "description"]));
        assert!(!renders(
            "sources",
            &["tables", "0", "columns", "1", "description"]
        ));
        assert!(renders("sources", &["schema"]));
        assert!(renders("sources", &["tables", "0", "identifier"]));
    }
}
