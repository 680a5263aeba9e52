//! profiles.yml: the active profile and target (`--target` or the profile's `target:`),
//! with `env_var()` rendered inside values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::config::project_config;
use super::yaml::parse_yaml;
use crate::db::{Db, Project};
use crate::diagnostics::{Diagnostic, codes};

/// The resolved target: what `target` is in Jinja and what an adapter connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub profile_name: String,
    pub name: String,
    pub adapter_type: String,
    pub database: String,
    pub schema: String,
    pub threads: u64,
    /// Every key of the output, env_var() rendered (secrets stay here, never printed).
    pub fields: Map<String, Value>,
}

impl Target {
    /// A target for compiling without any profile: DuckDB in memory.
    pub fn fallback(profile: &str) -> Target {
        Target {
            profile_name: profile.into(),
            name: "dev".into(),
            adapter_type: "duckdb".into(),
            database: "memory".into(),
            schema: "main".into(),
            threads: 1,
            fields: Map::new(),
        }
    }

    /// The `target` object as Jinja sees it (passwords left out).
    pub fn to_jinja(&self) -> Value {
        let mut map = Map::new();
        for (k, v) in &self.fields {
            if k != "password" && k != "pass" && k != "token" {
                map.insert(k.clone(), v.clone());
            }
        }
        map.insert("name".into(), self.name.clone().into());
        map.insert("target_name".into(), self.name.clone().into());
        map.insert("profile_name".into(), self.profile_name.clone().into());
        map.insert("type".into(), self.adapter_type.clone().into());
        map.insert("database".into(), self.database.clone().into());
        map.insert("schema".into(), self.schema.clone().into());
        map.insert("threads".into(), self.threads.into());
        Value::Object(map)
    }
}

/// Where profiles.yml is looked up: `--profiles-dir`, `DBT_PROFILES_DIR`, the project
/// folder, then `~/.dbt` (dbt's order).
pub fn profiles_path(
    project_dir: &Path,
    profiles_dir: Option<&Path>,
    env: &BTreeMap<String, String>,
) -> PathBuf {
    if let Some(dir) = profiles_dir {
        return dir.join("profiles.yml");
    }
    if let Some(dir) = env.get("DBT_PROFILES_DIR") {
        return PathBuf::from(dir).join("profiles.yml");
    }
    let local = project_dir.join("profiles.yml");
    if local.is_file() {
        return local;
    }
    match env.get("HOME") {
        Some(home) => PathBuf::from(home).join(".dbt").join("profiles.yml"),
        None => local,
    }
}

/// Renders `{{ env_var(...) }}` (and other simple Jinja) inside profile values.
fn render_value(value: &Value, env: &BTreeMap<String, String>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) if s.contains("{{") || s.contains("{%") => {
            let mut jinja = minijinja::Environment::new();
            let vars = env.clone();
            jinja.add_function(
                "env_var",
                move |name: String,
                      default: Option<minijinja::Value>|
                      -> Result<minijinja::Value, minijinja::Error> {
                    match (vars.get(&name), default) {
                        (Some(v), _) => Ok(v.clone().into()),
                        (None, Some(d)) => Ok(d),
                        (None, None) => Err(minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("Env var required but not provided: '{name}'"),
                        )),
                    }
                },
            );
            // dbt's native-type filters: the rendered text is typed below anyway.
            for name in ["as_number", "as_text", "as_bool", "as_native"] {
                jinja.add_filter(name, |v: minijinja::Value| v);
            }
            let out = jinja.render_str(s, ()).map_err(|e| e.to_string())?;
            match out.trim() {
                "True" | "true" => Value::Bool(true),
                "False" | "false" => Value::Bool(false),
                t => t
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or(Value::String(out)),
            }
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), render_value(v, env)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_value(v, env))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

fn duckdb_database(fields: &Map<String, Value>) -> String {
    if let Some(db) = fields.get("database").and_then(Value::as_str) {
        return db.to_string();
    }
    match fields.get("path").and_then(Value::as_str) {
        None | Some(":memory:") | Some("") => "memory".into(),
        Some(path) => {
            let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
            let stem = name.split('.').next().unwrap_or(name);
            if path.starts_with("md:") {
                path.trim_start_matches("md:")
                    .split('?')
                    .next()
                    .unwrap_or("")
                    .to_string()
            } else {
                stem.to_string()
            }
        }
    }
}

/// The active target from profiles.yml and `--target`, or a diagnostic. Reads profiles.yml
/// and the root project's `profile:`.
/// The diagnostic is boxed: the Ok side is what every render reads.
#[salsa::tracked(returns(ref))]
pub fn target(db: &dyn Db, project: Project) -> Result<Target, Box<Diagnostic>> {
    target_impl(db, project).map_err(Box::new)
}

#[expect(
    clippy::result_large_err,
    reason = "boxed by `target`, the only caller; `?` on diagnostics stays simple here"
)]
fn target_impl(db: &dyn Db, project: Project) -> Result<Target, Diagnostic> {
    let config = project_config(db, project);
    let settings = project.settings(db);
    let mut profile_name = config
        .root
        .profile
        .clone()
        .unwrap_or_else(|| config.root.name.clone());
    // dbt renders `profile:` before it knows a target: env_var() and --vars only.
    if super::render::has_jinja(&profile_name) {
        let renderer = super::render::ProjectRenderer::new(None, &settings.cli_vars, &settings.env);
        match renderer.render(&profile_name) {
            Ok(Value::String(name)) => profile_name = name,
            Ok(other) => profile_name = other.to_string(),
            Err(e) => {
                return Err(Diagnostic::error(
                    codes::PROJECT,
                    format!(
                        "Could not render {profile_name}: {}",
                        e.detail().unwrap_or("")
                    ),
                )
                .at(config.root.root.join("dbt_project.yml"), None)
                .with_hint("`profile:` can use env_var() and --vars"));
            }
        }
    }
    let file = project.profiles(db);
    let path = file.path(db).clone();
    let Some(text) = file.contents(db) else {
        return Err(Diagnostic::error(
            codes::PROFILE,
            format!("profiles.yml not found at {}", path.display()),
        )
        .at(&path, None)
        .with_hint("create profiles.yml or pass --profiles-dir / set DBT_PROFILES_DIR"));
    };
    let raw = parse_yaml(&text, &path)?;
    let Some(profile) = raw.get(&profile_name) else {
        return Err(Diagnostic::error(
            codes::PROFILE,
            format!("profile `{profile_name}` not found in profiles.yml"),
        )
        .at(&path, None)
        .with_hint("the profile name comes from `profile:` in dbt_project.yml"));
    };
    let target_name = settings
        .target
        .clone()
        .or_else(|| {
            profile
                .get("target")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "dev".into());
    let Some(output) = profile.get("outputs").and_then(|o| o.get(&target_name)) else {
        return Err(Diagnostic::error(
            codes::PROFILE,
            format!("target `{target_name}` not found in profile `{profile_name}`"),
        )
        .at(&path, super::yaml::find_line(&text, &profile_name))
        .with_hint("check `outputs:` of the profile or the --target flag"));
    };
    let rendered = render_value(output, &settings.env).map_err(|e| {
        Diagnostic::error(
            codes::PROFILE,
            format!("could not render profile `{profile_name}`: {e}"),
        )
        .at(&path, None)
    })?;
    let fields = match rendered {
        Value::Object(map) => map,
        _ => {
            return Err(Diagnostic::error(
                codes::PROFILE,
                format!("target `{target_name}` is not a mapping"),
            )
            .at(&path, None));
        }
    };
    let adapter_type = fields
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("duckdb")
        .to_string();
    let database = match adapter_type.as_str() {
        "duckdb" => duckdb_database(&fields),
        _ => fields
            .get("dbname")
            .or_else(|| fields.get("database"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    };
    let schema = fields
        .get("schema")
        .and_then(Value::as_str)
        .unwrap_or("main")
        .to_string();
    let threads = fields.get("threads").and_then(Value::as_u64).unwrap_or(1);
    Ok(Target {
        profile_name,
        name: target_name,
        adapter_type,
        database,
        schema,
        threads,
        fields,
    })
}
