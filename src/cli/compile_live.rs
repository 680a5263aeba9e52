//! `dbtc compile` renders the nodes whose templates query data (`run_query`, statement
//! blocks, `get_column_values`, ... or an ephemeral model that does) against the target, as
//! `dbt compile` does, when the target can be reached: their `target/compiled` files then
//! hold what dbt's hold. Everything else is compiled ahead of time, without a connection.
//!
//! A DuckDB target whose database file does not exist yet is not created (its queries
//! could only fail): those nodes keep their ahead-of-time render and its warning. A
//! connection or render that fails is a warning too, so `compile` keeps working offline.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use crate::compile::compiles;
use crate::db::{NodeKey, Project, RootDb};
use crate::diagnostics::{Diagnostic, codes};
use crate::jinja::incremental::{live_sql, renders_live};
use crate::jinja::nodes::node_info;
use crate::project::profiles::target;

/// What the renders with the database gave.
#[derive(Debug, Default)]
pub struct LiveCompile {
    /// unique_id -> compiled SQL, for the nodes rendered with the database.
    pub sql: BTreeMap<String, String>,
    /// Why a node (or all of them) kept its ahead-of-time render.
    pub warnings: Vec<Diagnostic>,
}

/// The selected nodes that must render with the database.
pub fn live_nodes(db: &RootDb, project: Project, selected: &[String]) -> Vec<String> {
    selected
        .iter()
        .filter(|uid| {
            let key = NodeKey::new(db, (*uid).clone());
            node_info(db, project, key)
                .as_ref()
                .is_some_and(|n| compiles(n.resource_type))
                && renders_live(db, project, key)
        })
        .cloned()
        .collect()
}

/// Renders `uids` with their queries answered by the target database.
pub fn render_with_database(
    db: &RootDb,
    project: Project,
    uids: &[String],
    root: &Path,
) -> LiveCompile {
    let mut out = LiveCompile::default();
    if uids.is_empty() {
        return out;
    }
    let Ok(target) = target(db, project) else {
        return out;
    };
    if target.adapter_type == "duckdb"
        && let Some(path) = target.fields.get("path").and_then(|v| v.as_str())
        && path != ":memory:"
        && !path.starts_with("md:")
        && !root.join(path).exists()
    {
        out.warnings.push(
            Diagnostic::warning(
                codes::WARN,
                format!(
                    "{} node(s) query the database while rendering, and {path} does not exist \
                     yet: they were rendered without it",
                    uids.len()
                ),
            )
            .with_hint("run `dbtc build` first; `dbtc compile` then renders them as dbt does"),
        );
        return out;
    }
    let mut adapter = match crate::exec::connect(target, root) {
        Ok(a) => a,
        Err(e) => {
            out.warnings.push(
                Diagnostic::warning(
                    codes::WARN,
                    format!(
                        "{} node(s) query the database while rendering, and the target cannot \
                         be reached ({e}): they were rendered without it",
                        uids.len()
                    ),
                )
                .with_hint("check the connection with `dbtc debug`"),
            );
            return out;
        }
    };
    let shared = Mutex::new(db.clone());
    let render = |uid: &str, this_exists: bool, live: crate::jinja::live::Live| {
        let db = shared.lock().unwrap_or_else(|e| e.into_inner());
        let key = NodeKey::new(&*db, uid.to_string());
        let rendered = live_sql(&*db, project, key, this_exists, live);
        match &rendered.sql {
            Some(sql) => Ok(sql.to_string()),
            None => Err(rendered
                .diagnostics
                .first()
                .map_or("the node did not render".into(), |d| d.message.clone())),
        }
    };
    for uid in uids {
        match super::jit::render_live(adapter.as_mut(), &render, uid, false) {
            Ok(sql) => {
                out.sql.insert(uid.clone(), sql);
            }
            Err(e) => out.warnings.push(
                Diagnostic::warning(
                    codes::WARN,
                    format!("rendering with the database failed: {e}"),
                )
                .for_node(uid.clone())
                .with_hint("its compiled file holds the render without the database"),
            ),
        }
    }
    out
}
