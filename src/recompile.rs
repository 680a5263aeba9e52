//! Recompiling after an edit by asking salsa only about the nodes the edit can reach.
//!
//! After any edit, salsa re-checks a memo only when asked for it, but asking for every node
//! (what `compile_project` does) costs time proportional to the project even when one
//! query re-executes. For the common edits the nodes an edit can change are known:
//! - the body of a model, analysis, singular test or snapshot file: its nodes;
//! - a macro file: the nodes whose render may read an edited macro ([`crate::macro_users`]);
//! - a properties yml: the nodes it declares or patches, their children, and the nodes
//!   whose templates read `graph` ([`reach`]).
//!
//! A re-checked node whose schema, analysis mode or (as an ephemeral model) SQL changed
//! reaches its children in turn. Anything else (seeds, project or profile files, created or
//! deleted files, an edit that changes a node's refs, sources or config() calls, the node
//! set, the macro index, or a `generate_*_name` macro) takes the full path. Both paths give
//! the same output; `tests/recompile.rs` checks that on random edit sequences.

mod reach;

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
use crate::sql::analysis::{Mode, analysis_mode, model_schema};

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
    /// The DAG's part of `project_diagnostics` (a yml edit keeps it).
    dag_diagnostics: Vec<crate::diagnostics::Diagnostic>,
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
    /// Every node's effective `static_analysis` mode (it cascades to descendants).
    modes: HashMap<String, Mode>,
    /// What the macro and yml paths compare with (see [`reach`]).
    reach: reach::Snapshot,
    /// Compiled nodes, and the error diagnostics of node outputs as a multiset (the
    /// output lists a diagnostic shared by several nodes once): `counts` without walking
    /// every node.
    compiled_count: usize,
    errors: HashMap<crate::diagnostics::Diagnostic, usize>,
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
            dag_diagnostics: Vec::new(),
            parse_keys: HashMap::new(),
            file_nodes: HashMap::new(),
            ephemeral: BTreeSet::new(),
            children: indexmap::IndexMap::new(),
            broken: BTreeSet::new(),
            schemas: HashMap::new(),
            modes: HashMap::new(),
            reach: reach::Snapshot::default(),
            compiled_count: 0,
            errors: HashMap::new(),
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
        self.dag_diagnostics = dag(db, project).diagnostics.clone();
        self.outputs = ids
            .iter()
            .cloned()
            .zip(outputs)
            .filter_map(|(id, o)| Some((id, o?)))
            .collect();
        self.ids = ids;
        self.compiled_count = 0;
        self.errors.clear();
        let outputs = std::mem::take(&mut self.outputs);
        for output in outputs.values() {
            self.tally(output, true);
        }
        self.outputs = outputs;
        self.parse_keys.clear();
        self.file_nodes.clear();
        self.ephemeral.clear();
        self.schemas.clear();
        self.modes.clear();
        for uid in dag(db, project).parents.keys() {
            let key = NodeKey::new(db, uid.as_str());
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
            if is_ephemeral(db, project, key) {
                self.ephemeral.insert(uid.clone());
            }
            self.parse_keys
                .insert(uid.clone(), parse_key(db, project, uid));
            self.schemas
                .insert(uid.clone(), model_schema(db, project, key).clone());
            self.modes
                .insert(uid.clone(), analysis_mode(db, project, key));
        }
        self.children = dag(db, project).children();
        self.broken = crate::compile::broken_nodes(db, project);
        self.reach = reach::Snapshot::take(db, project);
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
            .filter(|d| d.is_error() && !self.errors.contains_key(d))
            .collect::<std::collections::HashSet<_>>()
            .len();
        (self.compiled_count, project_errors + self.errors.len())
    }

    /// Adds (or removes) one node output's part of `counts`.
    fn tally(&mut self, output: &NodeOutput, add: bool) {
        if add {
            self.compiled_count += usize::from(output.compiled.is_some());
        } else {
            self.compiled_count -= usize::from(output.compiled.is_some());
        }
        for d in output.diagnostics.iter().filter(|d| d.is_error()) {
            if add {
                *self.errors.entry(d.clone()).or_default() += 1;
            } else if let Some(n) = self.errors.get_mut(d) {
                *n -= 1;
                if *n == 0 {
                    self.errors.remove(d);
                }
            }
        }
    }

    /// Replaces one node's output, keeping the tally.
    fn set_output(&mut self, uid: String, output: NodeOutput) {
        self.tally(&output, true);
        if let Some(old) = self.outputs.insert(uid, output) {
            self.tally(&old, false);
        }
    }

    /// The current output, as `compile_project` would give it.
    pub fn output(&self) -> CompileOutput {
        let nodes = self.ids.iter().filter_map(|id| self.outputs.get(id));
        crate::compile::assemble(self.project_diagnostics.clone(), nodes)
    }

    /// One node's current output (None when it is not selected or does not exist).
    pub fn node_output(&self, uid: &str) -> Option<&NodeOutput> {
        self.outputs.get(uid)
    }

    /// The selected nodes, in the DAG's order.
    pub fn selected(&self) -> &[String] {
        &self.ids
    }

    /// The DAG's child lists (unchanged by targeted updates).
    pub fn children(&self) -> &indexmap::IndexMap<String, Vec<String>> {
        &self.children
    }

    /// Brings the output up to date after `changes` were applied to the inputs.
    pub fn update(&mut self, db: &dyn Db, project: Project, changes: &Changes) {
        if changes.is_empty() {
            self.last_path = Path::Targeted(0);
            self.last_touched.clear();
            return;
        }
        if !changes.created.is_empty() || !changes.removed.is_empty() {
            return self.full(db, project);
        }
        // Nodes to re-check, and nodes whose children must be re-checked too.
        let mut seeds: BTreeSet<String> = BTreeSet::new();
        let mut parents_changed: BTreeSet<String> = BTreeSet::new();
        let (mut macro_files, mut yml_files) = (Vec::new(), Vec::new());
        for p in &changes.changed {
            if let Some(uids) = self.file_nodes.get(p) {
                for uid in uids {
                    self.reach.refresh_words(db, project, uid);
                }
                seeds.extend(uids.iter().cloned());
            } else if self.reach.is_macro_file(p) {
                macro_files.push(p.clone());
            } else if reach::is_properties_file(db, project, p) {
                yml_files.push(p.clone());
            } else {
                return self.full(db, project);
            }
        }
        if !macro_files.is_empty() {
            let _span = tracing::info_span!("macro_reach").entered();
            match self.reach.macro_edit(db, project, &macro_files) {
                Some(nodes) => seeds.extend(nodes),
                None => return self.full(db, project),
            }
        }
        let mut yml_diagnostics = false;
        if !yml_files.is_empty() {
            if !self.select.is_empty() || !self.exclude.is_empty() {
                // Selectors may read yml (tags, config).
                return self.full(db, project);
            }
            let _span = tracing::info_span!("yml_reach").entered();
            match self
                .reach
                .yml_edit(db, project, &yml_files, &self.dag_diagnostics)
            {
                Some(yml) => {
                    // An unchanged node's output moves only where it points into the file.
                    seeds.extend(yml.related.into_iter().filter(|uid| {
                        self.outputs
                            .get(uid)
                            .is_some_and(|o| !o.diagnostics.is_empty())
                    }));
                    seeds.extend(yml.changed.iter().cloned());
                    seeds.extend(yml.graph_readers);
                    parents_changed = yml.changed;
                    yml_diagnostics = true;
                }
                None => return self.full(db, project),
            }
        }
        let _span = tracing::info_span!("recheck", seeds = seeds.len()).entered();
        for uid in &seeds {
            if self.parse_keys.contains_key(uid)
                && self.parse_keys.get(uid) != Some(&parse_key(db, project, uid))
            {
                return self.full(db, project);
            }
        }
        let mut reach: BTreeSet<String> = seeds.clone();
        let mut queue: Vec<String> = seeds.into_iter().collect();
        for uid in &parents_changed {
            for c in self.children.get(uid).into_iter().flatten() {
                reach.insert(c.clone());
                queue.push(c.clone());
            }
        }
        // Recompute the reached nodes; a node whose schema or mode changed, or an
        // ephemeral one (its children embed its SQL), reaches its children.
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
            let key = NodeKey::new(db, uid.as_str());
            let mut reaches_children = self.ephemeral.contains(&uid);
            if is_ephemeral(db, project, key) {
                reaches_children = true;
                self.ephemeral.insert(uid.clone());
            } else {
                self.ephemeral.remove(&uid);
            }
            let schema = model_schema(db, project, key).clone();
            if self.schemas.get(&uid) != Some(&schema) {
                self.schemas.insert(uid.clone(), schema);
                reaches_children = true;
            }
            let mode = analysis_mode(db, project, key);
            if self.modes.insert(uid.clone(), mode) != Some(mode) {
                reaches_children = true;
            }
            if reaches_children {
                for c in self.children.get(&uid).into_iter().flatten() {
                    reach.insert(c.clone());
                    queue.push(c.clone());
                }
            }
        }
        if yml_diagnostics {
            // Properties diagnostics move with the yml's lines; the DAG's stay.
            self.project_diagnostics =
                reach::project_diagnostics(db, project, &self.dag_diagnostics);
        } else if self
            .project_diagnostics
            .iter()
            .any(|d| d.node.as_ref().is_some_and(|n| reach.contains(n)))
        {
            // Graph diagnostics point into the edited text (e.g. an unknown ref's position).
            self.project_diagnostics = crate::compile::project_diagnostics(db, project);
            self.dag_diagnostics = dag(db, project).diagnostics.clone();
        }
        self.last_path = Path::Targeted(reach.len());
        self.last_touched = reach.into_iter().collect();
    }
}

/// Whether a node is an ephemeral model (its children embed its SQL as a CTE).
fn is_ephemeral(db: &dyn Db, project: Project, key: NodeKey) -> bool {
    node_config(db, project, key)
        .get("materialized")
        .and_then(Value::as_str)
        == Some("ephemeral")
}
