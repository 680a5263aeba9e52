//! dbt_project.yml as dbt renders it when it loads a project: every string value with Jinja
//! in it is rendered with `target` (the active profile target), `env_var()` and the
//! command-line `--vars`. The project's own `vars:` are not visible there (dbt's renderer
//! is built before them), and these keys are left for later, as dbt does:
//! `on-run-start`/`on-run-end`/`query-comment` (run time), `vars` (rendered by `var()`
//! when a node reads them), and `pre-hook`/`post-hook` under models, seeds, snapshots and
//! tests (rendered when the node runs).
//!
//! A value that is one `{{ expression }}` keeps its type (`"{{ target.name == 'ci' }}"` is a
//! boolean, `"{{ target.threads }}"` a number), as dbt's native rendering does; any other
//! template renders to a string.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{Environment, Error, ErrorKind};
use serde_json::{Map, Value};

use super::config::{ProjectConfig, project_config};
use super::profiles::{Target, target};
use super::yaml::find_line;
use crate::db::{Db, Project};
use crate::diagnostics::{Diagnostic, codes};

/// Top-level dbt_project.yml keys dbt does not render at load.
const UNRENDERED_TOP: &[&str] = &["on-run-start", "on-run-end", "query-comment", "vars"];
/// Sections whose hooks are rendered when a node runs, not at load.
const HOOKED_SECTIONS: &[&str] = &["models", "seeds", "snapshots", "tests", "data_tests"];
const HOOK_KEYS: &[&str] = &["pre-hook", "post-hook", "pre_hook", "post_hook"];

/// Whether dbt renders the value at `path` (keys from the top of dbt_project.yml).
pub fn renders_keypath(path: &[&str]) -> bool {
    let Some(first) = path.first() else {
        return true;
    };
    if UNRENDERED_TOP.contains(first) {
        return false;
    }
    if HOOKED_SECTIONS.contains(first) {
        return !path
            .iter()
            .any(|k| HOOK_KEYS.contains(&k.trim_start_matches(['+', ' '])));
    }
    true
}

/// Renders dbt_project.yml values: a minijinja environment with `target`, `env_var` and
/// `var` (command-line vars only).
pub struct ProjectRenderer {
    env: Environment<'static>,
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

/// `"True"`/`"3"`/`"None"` as Python's literal_eval reads them (dbt's `as_bool`,
/// `as_number` and `as_native` filters); anything else stays a string.
fn literal(value: minijinja::Value) -> minijinja::Value {
    let Some(text) = value.as_str() else {
        return value;
    };
    let t = text.trim();
    match t {
        "True" => true.into(),
        "False" => false.into(),
        "None" => minijinja::Value::from(()),
        _ => t
            .parse::<i64>()
            .map(minijinja::Value::from)
            .or_else(|_| t.parse::<f64>().map(minijinja::Value::from))
            .unwrap_or(value),
    }
}

impl ProjectRenderer {
    pub fn new(
        target: Option<&Target>,
        cli_vars: &Value,
        env_vars: &BTreeMap<String, String>,
    ) -> ProjectRenderer {
        let vars: Map<String, Value> = cli_vars.as_object().cloned().unwrap_or_default();
        ProjectRenderer::with_vars(target, vars, env_vars, "<Configuration>")
    }

    /// A renderer whose `var()` sees `vars` (`who` names the reader in a missing-var error).
    pub fn with_vars(
        target: Option<&Target>,
        vars: Map<String, Value>,
        env_vars: &BTreeMap<String, String>,
        who: &str,
    ) -> ProjectRenderer {
        let who = who.to_string();
        let mut env = Environment::new();
        if let Some(t) = target {
            env.add_global("target", crate::jinja::to_value(t.to_jinja()));
        }
        let process_env = env_vars.clone();
        env.add_function(
            "env_var",
            move |name: String, default: Option<minijinja::Value>| {
                if name.starts_with("DBT_ENV_SECRET") {
                    return Err(invalid(format!(
                        "Secret env vars are allowed only in profiles.yml or packages.yml. Found '{name}' referenced elsewhere."
                    )));
                }
                match (process_env.get(&name), default) {
                    (Some(v), _) => Ok(minijinja::Value::from(v.clone())),
                    (None, Some(d)) => Ok(d),
                    (None, None) => Err(invalid(format!(
                        "Env var required but not provided: '{name}'"
                    ))),
                }
            },
        );
        env.add_function(
            "var",
            move |name: String, default: Option<minijinja::Value>| match (vars.get(&name), default)
            {
                (Some(v), _) => Ok(crate::jinja::to_value(v)),
                (None, Some(d)) => Ok(d),
                (None, None) => Err(invalid(format!(
                    "Required var '{name}' not found in config:\nVars supplied to {who} = {}",
                    serde_json::to_string(&vars).unwrap_or_default()
                ))),
            },
        );
        for name in ["as_bool", "as_number", "as_native"] {
            env.add_filter(name, literal);
        }
        env.add_filter("as_text", |v: minijinja::Value| v.to_string());
        ProjectRenderer { env }
    }

    /// One value rendered as dbt does: a lone `{{ expression }}` keeps its type, any other
    /// template becomes a string.
    pub fn render(&self, text: &str) -> Result<Value, Error> {
        if let Some(expr) = lone_expression(text)
            && let Ok(compiled) = self.env.compile_expression(expr)
        {
            let value = compiled.eval(())?;
            if value.is_undefined() {
                return Ok(Value::String(String::new()));
            }
            return serde_json::to_value(&value).map_err(|e| invalid(e.to_string()));
        }
        self.env.render_str(text, ()).map(Value::String)
    }
}

/// The expression of a template that is exactly one `{{ ... }}`.
fn lone_expression(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") || inner.contains("{%") {
        return None;
    }
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    Some(inner.trim())
}

pub fn has_jinja(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

/// Renders, in place, every value of `value` below `path` that dbt renders at load; errors
/// become diagnostics on `file` and leave the value as written.
fn render_tree(
    value: &mut Value,
    path: &mut Vec<String>,
    renderer: &ProjectRenderer,
    (file, text): (&Path, &str),
    diagnostics: &mut Vec<Diagnostic>,
) {
    match value {
        Value::String(s) if has_jinja(s) => {
            let keys: Vec<&str> = path.iter().map(String::as_str).collect();
            if !renders_keypath(&keys) {
                return;
            }
            match renderer.render(s) {
                Ok(rendered) => *value = rendered,
                Err(e) => diagnostics.push(
                    Diagnostic::error(
                        codes::PROJECT,
                        format!("Could not render {s}: {}", e.detail().unwrap_or("")),
                    )
                    .at(file, find_line(text, s))
                    .with_hint(
                        "dbt_project.yml can use target, env_var() and --vars; the project's own vars are not visible there",
                    ),
                ),
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                path.push(k.clone());
                render_tree(v, path, renderer, (file, text), diagnostics);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                render_tree(v, path, renderer, (file, text), diagnostics);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The root project and packages with their dbt_project.yml values rendered (see the module
/// doc); `diagnostics` holds only the values that failed to render. Reads the project
/// config, the target and the settings (vars and environment).
#[salsa::tracked(returns(ref))]
pub fn rendered_project_config(db: &dyn Db, project: Project) -> ProjectConfig {
    let config = project_config(db, project);
    let settings = project.settings(db);
    // Without a usable profile (reported on its own), DuckDB in memory, as renders use.
    let target = target(db, project)
        .as_ref()
        .ok()
        .cloned()
        .unwrap_or_else(|| Target::fallback(&config.root.name));
    let mut out = config.clone();
    out.diagnostics.clear();
    if !out.all().any(|p| contains_jinja(&p.raw)) {
        return out;
    }
    let renderer = ProjectRenderer::new(Some(&target), &settings.cli_vars, &settings.env);
    let files = project.files(db);
    let mut diagnostics = Vec::new();
    for pkg in std::iter::once(&mut out.root).chain(out.packages.iter_mut()) {
        if !contains_jinja(&pkg.raw) {
            continue;
        }
        let path = pkg.root.join("dbt_project.yml");
        let text = files
            .iter()
            .find(|f| f.path(db) == &path)
            .map(|f| f.text(db).clone())
            .unwrap_or_default();
        render_tree(
            &mut pkg.raw,
            &mut Vec::new(),
            &renderer,
            (&path, &text),
            &mut diagnostics,
        );
    }
    out.diagnostics = diagnostics;
    out
}

pub(super) fn contains_jinja(value: &Value) -> bool {
    match value {
        Value::String(s) => has_jinja(s),
        Value::Object(m) => m.values().any(contains_jinja),
        Value::Array(a) => a.iter().any(contains_jinja),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renderer() -> ProjectRenderer {
        let mut t = Target::fallback("p");
        t.name = "ci".into();
        t.threads = 4;
        let cli = serde_json::json!({"n": 3});
        ProjectRenderer::new(Some(&t), &cli, &BTreeMap::new())
    }

    #[test]
    fn lone_expressions_keep_their_type() {
        let r = renderer();
        assert_eq!(
            r.render("{{ target.name == 'ci' }}").unwrap(),
            Value::Bool(true)
        );
        assert_eq!(r.render("{{ target.threads }}").unwrap(), Value::from(4));
        assert_eq!(r.render("{{ var('n') }}").unwrap(), Value::from(3));
        assert_eq!(
            r.render("{{ target.name }}_x").unwrap(),
            Value::from("ci_x")
        );
        assert_eq!(
            r.render("{{ env_var('MISSING', 'd') }}").unwrap(),
            Value::from("d")
        );
        assert_eq!(
            r.render("{{ env_var('MISSING', '7') | as_number }}")
                .unwrap(),
            Value::from(7)
        );
    }

    #[test]
    fn missing_vars_and_env_vars_are_errors() {
        let r = renderer();
        assert!(r.render("{{ var('project_only') }}").is_err());
        assert_eq!(
            r.render("{{ var('project_only', 'd') }}").unwrap(),
            Value::from("d")
        );
        assert!(r.render("{{ env_var('MISSING') }}").is_err());
        assert!(r.render("{{ env_var('DBT_ENV_SECRET_X', 'a') }}").is_err());
    }

    #[test]
    fn a_value_that_fails_is_a_diagnostic_at_its_line() {
        let text = "name: p\nmodels:\n  p:\n    +enabled: \"{{ var('only_in_project') }}\"\n";
        let mut raw = super::super::yaml::parse_yaml(text, Path::new("dbt_project.yml")).unwrap();
        let mut diags = Vec::new();
        let file = Path::new("dbt_project.yml");
        render_tree(
            &mut raw,
            &mut Vec::new(),
            &renderer(),
            (file, text),
            &mut diags,
        );
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].message.contains("only_in_project"),
            "{}",
            diags[0].message
        );
        assert_eq!(diags[0].span.as_ref().map(|s| s.line), Some(4));
        // The value stays as written.
        assert_eq!(
            raw["models"]["p"]["+enabled"],
            "{{ var('only_in_project') }}"
        );
    }

    #[test]
    fn hooks_run_hooks_and_vars_stay_unrendered() {
        assert!(!renders_keypath(&["on-run-start", "0"]));
        assert!(!renders_keypath(&["vars", "x"]));
        assert!(!renders_keypath(&["models", "p", "+pre-hook"]));
        assert!(!renders_keypath(&["seeds", "p", "post-hook", "0"]));
        assert!(renders_keypath(&["models", "p", "+schema"]));
        assert!(renders_keypath(&["sources", "p", "+pre-hook"]));
    }
}
