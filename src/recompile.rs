//! Recompiling after an edit by asking salsa only about the nodes the edit can reach.
//!
//! After any edit, salsa re-checks a memo only when asked for it, but asking for every node
//! (what `compile_project` does) costs time proportional to the project even when one
//! query re-executes. For the common edit — the bodies of existing model, analysis,
//! singular test or snapshot files — the nodes an edit can change are known: the edited
//! nodes, and the descendants of an edited ephemeral model (their SQL embeds it). Anything
//! else (yml, macros, seeds, project or profile files, created or deleted files, or an edit
//! that changes a node's refs, sources or config() calls) takes the full path. Both paths
//! give the same output; `tests/recompile.rs` checks that on random edit sequences.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::compile::{CompileOutput, NodeOutput, compile_parts, node_output};
use crate::db::{Db, NodeKey, Project};
use crate::graph::dag;
use crate::jinja::context::RefCall;
use crate::jinja::nodes::{node_config, node_info, parsed_node};
use crate::project::load::Changes;
use crate::project::nodes::ResourceType;
use crate::sql::analysis::model_schema;

/// What of a parse-time render decides the graph, the configs and the relations.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParseKey {
    refs: Vec<RefCall>,
    sources: Vec<(String, String)>,
    config_calls: Map<String, Value>,
    introspective: bool,
}

fn parse_key(db: &dyn Db, project: Project, uid: &str) -> ParseKey {
    let parsed = parsed_node(db, project, NodeKey::new(db, uid.to_string()));
    ParseKey {
        refs: parsed.refs.clone(),
        sources: parsed.sources.clone(),
        config_calls: parsed.config_calls.clone(),
        introspective: parsed.introspective,
    }
}

/// How the last [`Recompiler::update`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Every node was asked for.
    Full,
    /// Only these many nodes were asked for.
    Targeted(usize),
}

/// A compile kept up to date edit by edit.
pub struct Recompiler {
    /// `--select`/`--exclude` specs, re-evaluated on every full compile.
    select: Vec<String>,
    exclude: Vec<String>,
    ids: Vec<String>,
    outputs: HashMap<String, NodeOutput>,
    project_diagnostics: Vec<crate::diagnostics::Diagnostic>,
    parse_keys: HashMap<String, ParseKey>,
    /// Files that are one node's template (model/analysis/singular test/snapshot).
    file_nodes: HashMap<PathBuf, Vec<String>>,
    ephemeral: BTreeSet<String>,
    /// The DAG's child lists and broken nodes as of the last full compile (an edit on the
    /// targeted path changes no refs, so neither changes).
    children: indexmap::IndexMap<String, Vec<String>>,
    broken: BTreeSet<String>,
    /// Every node's schema as of the last update: a targeted edit that changes one
    /// re-analyzes the children (and so on while schemas keep changing).
    schemas: HashMap<String, Option<std::sync::Arc<crate::sql::schema::RelationSchema>>>,
    /// (compiled nodes, errors in node outputs): `counts` without walking every node.
    tally: (usize, usize),
    pub last_path: Path,
    /// The nodes the last targeted update asked for (empty after a full compile).
    pub last_touched: Vec<String>,
}

impl Recompiler {
    /// Compiles the nodes that `select`/`exclude` choose (all when both are empty).
    pub fn new(db: &dyn Db, project: Project, select: &[String], exclude: &[String]) -> Recompiler {
        let mut r = Recompiler {
            select: select.to_vec(),
            exclude: exclude.to_vec(),
            ids: Vec::new(),
            outputs: HashMap::new(),
            project_diagnostics: Vec::new(),
            parse_keys: HashMap::new(),
            file_nodes: HashMap::new(),
            ephemeral: BTreeSet::new(),
            children: indexmap::IndexMap::new(),
            broken: BTreeSet::new(),
            schemas: HashMap::new(),
            tally: (0, 0),
            last_path: Path::Full,
            last_touched: Vec::new(),
        };
        r.full(db, project);
        r
    }

    fn full(&mut self, db: &dyn Db, project: Project) {
        let selected = crate::graph::select(db, project, &self.select, &self.exclude);
        let (project_diagnostics, ids, outputs) = compile_parts(db, project, Some(&selected));
        self.project_diagnostics = project_diagnostics;
        self.outputs = ids
            .iter()
            .cloned()
            .zip(outputs)
            .filter_map(|(id, o)| Some((id, o?)))
            .collect();
        self.ids = ids;
        self.tally = self
            .outputs
            .values()
            .map(Self::tally_of)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        self.parse_keys.clear();
        self.file_nodes.clear();
        self.ephemeral.clear();
        for uid in dag(db, project).parents.keys() {
            let key = NodeKey::new(db, uid.clone());
            let Some(node) = node_info(db, project, key) else {
                continue;
            };
            let single_template = matches!(
                node.resource_type,
                ResourceType::Model | ResourceType::Analysis | ResourceType::Snapshot
            ) || (node.resource_type == ResourceType::Test
                && node.test.is_none());
            if let (true, Some(file)) = (single_template, node.file) {
                self.file_nodes
                    .entry(file.path(db).clone())
                    .or_default()
                    .push(uid.clone());
            }
            if node_config(db, project, key)
                .get("materialized")
                .and_then(Value::as_str)
                == Some("ephemeral")
            {
                self.ephemeral.insert(uid.clone());
            }
            self.parse_keys
                .insert(uid.clone(), parse_key(db, project, uid));
            self.schemas
                .insert(uid.clone(), model_schema(db, project, key).clone());
        }
        self.children = dag(db, project).children();
        self.broken = crate::compile::broken_nodes(db, project);
        self.last_path = Path::Full;
        self.last_touched.clear();
    }

    /// How many nodes compiled, and how many errors there are, without assembling the
    /// whole output (which copies every node).
    /// Kept up to date as outputs change, so a no-op cycle costs nothing per node.
    pub fn counts(&self) -> (usize, usize) {
        let project_errors = self
            .project_diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count();
        (self.tally.0, project_errors + self.tally.1)
    }

    /// A node output's part of `counts`.
    fn tally_of(output: &NodeOutput) -> (usize, usize) {
        (
            usize::from(output.compiled.is_some()),
            output.diagnostics.iter().filter(|d| d.is_error()).count(),
        )
    }

    /// Replaces one node's output, keeping the tally.
    fn set_output(&mut self, uid: String, output: NodeOutput) {
        let new = Self::tally_of(&output);
        if let Some(old) = self.outputs.insert(uid, output) {
            let old = Self::tally_of(&old);
            self.tally = (self.tally.0 - old.0, self.tally.1 - old.1);
        }
        self.tally = (self.tally.0 + new.0, self.tally.1 + new.1);
    }

    /// The current output, as `compile_project` would give it.
    pub fn output(&self) -> CompileOutput {
        let nodes = self.ids.iter().filter_map(|id| self.outputs.get(id));
        crate::compile::assemble(self.project_diagnostics.clone(), nodes)
    }

    /// Brings the output up to date after `changes` were applied to the inputs.
    pub fn update(&mut self, db: &dyn Db, project: Project, changes: &Changes) {
        if changes.is_empty() {
            self.last_path = Path::Targeted(0);
            self.last_touched.clear();
            return;
        }
        let mut touched: Vec<String> = Vec::new();
        let targeted = changes.created.is_empty()
            && changes.removed.is_empty()
            && changes
                .changed
                .iter()
                .all(|p| match self.file_nodes.get(p) {
                    Some(uids) => {
                        touched.extend(uids.iter().cloned());
                        true
                    }
                    None => false,
                });
        if !targeted {
            return self.full(db, project);
        }
        for uid in &touched {
            if self.parse_keys.get(uid) != Some(&parse_key(db, project, uid)) {
                return self.full(db, project);
            }
        }
        // Descendants of edited ephemeral models embed their SQL.
        let mut reach: BTreeSet<String> = touched.iter().cloned().collect();
        if touched.iter().any(|u| self.ephemeral.contains(u)) {
            let children = &self.children;
            let mut stack: Vec<String> = touched
                .iter()
                .filter(|u| self.ephemeral.contains(*u))
                .cloned()
                .collect();
            while let Some(u) = stack.pop() {
                for c in children.get(&u).into_iter().flatten() {
                    if reach.insert(c.clone()) {
                        stack.push(c.clone());
                    }
                }
            }
        }
        // Recompute the reached nodes; a node whose schema changed reaches its children.
        let mut queue: Vec<String> = reach.iter().cloned().collect();
        let mut done: BTreeSet<String> = BTreeSet::new();
        while let Some(uid) = queue.pop() {
            if !done.insert(uid.clone()) {
                continue;
            }
            if self.outputs.contains_key(&uid)
                && let Some(out) = node_output(db, project, &uid, &self.broken)
            {
                self.set_output(uid.clone(), out);
            }
            let schema = model_schema(db, project, NodeKey::new(db, uid.clone())).clone();
            if self.schemas.get(&uid) != Some(&schema) {
                self.schemas.insert(uid.clone(), schema);
                for c in self.children.get(&uid).into_iter().flatten() {
                    reach.insert(c.clone());
                    queue.push(c.clone());
                }
            }
        }
        // Graph diagnostics point into the edited text (e.g. an unknown ref's position).
        if self
            .project_diagnostics
            .iter()
            .any(|d| d.node.as_ref().is_some_and(|n| reach.contains(n)))
        {
            self.project_diagnostics = crate::compile::project_diagnostics(db, project);
        }
        self.last_path = Path::Targeted(reach.len());
        self.last_touched = reach.into_iter().collect();
    }
}
