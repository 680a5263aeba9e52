//! Answers the binder's relation lookups for one node from its refs and sources.

use std::sync::Arc;

use crate::db::{Db, NodeKey, Project};
use crate::jinja::nodes::{node_config, node_relation, resolved_parents};
use crate::sql::schema::{RelationLookup, RelationProvider};

/// One parent: the name parts it renders as, and what the binder sees.
struct Entry {
    parts: Vec<String>,
    lookup: RelationLookup,
}

pub struct NodeProvider {
    entries: Vec<Entry>,
    /// A Postgres target's user functions.
    functions: Option<Arc<crate::sql::pg::user_functions::UserFunctions>>,
}

impl NodeProvider {
    pub fn new(db: &dyn Db, project: Project, key: NodeKey) -> NodeProvider {
        let mut entries = Vec::new();
        let resolved = resolved_parents(db, project, key);
        let targets = resolved
            .refs
            .iter()
            .filter_map(|(_, t)| t.as_ref().map(|(uid, _)| uid.clone()))
            .chain(resolved.sources.iter().filter_map(|(_, uid)| uid.clone()));
        for uid in targets {
            let pkey = NodeKey::new(db, uid.clone());
            let Some(rel) = node_relation(db, project, pkey) else {
                continue;
            };
            let ephemeral = node_config(db, project, pkey)
                .get("materialized")
                .and_then(|v| v.as_str())
                == Some("ephemeral");
            let parts: Vec<String> = if ephemeral {
                let name = rel.identifier.clone().unwrap_or_default();
                vec![format!(
                    "__dbt__cte__{}",
                    uid.rsplit('.').next().unwrap_or(&name)
                )]
            } else {
                [&rel.database, &rel.schema, &rel.identifier]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect()
            };
            let lookup = match super::upstream_columns(db, project, pkey) {
                Some(up) if up.complete => RelationLookup::Known {
                    node: Some(Arc::from(uid.as_str())),
                    schema: up.schema.clone(),
                },
                Some(up) => RelationLookup::Partial {
                    node: Some(Arc::from(uid.as_str())),
                    schema: up.schema.clone(),
                },
                None => RelationLookup::Opaque,
            };
            entries.push(Entry { parts, lookup });
        }
        NodeProvider {
            entries,
            functions: crate::sql::pg::user_functions::for_project(db, project),
        }
    }
}

impl RelationProvider for NodeProvider {
    /// A written name matches a parent when it is a suffix of the parent's full name
    /// (case-insensitive). Names that match no parent may still exist in the database
    /// (dbt projects do select from raw tables): they are opaque, never an error.
    fn lookup(&self, parts: &[String]) -> RelationLookup {
        for e in &self.entries {
            if parts.len() <= e.parts.len()
                && e.parts[e.parts.len() - parts.len()..]
                    .iter()
                    .zip(parts)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
            {
                return e.lookup.clone();
            }
        }
        RelationLookup::Opaque
    }

    fn user_function(&self, name: &str) -> crate::sql::pg::user_functions::UserFunction {
        match &self.functions {
            Some(f) => f.lookup(name),
            None => crate::sql::pg::user_functions::UserFunction::Missing,
        }
    }
}

/// The binder's findings on `sql`, a node's SQL rendered just in time during a run (an
/// introspective node, skipped ahead of time): such nodes are analyzed in `unsafe` mode
/// and never block the run, so findings come back as warning lines
/// (`code: message (compiled SQL line:col)`). Empty when analysis is off for the node or
/// the adapter has no dialect. Not memoized: the SQL comes from the live database.
pub fn just_in_time_findings(
    db: &dyn Db,
    project: Project,
    key: NodeKey,
    sql: &str,
) -> Vec<String> {
    use crate::diagnostics::Span;
    use crate::sql::{Dialect, analyze_query};
    if super::analysis_mode(db, project, key) == super::Mode::Off {
        return Vec::new();
    }
    let target = crate::jinja::nodes::active_target(db, project);
    let Some(dialect) = Dialect::for_adapter(&target.adapter_type) else {
        return Vec::new();
    };
    let provider = NodeProvider::new(db, project, key);
    analyze_query(sql, dialect, &provider)
        .diagnostics
        .iter()
        .map(|d| {
            let at = Span::from_range(sql, d.start, d.end);
            format!(
                "{}: {} (compiled SQL {}:{})",
                d.code, d.message, at.line, at.column
            )
        })
        .collect()
}
