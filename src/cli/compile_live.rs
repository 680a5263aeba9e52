//! `dbtc compile` renders against the target, as `dbt compile` does, when the target can
//! be reached: the nodes whose templates query data (`run_query`, statement blocks,
//! `get_column_values`, ... or an ephemeral model that does), and the incremental models
//! whose table exists (`is_incremental()` is then true, unless `--full-refresh` or their
//! `full_refresh` config). Their `target/compiled` files and manifest entries then hold
//! what dbt's hold. Everything else is compiled ahead of time, without a connection.
//!
//! A DuckDB target whose database file does not exist yet is not created (its queries
//! could only fail and it holds no table): those nodes keep their ahead-of-time render
//! (introspective ones with a warning). A connection or render that fails is a warning
//! too, so `compile` keeps working offline. The relations of the incremental models are
//! read in one query per compile.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;

use crate::compile::compiles;
use crate::db::{Db, NodeKey, Project, RootDb};
use crate::diagnostics::{Diagnostic, codes};
use crate::exec::Adapter;
use crate::jinja::incremental::{Rerendered, live_render, renders_live};
use crate::jinja::nodes::{active_target, node_config, node_info, node_relation};
use crate::project::nodes::ResourceType;
use crate::project::profiles::{Target, target};

/// What the renders with the database gave.
#[derive(Debug)]
pub struct LiveCompile {
    /// unique_id -> the render with the database, for the nodes rendered again.
    pub nodes: BTreeMap<String, Rerendered>,
    /// Why a node (or all of them) kept its ahead-of-time render.
    pub warnings: Vec<Diagnostic>,
    /// Whether the compile cache may record this compile: it read nothing from the
    /// database, or only the relations of a DuckDB file whose state is in the cache key
    /// ([`stamp_input`]).
    pub reusable: bool,
}

/// The selected nodes that may render differently with the database, in selection order.
#[derive(Debug, Default)]
pub struct LivePlan {
    /// Nodes whose render queries data.
    pub introspective: Vec<String>,
    /// Incremental models whose table may exist (`is_incremental()` asks).
    pub incremental: Vec<String>,
}

impl LivePlan {
    pub fn is_empty(&self) -> bool {
        self.introspective.is_empty() && self.incremental.is_empty()
    }
}

/// The DuckDB file of the target: Some(path) for a file target, None for any other
/// target (in memory, MotherDuck, Postgres).
fn duckdb_file(target: &Target, root: &Path) -> Option<std::path::PathBuf> {
    if target.adapter_type != "duckdb" {
        return None;
    }
    let path = target.fields.get("path").and_then(Value::as_str)?;
    if path.starts_with("md:") {
        return None;
    }
    crate::exec::duckdb::database_path(target, root)
}

/// Whether the target may hold tables: not a DuckDB database in memory or whose file
/// does not exist (one `stat`, no connection).
fn may_hold_tables(target: &Target, root: &Path) -> bool {
    if target.adapter_type != "duckdb" {
        return true;
    }
    match target.fields.get("path").and_then(Value::as_str) {
        None | Some("" | ":memory:") => false,
        Some(p) if p.starts_with("md:") => true,
        Some(_) => duckdb_file(target, root).is_some_and(|p| p.exists()),
    }
}

/// The selected nodes to render with the database; `full_refresh`: `--full-refresh`
/// (incremental models then render as on their first build, ahead of time).
pub fn plan(db: &RootDb, project: Project, selected: &[String], full_refresh: bool) -> LivePlan {
    let root = project.root(db);
    let incremental = !full_refresh && may_hold_tables(&active_target(db, project), root);
    let mut out = LivePlan::default();
    for uid in selected {
        let key = NodeKey::new(db, uid.clone());
        let Some(node) = node_info(db, project, key).as_ref() else {
            continue;
        };
        if !compiles(node.resource_type) {
            continue;
        }
        if renders_live(db, project, key) {
            out.introspective.push(uid.clone());
        }
        if incremental && node.resource_type == ResourceType::Model {
            let config = node_config(db, project, key);
            if config.get("materialized").and_then(Value::as_str) == Some("incremental")
                && config.get("full_refresh").and_then(Value::as_bool) != Some(true)
            {
                out.incremental.push(uid.clone());
            }
        }
    }
    out
}

/// What the compile cache's key must hold of the target so that a cached compile never
/// hides a render with the database: the size and modification time of the DuckDB file
/// (and its WAL), or that it is absent (a build then creates it). Other targets add
/// nothing: a compile that connected to them is not recorded.
pub fn stamp_input(db: &dyn Db, project: Project) -> String {
    let target = active_target(db, project);
    duckdb_file(&target, project.root(db))
        .map(|path| crate::exec::duckdb::file_state(&path))
        .unwrap_or_default()
}

fn unreached(what: &str, n: usize, why: &str, hint: &str) -> Diagnostic {
    Diagnostic::warning(
        codes::WARN,
        format!("{n} {what}, and {why}: they were rendered without it"),
    )
    .with_hint(hint.to_string())
}

const QUERYING: &str = "node(s) query the database while rendering";
const INCREMENTAL: &str = "incremental model(s) may have a table in the database";

/// Renders the nodes of `plan` with the target database: introspective nodes with their
/// queries answered by it, incremental models whose table exists with `is_incremental()`
/// true.
pub fn render_with_database(
    db: &RootDb,
    project: Project,
    plan: &LivePlan,
    root: &Path,
) -> LiveCompile {
    let mut out = LiveCompile {
        nodes: BTreeMap::new(),
        warnings: Vec::new(),
        reusable: plan.introspective.is_empty(),
    };
    if plan.is_empty() {
        return out;
    }
    let Ok(target) = target(db, project) else {
        return out;
    };
    if let Some(path) = duckdb_file(target, root)
        && !path.exists()
    {
        // No table either: the incremental models' first-build render is dbt's.
        if !plan.introspective.is_empty() {
            let why = format!("{} does not exist yet", path.display());
            let hint = "run `dbtc build` first; `dbtc compile` then renders them as dbt does";
            let n = plan.introspective.len();
            out.warnings.push(unreached(QUERYING, n, &why, hint));
        }
        return out;
    }
    tracing::info!(
        introspective = plan.introspective.len(),
        incremental = plan.incremental.len(),
        "compile: connecting to the target"
    );
    // What is read from a DuckDB file is in the cache key; from another database, not.
    out.reusable &= duckdb_file(target, root).is_some();
    let mut adapter = match crate::exec::connect(target, root) {
        Ok(a) => a,
        Err(e) => {
            // A DuckDB file that cannot be opened (written by a newer DuckDB, ...) is
            // opened the same way next time while its state is unchanged, unless another
            // process holds its lock.
            out.reusable &= !e.to_lowercase().contains("lock");
            // The first line: DuckDB's messages go on with advice over several.
            let e = e.lines().next().unwrap_or_default().trim_end_matches('.');
            let why = format!("the target cannot be reached ({e})");
            let hint = "check the connection with `dbtc debug`";
            for (what, n) in [
                (QUERYING, plan.introspective.len()),
                (INCREMENTAL, plan.incremental.len()),
            ] {
                if n > 0 {
                    out.warnings.push(unreached(what, n, &why, hint));
                }
            }
            return out;
        }
    };
    tracing::info!("compile: connected to the target");
    let existing = match existing_tables(db, project, adapter.as_mut(), &plan.incremental) {
        Ok(found) => found,
        Err(e) => {
            let why = format!("their tables could not be listed ({e})");
            let hint = "their compiled files hold the render of a first build";
            let n = plan.incremental.len();
            out.warnings.push(unreached(INCREMENTAL, n, &why, hint));
            BTreeSet::new()
        }
    };
    tracing::info!(
        tables = existing.len(),
        "compile: incremental models' tables listed"
    );
    let introspective: BTreeSet<&String> = plan.introspective.iter().collect();
    let shared = Mutex::new(db.clone());
    let rendered: Mutex<Option<Rerendered>> = Mutex::new(None);
    let render = |uid: &str, this_exists: bool, live: crate::jinja::live::Live| {
        let db = shared.lock().unwrap_or_else(|e| e.into_inner());
        let key = NodeKey::new(&*db, uid.to_string());
        let done = live_render(&*db, project, key, this_exists, Some(&live));
        let result = match &done.node.sql {
            Some(sql) => Ok(sql.to_string()),
            None => Err(failure(&done)),
        };
        *rendered.lock().unwrap_or_else(|e| e.into_inner()) = Some(done);
        result
    };
    let mut record = |uid: &String, result: Result<Rerendered, String>| match result {
        Ok(done) => {
            out.nodes.insert(uid.clone(), done);
        }
        Err(e) => out.warnings.push(
            Diagnostic::warning(
                codes::WARN,
                format!("rendering with the database failed: {e}"),
            )
            .for_node(uid.clone())
            .with_hint("its compiled file holds the render without the database"),
        ),
    };
    for uid in &plan.introspective {
        let this_exists = existing.contains(uid);
        let result =
            super::jit::render_live(adapter.as_mut(), &render, uid, this_exists).and_then(|_| {
                rendered
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .ok_or_else(|| "the node did not render".to_string())
            });
        record(uid, result);
    }
    // The other incremental models query nothing: rendered on every core.
    let incremental_only: Vec<&String> = plan
        .incremental
        .iter()
        .filter(|uid| existing.contains(*uid) && !introspective.contains(uid))
        .collect();
    for (uid, result) in incremental_renders(db, project, &incremental_only) {
        record(uid, result);
    }
    tracing::info!(
        rendered = out.nodes.len(),
        "compile: rendered with the database"
    );
    out
}

/// The renders of incremental models with `is_incremental()` true, on up to as many
/// threads as cores (database clones), in the order of `uids`.
fn incremental_renders<'a>(
    db: &RootDb,
    project: Project,
    uids: &[&'a String],
) -> Vec<(&'a String, Result<Rerendered, String>)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = uids.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = uids
            .chunks(chunk)
            .map(|part| {
                let db = db.clone();
                let handle = scope.spawn(move || {
                    part.iter()
                        .map(|uid| {
                            let key = NodeKey::new(&db, (*uid).clone());
                            let done = live_render(&db, project, key, true, None);
                            let result = match done.node.sql {
                                Some(_) => Ok(done),
                                None => Err(failure(&done)),
                            };
                            (*uid, result)
                        })
                        .collect::<Vec<_>>()
                });
                (part, handle)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(part, h)| {
                h.join().unwrap_or_else(|_| {
                    let panicked = || Err("the render panicked".to_string());
                    part.iter().map(|uid| (*uid, panicked())).collect()
                })
            })
            .collect()
    })
}

fn failure(rendered: &Rerendered) -> String {
    rendered
        .node
        .diagnostics
        .first()
        .map_or("the node did not render".into(), |d| d.message.clone())
}

/// The incremental models of `uids` whose relation is a table in the target, from one
/// query over the schemas they are built in.
fn existing_tables(
    db: &RootDb,
    project: Project,
    adapter: &mut dyn Adapter,
    uids: &[String],
) -> Result<BTreeSet<String>, String> {
    let wanted: Vec<(&String, String, String)> = uids
        .iter()
        .filter_map(|uid| {
            let rel = node_relation(db, project, NodeKey::new(db, uid.clone())).as_ref()?;
            Some((uid, rel.schema.clone()?, rel.identifier.clone()?))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(BTreeSet::new());
    }
    let schemas: BTreeSet<&str> = wanted.iter().map(|(_, s, _)| s.as_str()).collect();
    let literals: Vec<String> = schemas
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "''")))
        .collect();
    let sql = format!(
        "select cast(table_schema as varchar), cast(table_name as varchar) \
         from information_schema.tables \
         where table_catalog = current_database() and table_type <> 'VIEW' \
         and table_schema in ({})",
        literals.join(", ")
    );
    let tables: BTreeSet<(String, String)> = adapter
        .query(&sql)?
        .rows
        .into_iter()
        .filter_map(|row| {
            let text = |v: &Value| v.as_str().map(str::to_string);
            Some((text(row.first()?)?, text(row.get(1)?)?))
        })
        .collect();
    Ok(wanted
        .into_iter()
        .filter(|(_, s, i)| tables.contains(&(s.clone(), i.clone())))
        .map(|(uid, _, _)| uid.clone())
        .collect())
}
