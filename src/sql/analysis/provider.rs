//! Answers the binder's relation lookups for one node from its refs and sources.

use std::sync::Arc;

use crate::db::{Db, NodeKey, Project};
use crate::jinja::nodes::{ephemeral_cte_name, node_config, node_relation, resolved_parents};
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
                ephemeral_cte_name(db, project, pkey).into_iter().collect()
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
