//! `on-run-start` and `on-run-end` hooks of dbt_project.yml (the root project's, then each
//! package's, as dbt orders them), run around the nodes of `seed`, `run`, `test`,
//! `snapshot` and `build`: each hook (a string, or a list of them) is rendered with the
//! run's context against the run's connection, then executed. `on-run-end` hooks see
//! `results` (the nodes' results: `status`, `message`, `execution_time`, `failures`,
//! `thread_id`, `adapter_response`, `node` with `unique_id`, `name`, `resource_type`,
//! `schema`, ...), `schemas` and `database_schemas`, as in dbt. A failing hook skips the
//! hooks after it; the nodes still run. Their results go to run_results.json with
//! `thread_id` `main`, and they count in the summary as `project hook`s.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use chrono::Utc;
use serde_json::{Value, json};

use super::console::{Console, Event, Level, justified};
use super::interrupt::interrupted;
use super::jobs::{Done, Job, Work};
use super::live_template::{Template, jinja_string, render_with_connection};
use crate::artifacts::run_results::{NodeResult, Status};
use crate::db::NodeKey;
use crate::db::{Project, RootDb};
use crate::exec::Adapter;
use crate::jinja::nodes::{node_config, node_info};
use crate::project::config::project_config;

/// Which hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    Start,
    End,
}

impl HookKind {
    fn key(self) -> &'static str {
        match self {
            HookKind::Start => "on-run-start",
            HookKind::End => "on-run-end",
        }
    }
}

/// One hook as written in a dbt_project.yml.
#[derive(Debug, Clone)]
pub struct Hook {
    pub package: String,
    /// Its position among its package's hooks of this kind.
    pub index: usize,
    pub sql: String,
    pub file: PathBuf,
}

/// The hooks of `kind`: the root project's, then each package's (by name).
pub fn project_hooks(db: &RootDb, project: Project, kind: HookKind) -> Vec<Hook> {
    let config = project_config(db, project);
    let mut hooks = Vec::new();
    for pkg in config.all() {
        let entries: Vec<&Value> = match pkg.section(kind.key()) {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(Value::Null) | None => Vec::new(),
            Some(one) => vec![one],
        };
        let texts = entries.into_iter().filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            // `{sql: ..., transaction: ...}`: the SQL (every hook runs outside a
            // transaction here).
            Value::Object(m) => m.get("sql").and_then(Value::as_str).map(str::to_string),
            Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
            _ => None,
        });
        for (index, sql) in texts.enumerate() {
            hooks.push(Hook {
                package: pkg.name.clone(),
                index,
                sql,
                file: pkg.root.join("dbt_project.yml"),
            });
        }
    }
    hooks
}

/// What `on-run-end` hooks see.
pub struct EndContext {
    pub results: Value,
    pub schemas: Vec<String>,
    pub database_schemas: Vec<(String, String)>,
}

/// What `results[i].node` says beyond the job: config, tags, fqn, path; for a hook, its
/// package's model config as dbt gives it (and its kind as a tag).
pub fn node_extra(db: &RootDb, project: Project, schema: &str, database: &str, uid: &str) -> Value {
    if let Some(rest) = uid.strip_prefix("operation.") {
        let package = rest.split('.').next().unwrap_or_default();
        let kind = if uid.contains("-on-run-end-") {
            "on-run-end"
        } else {
            "on-run-start"
        };
        let config = project_config(db, project);
        let models = config
            .package(package)
            .and_then(|p| p.section("models"))
            .and_then(|m| m.get(package))
            .cloned()
            .unwrap_or(Value::Null);
        let setting = |k: &str| models.get(format!("+{k}")).or(models.get(k)).cloned();
        let mut tags = vec![json!(kind)];
        match setting("tags") {
            Some(Value::Array(list)) => tags.extend(list),
            Some(Value::String(one)) => tags.push(json!(one)),
            _ => {}
        }
        let materialized = setting("materialized").unwrap_or(json!("view"));
        return json!({
            "config": {"materialized": materialized, "tags": tags},
            "tags": tags,
            "schema": schema,
            "database": database,
        });
    }
    let key = NodeKey::new(db, uid.to_string());
    let config: serde_json::Map<String, Value> = node_config(db, project, key)
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let info = node_info(db, project, key).clone();
    json!({
        "tags": config.get("tags").cloned().unwrap_or(json!([])),
        "meta": config.get("meta").cloned().unwrap_or(json!({})),
        "config": config,
        "fqn": info.as_ref().map(|n| n.fqn.clone()),
        "path": info.as_ref().map(|n| n.path.clone()),
    })
}

fn time(t: &chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The database part of `"db"."schema"."name"`.
pub fn database_of(relation_name: &str) -> String {
    relation_name
        .strip_prefix('"')
        .and_then(|r| r.split_once('"'))
        .map(|(db, _)| db.to_string())
        .unwrap_or_default()
}

impl EndContext {
    /// `results`, `schemas` and `database_schemas` of the finished nodes (schemas of the
    /// seeds, models and snapshots that did not fail, as dbt's); `results` starts with the
    /// `on-run-start` hooks that failed, as in dbt. `node_extra` adds to each `node` what
    /// the project knows of it (config, tags, ...).
    pub fn of(
        done: &[(Job, Done)],
        start_hooks: &[(NodeResult, String)],
        thread_of: &dyn Fn(&str) -> String,
        node_extra: &dyn Fn(&str) -> Value,
    ) -> EndContext {
        let mut schemas = BTreeSet::new();
        let mut results = Vec::new();
        for (r, thread) in start_hooks.iter().filter(|(r, _)| r.status.is_error()) {
            let package = r.unique_id.split('.').nth(1).unwrap_or_default();
            let mut result = json!({
                "timing": [
                    {"name": "compile", "started_at": time(&r.started_at), "completed_at": time(&r.started_at)},
                    {"name": "execute", "started_at": time(&r.started_at), "completed_at": time(&r.completed_at)},
                ],
                "status": r.status.as_str(),
                "message": r.message,
                "failures": r.failures,
                "execution_time": r.execution_time(),
                "thread_id": thread,
                "adapter_response": r.adapter_response,
                "node": {
                    "unique_id": r.unique_id,
                    "name": r.unique_id.rsplit('.').next(),
                    "resource_type": "operation",
                    "package_name": package,
                    "original_file_path": "./dbt_project.yml",
                    "compiled_code": r.compiled_code,
                },
            });
            if let (Value::Object(node), Value::Object(extra)) =
                (&mut result["node"], node_extra(&r.unique_id))
            {
                node.extend(extra);
            }
            results.push(result);
        }
        for (job, d) in done {
            let r = &d.result;
            let relational = !matches!(job.work, Work::Test(_));
            let database = database_of(&job.relation_name);
            if relational && !r.status.is_error() && r.status != Status::Skipped {
                schemas.insert((database.clone(), job.relation.schema.clone()));
            }
            let package = job.unique_id.split('.').nth(1).unwrap_or_default();
            let timing = if r.executed {
                json!([
                    {"name": "compile", "started_at": time(&r.started_at), "completed_at": time(&r.started_at)},
                    {"name": "execute", "started_at": time(&r.started_at), "completed_at": time(&r.completed_at)},
                ])
            } else {
                json!([])
            };
            let mut result = json!({
                "status": r.status.as_str(),
                "message": r.message,
                "failures": r.failures,
                "execution_time": if r.executed { r.execution_time() } else { 0.0 },
                "thread_id": thread_of(&job.unique_id),
                "adapter_response": r.adapter_response,
                "node": {
                    "unique_id": job.unique_id,
                    "name": job.name,
                    "resource_type": job.resource(),
                    "package_name": package,
                    "database": database,
                    "schema": job.relation.schema,
                    "alias": job.relation.identifier,
                    "identifier": job.relation.identifier,
                    "relation_name": job.relation_name,
                    "original_file_path": job.original_file_path,
                    "compiled_code": r.compiled_code,
                },
                "timing": timing,
            });
            if let (Value::Object(node), Value::Object(extra)) =
                (&mut result["node"], node_extra(&job.unique_id))
            {
                node.extend(extra);
            }
            results.push(result);
        }
        EndContext {
            results: Value::Array(results),
            schemas: schemas
                .iter()
                .map(|(_, s)| s.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            database_schemas: schemas.into_iter().collect(),
        }
    }

    /// `{% set %}` statements defining the three names, on one line.
    fn prelude(&self) -> String {
        let set = |name: &str, v: Value| {
            format!(
                "{{% set {name} = fromjson({}) %}}",
                jinja_string(&v.to_string())
            )
        };
        format!(
            "{}{}{}",
            set("results", self.results.clone()),
            set("schemas", json!(self.schemas)),
            set("database_schemas", json!(self.database_schemas)),
        )
    }
}

/// Renders and runs `hooks` in order on `adapter`; returns their results (thread `main`).
pub fn run_hooks(
    db: &Mutex<RootDb>,
    project: Project,
    console: &Console,
    adapter: &mut dyn Adapter,
    kind: HookKind,
    hooks: &[Hook],
    end: Option<&EndContext>,
) -> Vec<(NodeResult, String)> {
    let total = hooks.len();
    let prelude = end.map(EndContext::prelude).unwrap_or_default();
    let mut failed = false;
    let mut out = Vec::new();
    for (i, hook) in hooks.iter().enumerate() {
        let name = format!("{}.{}.{i}", hook.package, kind.key());
        let unique_id = format!(
            "operation.{0}.{0}-{1}-{2}",
            hook.package,
            kind.key(),
            hook.index
        );
        let prefix = format!("{} of {total}", i + 1);
        let data = |status: &str| {
            json!({"index": i + 1, "total": total, "statement": name,
                   "node_info": {"unique_id": unique_id, "resource_type": "operation",
                                 "node_name": unique_id.rsplit('.').next(), "node_status": status}})
        };
        let started_at = Utc::now();
        let mut result = NodeResult {
            unique_id: unique_id.clone(),
            status: Status::Skipped,
            started_at,
            completed_at: started_at,
            executed: false,
            adapter_response: json!({}),
            message: Some(format!("{name} skipped")),
            failures: Some(1),
            compiled: Some(true),
            compiled_code: String::new(),
            relation_name: None,
        };
        if failed || interrupted() {
            console.emit(
                &Event::new(
                    "LogHookEndLine",
                    "Q033",
                    Level::Info,
                    justified(&format!("{prefix} SKIP hook: {name}"), "SKIP in 0.00s"),
                )
                .with_data(data("skipped")),
            );
            out.push((result, "main".to_string()));
            continue;
        }
        let t = Instant::now();
        let source = format!("{prelude}{}", hook.sql);
        let template = Template {
            unique_id: unique_id.clone(),
            package: hook.package.clone(),
            name: unique_id.rsplit('.').next().unwrap_or_default().to_string(),
            file: hook.file.clone(),
            source: &source,
        };
        let rendered = render_with_connection(db, project, adapter, &template);
        console.emit(
            &Event::new(
                "LogHookStartLine",
                "Q032",
                Level::Info,
                justified(&format!("{prefix} START hook: {name}"), "RUN"),
            )
            .with_data(data("started")),
        );
        let ran = rendered.and_then(|sql| {
            result.compiled_code = sql.clone();
            if sql.trim().is_empty() {
                Ok(())
            } else {
                console.debug(&format!("On {unique_id}: {sql}"));
                adapter.execute(&sql)
            }
        });
        result.executed = true;
        result.completed_at = Utc::now();
        let secs = t.elapsed().as_secs_f64();
        let (status, info, level) = match &ran {
            Ok(()) => (Status::Success, "OK", Level::Info),
            Err(_) => (Status::Error, "ERROR", Level::Error),
        };
        result.status = status;
        result.failures = Some(i64::from(ran.is_err()));
        result.message = Some(match &ran {
            Ok(()) => format!("{name} passed"),
            Err(e) => format!("{name} failed, error:\n {e}"),
        });
        failed |= ran.is_err();
        let mut end_data = data(status.as_str());
        end_data["status"] = json!(status.as_str());
        end_data["execution_time"] = json!(secs);
        console.emit(
            &Event::new(
                "LogHookEndLine",
                "Q033",
                level,
                justified(
                    &format!("{prefix} {info} hook: {name}"),
                    &format!("{info} in {secs:.2}s"),
                ),
            )
            .with_data(end_data),
        );
        out.push((result, "main".to_string()));
    }
    out
}

/// In run_results.json, a hook skipped after a failure was never compiled: dbt writes
/// `compiled: false` and no code.
pub fn uncompiled_skips(doc: &mut Value) {
    for r in doc["results"].as_array_mut().into_iter().flatten() {
        let hook = r["unique_id"]
            .as_str()
            .is_some_and(|u| u.starts_with("operation."));
        if hook && r["status"] == "skipped" {
            r["compiled"] = Value::Bool(false);
            r["compiled_code"] = Value::Null;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_of_a_relation_name() {
        assert_eq!(super::database_of("\"dev\".\"main\".\"x\""), "dev");
        assert_eq!(super::database_of("main.x"), "");
    }
}
