//! Just-in-time analysis during a run (issue 3, item 8): an introspective node is rendered
//! once its parents are built, and is analyzed then, in `unsafe` mode. Its schema, known
//! only now, is what its descendants bind against: ahead of time they saw an opaque
//! parent (their findings about its columns were impossible), so each descendant in the
//! run is analyzed again, with the just-in-time schemas of its introspective ancestors,
//! before it runs (it cannot run before its introspective parent is rendered).
//!
//! Findings are warnings: upstream nodes have already run, and the database is the judge
//! from here on (the same policy as the introspective node's own findings). A finding the
//! ahead-of-time analysis already reported is not repeated.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::{Mode, analysis_mode, node_analysis, provider::NodeProvider};
use crate::db::{Db, NodeKey, Project};
use crate::diagnostics::Diagnostic;
use crate::jinja::nodes::{active_target, node_config, node_info, node_relation, rendered_node};
use crate::project::nodes::ResourceType;
use crate::sql::schema::{RelationLookup, RelationProvider, RelationSchema};
use crate::sql::{Dialect, analyze_query};

/// unique_id -> its children's unique_ids.
type Children = HashMap<String, Vec<String>>;

/// The schemas learnt during one run, and what was already said.
#[derive(Default)]
pub struct JustInTime {
    schemas: Mutex<HashMap<String, Arc<RelationSchema>>>,
    reported: Mutex<HashSet<(String, String)>>,
    children: Mutex<Option<Arc<Children>>>,
}

/// A node's parents as the binder sees them, with just-in-time schemas over the
/// ahead-of-time lookups.
struct Overlay {
    base: NodeProvider,
    known: Vec<(Vec<String>, RelationLookup)>,
}

impl RelationProvider for Overlay {
    fn lookup(&self, parts: &[String]) -> RelationLookup {
        for (full, lookup) in &self.known {
            if parts.len() <= full.len()
                && full[full.len() - parts.len()..]
                    .iter()
                    .zip(parts)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
            {
                return lookup.clone();
            }
        }
        self.base.lookup(parts)
    }

    fn user_function(&self, name: &str) -> crate::sql::pg::user_functions::UserFunction {
        self.base.user_function(name)
    }
}

/// The name parts a parent renders as (an ephemeral parent is a `__dbt__cte__` CTE).
fn parts_of(db: &dyn Db, project: Project, uid: &str) -> Option<Vec<String>> {
    let key = NodeKey::new(db, uid.to_string());
    let rel = node_relation(db, project, key).as_ref()?;
    let ephemeral = node_config(db, project, key)
        .get("materialized")
        .and_then(|v| v.as_str())
        == Some("ephemeral");
    Some(if ephemeral {
        vec![crate::jinja::nodes::ephemeral_cte_name(db, project, key)?]
    } else {
        [&rel.database, &rel.schema, &rel.identifier]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    })
}

impl JustInTime {
    fn overlay(&self, db: &dyn Db, project: Project, key: NodeKey) -> (Overlay, bool) {
        let schemas = self.schemas.lock().unwrap_or_else(|e| e.into_inner());
        let mut known = Vec::new();
        for (_, target) in &crate::jinja::nodes::resolved_parents(db, project, key).refs {
            let Some((uid, _)) = target else { continue };
            let (Some(schema), Some(parts)) = (schemas.get(uid), parts_of(db, project, uid)) else {
                continue;
            };
            known.push((
                parts,
                RelationLookup::Known {
                    node: Some(Arc::from(uid.as_str())),
                    schema: schema.clone(),
                },
            ));
        }
        let any = !known.is_empty();
        (
            Overlay {
                base: NodeProvider::new(db, project, key),
                known,
            },
            any,
        )
    }

    fn children(&self, db: &dyn Db, project: Project) -> Arc<Children> {
        let mut slot = self.children.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert_with(|| {
            Arc::new(
                crate::graph::dag(db, project)
                    .children()
                    .into_iter()
                    .collect(),
            )
        })
        .clone()
    }

    /// Analyzes `sql`, node `key` rendered just in time, with what is known of its parents
    /// now; records its schema for its children. Warnings, placed in its template.
    fn analyze(
        &self,
        db: &dyn Db,
        project: Project,
        key: NodeKey,
        sql: &str,
        dialect: Dialect,
        record: bool,
    ) -> Vec<Diagnostic> {
        let Some(node) = node_info(db, project, key) else {
            return Vec::new();
        };
        let (provider, _) = self.overlay(db, project, key);
        let analysis = analyze_query(sql, dialect, &provider);
        if record
            && node.resource_type != ResourceType::Test
            && let Some(mut schema) = analysis.schema
        {
            crate::sql::schema::dedup_names(schema.columns.iter_mut().map(|c| &mut c.name));
            if node.resource_type == ResourceType::Snapshot {
                schema = super::snapshot_schema(&schema, node_config(db, project, key));
            }
            self.schemas
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(node.unique_id.clone(), Arc::new(schema));
        }
        if node.resource_type == ResourceType::Test && node.test.is_some() {
            super::data_tests::generic_test_diagnostics(db, node, sql, &analysis.diagnostics, false)
        } else {
            super::template_diagnostics(db, node, sql, &analysis.diagnostics, false)
        }
    }

    /// The introspective node `key` was rendered just in time as `sql`: its findings, then
    /// those of its descendants that `runs` (those in this run), analyzed with its schema.
    /// `is_relation`: the query's columns are those of the relation it builds (false on an
    /// incremental run, whose table keeps the columns it had: the descendants are then left
    /// to the database). Each finding is `(unique_id, line)`, the line as
    /// `code: message --> file:line:col`.
    pub fn after_render(
        &self,
        db: &dyn Db,
        project: Project,
        key: NodeKey,
        sql: &str,
        is_relation: bool,
        runs: &dyn Fn(&str) -> bool,
    ) -> Vec<(String, String)> {
        if analysis_mode(db, project, key) == Mode::Off {
            return Vec::new();
        }
        let Some(dialect) = Dialect::for_adapter(&active_target(db, project).adapter_type) else {
            return Vec::new();
        };
        let Some(uid) = node_info(db, project, key)
            .as_ref()
            .map(|n| n.unique_id.clone())
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let found = self.analyze(db, project, key, sql, dialect, is_relation);
        let root = project.root(db).clone();
        self.report(&root, &uid, found, &[], &mut out);
        if !is_relation {
            return out;
        }
        for child in self.descendants(db, project, &uid, runs) {
            let ckey = NodeKey::new(db, child.as_str());
            if analysis_mode(db, project, ckey) == Mode::Off {
                continue;
            }
            let rendered = rendered_node(db, project, ckey);
            let Some(csql) = rendered.sql.clone() else {
                continue;
            };
            if !super::analyzable(
                node_info(db, project, ckey)
                    .as_ref()
                    .map_or(ResourceType::Source, |n| n.resource_type),
            ) {
                continue;
            }
            if !self.overlay(db, project, ckey).1 {
                continue;
            }
            let found = self.analyze(db, project, ckey, &csql, dialect, true);
            let ahead = &node_analysis(db, project, ckey).diagnostics;
            self.report(&root, &child, found, ahead, &mut out);
        }
        out
    }

    /// The descendants of `uid` in DAG order (parents first), stopping at introspective
    /// nodes (rendered just in time themselves, later) and at nodes not in this run.
    fn descendants(
        &self,
        db: &dyn Db,
        project: Project,
        uid: &str,
        runs: &dyn Fn(&str) -> bool,
    ) -> Vec<String> {
        let children = self.children(db, project);
        let mut set: HashSet<String> = HashSet::new();
        let mut stack: Vec<String> = children.get(uid).cloned().unwrap_or_default();
        while let Some(c) = stack.pop() {
            if !runs(&c) || set.contains(&c) {
                continue;
            }
            let key = NodeKey::new(db, c.as_str());
            if rendered_node(db, project, key).introspective {
                continue;
            }
            set.insert(c.clone());
            stack.extend(children.get(&c).cloned().unwrap_or_default());
        }
        // Parents first: a node comes after every parent of it in the set.
        let graph = crate::graph::dag(db, project);
        let mut order = Vec::new();
        let mut placed: HashSet<String> = HashSet::new();
        let mut pending: Vec<String> = set.iter().cloned().collect();
        pending.sort();
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|n| {
                let ready = graph
                    .parents
                    .get(n)
                    .is_none_or(|ps| ps.iter().all(|p| !set.contains(p) || placed.contains(p)));
                if ready {
                    placed.insert(n.clone());
                    order.push(n.clone());
                }
                !ready
            });
            if pending.len() == before {
                // A cycle (reported elsewhere): the rest in name order.
                order.append(&mut pending);
            }
        }
        order
    }

    fn report(
        &self,
        root: &std::path::Path,
        uid: &str,
        found: Vec<Diagnostic>,
        ahead: &[Diagnostic],
        out: &mut Vec<(String, String)>,
    ) {
        let mut reported = self.reported.lock().unwrap_or_else(|e| e.into_inner());
        for d in found {
            let head = d
                .message
                .split(" (")
                .next()
                .unwrap_or(&d.message)
                .to_string();
            if ahead
                .iter()
                .any(|a| a.code == d.code && a.message.starts_with(&head))
            {
                continue;
            }
            if !reported.insert((uid.to_string(), format!("{} {head}", d.code))) {
                continue;
            }
            let file = d.file.as_deref().map(|f| f.strip_prefix(root).unwrap_or(f));
            let place = match (file, &d.span) {
                (Some(f), Some(s)) => format!(" --> {}:{}:{}", f.display(), s.line, s.column),
                (Some(f), None) => format!(" --> {}", f.display()),
                _ => String::new(),
            };
            let hint = d
                .hint
                .as_deref()
                .map(|h| format!(" (hint: {h})"))
                .unwrap_or_default();
            out.push((
                uid.to_string(),
                format!("{}: {}{place}{hint}", d.code, d.message),
            ));
        }
    }
}
