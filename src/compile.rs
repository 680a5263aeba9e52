//! Drivers (verbs) over the queries: compile the whole project, collect diagnostics.

use crate::db::{Db, NodeKey, Project, RootDb};
use crate::diagnostics::Diagnostic;
use crate::graph::{dag, nodes_in_cycles};
use crate::jinja::macros::macro_index;
use crate::jinja::nodes::{all_nodes, compiled_sql, node_info, parsed_node};
use crate::project::config::project_config;
use crate::project::nodes::{ResourceType, node_index};
use crate::project::profiles::target;

/// One compiled node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledNode {
    pub unique_id: String,
    pub sql: Option<std::sync::Arc<str>>,
}

/// The result of compiling a project (or a selection of it).
#[derive(Debug, Default)]
pub struct CompileOutput {
    pub nodes: Vec<CompiledNode>,
    pub diagnostics: Vec<Diagnostic>,
}

impl CompileOutput {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// Project-level diagnostics: dbt_project.yml, profiles, yml, macros, the DAG.
pub fn project_diagnostics(db: &dyn Db, project: Project) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    out.extend(project_config(db, project).diagnostics.iter().cloned());
    out.extend(
        crate::project::render::rendered_project_config(db, project)
            .diagnostics
            .iter()
            .cloned(),
    );
    if let Err(d) = target(db, project) {
        out.push((**d).clone());
    }
    out.extend(node_index(db, project).diagnostics.iter().cloned());
    out.extend(macro_index(db, project).diagnostics.iter().cloned());
    out.extend(dag(db, project).diagnostics.iter().cloned());
    let units = crate::project::unit_tests::unit_tests(db, project);
    out.extend(units.diagnostics.iter().cloned());
    out
}

/// Which resource types `dbtc compile` renders.
pub fn compiles(rt: ResourceType) -> bool {
    matches!(
        rt,
        ResourceType::Model | ResourceType::Test | ResourceType::Analysis | ResourceType::Snapshot
    )
}

/// One node's part of a compile: its compiled SQL (for rendered resource types) and its
/// diagnostics (parse-time, then compile-time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOutput {
    pub compiled: Option<CompiledNode>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Nodes with graph errors (cycles, unknown refs/sources) are not rendered: their render
/// would only repeat the graph diagnostic.
pub(crate) fn broken_nodes(db: &dyn Db, project: Project) -> std::collections::BTreeSet<String> {
    let graph = dag(db, project);
    let mut broken = nodes_in_cycles(graph);
    broken.extend(graph.diagnostics.iter().filter_map(|d| d.node.clone()));
    broken
}

/// The output of one node.
pub fn node_output(
    db: &dyn Db,
    project: Project,
    uid: &str,
    broken: &std::collections::BTreeSet<String>,
) -> Option<NodeOutput> {
    let key = NodeKey::new(db, uid.to_string());
    let node = node_info(db, project, key).as_ref()?;
    let mut diagnostics = parsed_node(db, project, key).diagnostics.clone();
    if !compiles(node.resource_type) || broken.contains(uid) {
        return Some(NodeOutput {
            compiled: None,
            diagnostics,
        });
    }
    let compiled = compiled_sql(db, project, key);
    let analysis = crate::sql::analysis::node_analysis(db, project, key);
    for d in compiled.diagnostics.iter().chain(&analysis.diagnostics) {
        if !diagnostics.contains(d) {
            diagnostics.push(d.clone());
        }
    }
    Some(NodeOutput {
        compiled: Some(CompiledNode {
            unique_id: uid.to_string(),
            sql: compiled.sql.clone(),
        }),
        diagnostics,
    })
}

pub(crate) fn assemble<'a>(
    project_diagnostics: Vec<Diagnostic>,
    nodes: impl Iterator<Item = &'a NodeOutput>,
) -> CompileOutput {
    let mut out = CompileOutput {
        diagnostics: project_diagnostics,
        ..CompileOutput::default()
    };
    for node in nodes {
        for d in &node.diagnostics {
            if !out.diagnostics.contains(d) {
                out.diagnostics.push(d.clone());
            }
        }
        if let Some(c) = &node.compiled {
            out.nodes.push(c.clone());
        }
    }
    out
}

fn selected_ids(db: &dyn Db, project: Project, selected: Option<&[String]>) -> Vec<String> {
    match selected {
        Some(s) => s.to_vec(),
        None => dag(db, project).parents.keys().cloned().collect(),
    }
}

/// Renders every selected node (all enabled nodes when `selected` is None).
pub fn compile_project(
    db: &dyn Db,
    project: Project,
    selected: Option<&[String]>,
) -> CompileOutput {
    let _span = tracing::info_span!("compile_project").entered();
    let (project_diags, _, outputs) = compile_parts(db, project, selected);
    assemble(project_diags, outputs.iter().flatten())
}

/// The parts of a compile: project diagnostics, the node ids in order, and their outputs.
pub(crate) fn compile_parts(
    db: &dyn Db,
    project: Project,
    selected: Option<&[String]>,
) -> (Vec<Diagnostic>, Vec<String>, Vec<Option<NodeOutput>>) {
    let broken = broken_nodes(db, project);
    let ids = selected_ids(db, project, selected);
    let outputs = ids
        .iter()
        .map(|uid| node_output(db, project, uid, &broken))
        .collect();
    (project_diagnostics(db, project), ids, outputs)
}

/// Computes the per-node queries on `threads` clones of the database (salsa shares the
/// memo storage between clones), so a later sequential pass only reads memos.
pub fn warm_parallel(db: &RootDb, project: Project, threads: usize) {
    warm_parallel_with(db, project, threads, |_| ());
}

/// [`warm_parallel`], running `beside` on one more database clone while the analysis
/// phase runs (the compile-time renders are done by then): work that needs only compiled
/// SQL and the DAG, such as writing `target/compiled` (mostly the kernel's time), then
/// overlaps the analysis instead of following it.
pub fn warm_parallel_with<T: Send>(
    db: &RootDb,
    project: Project,
    threads: usize,
    beside: impl FnOnce(&RootDb) -> T + Send,
) -> T {
    let _span = tracing::info_span!("warm", threads).entered();
    let threads = threads.clamp(1, 64);
    if threads == 1 {
        return beside(db);
    }
    // Phase 0: properties files (YAML parsing dominates discovery).
    let ymls: Vec<crate::db::File> = project
        .files(db)
        .iter()
        .copied()
        .filter(|f| {
            f.path(db)
                .extension()
                .is_some_and(|e| e == "yml" || e == "yaml")
        })
        .collect();
    // One file at a time from a shared counter: yml files differ a lot in size, and fixed
    // halves left one core idle for a tenth of a second at 10,000 models.
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (db, ymls, next) = (db.clone(), &ymls, &next);
            scope.spawn(move || {
                while let Some(file) =
                    ymls.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    crate::project::properties::properties(&db, *file);
                    // Their rendering and generic tests too: node discovery then only
                    // assembles them.
                    crate::project::yml_render::effective_properties(&db, project, *file);
                    crate::project::nodes::yml_tests(&db, project, *file);
                }
            });
        }
    });
    tracing::debug!("properties parsed");
    let keys: Vec<NodeKey> = all_nodes(db, project).clone();
    tracing::debug!(nodes = keys.len(), "nodes discovered");
    // Phase 1: parse-time renders (the DAG needs all of them).
    run_chunks(db, &keys, threads, |db, key| {
        parsed_node(db, project, key);
    });
    tracing::debug!("parse-time renders done");
    // Phase 2: compile-time renders, while one more thread builds the DAG (renders read
    // their own resolved parents, not the DAG).
    std::thread::scope(|scope| {
        let dag_db = db.clone();
        scope.spawn(move || {
            dag(&dag_db, project);
            tracing::debug!("DAG built");
        });
        run_chunks(db, &keys, threads, |db, key| {
            compiled_sql(db, project, key);
        });
    });
    tracing::debug!("compile-time renders done");
    // Phase 3: analysis (a node waits for its parents' schemas, computed by any thread),
    // parents first, so that a thread seldom waits for a schema the other is computing.
    let keys = parents_first(db, project, &keys);
    std::thread::scope(|scope| {
        let beside_db = db.clone();
        let handle = scope.spawn(move || beside(&beside_db));
        run_chunks(db, &keys, threads, |db, key| {
            crate::sql::analysis::node_analysis(db, project, key);
        });
        tracing::debug!("analysis done");
        handle
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// The `target/compiled` files of the selected nodes: (path, compiled SQL) for each node
/// that compiles and is not cut off by a graph error, as [`compile_project`] lists them.
pub fn compiled_files(
    db: &dyn Db,
    project: Project,
    selected: &[String],
    target_dir: &std::path::Path,
) -> Vec<(std::path::PathBuf, std::sync::Arc<str>)> {
    let broken = broken_nodes(db, project);
    selected
        .iter()
        .filter(|uid| !broken.contains(*uid))
        .filter_map(|uid| {
            let key = NodeKey::new(db, uid.as_str());
            let node = node_info(db, project, key).as_ref()?;
            if !compiles(node.resource_type) {
                return None;
            }
            let sql = compiled_sql(db, project, key).sql.clone()?;
            Some((
                crate::artifacts::compiled_path(db, project, target_dir, uid)?,
                sql,
            ))
        })
        .collect()
}

/// `keys` ordered level by level of the DAG (each node after all of its parents; nodes
/// on a cycle last, in their order). Discovery order puts many children before their
/// parents (`intermediate/` sorts before `staging/`), and two analysis threads then
/// met on the same parents, one waiting for the other.
fn parents_first(db: &RootDb, project: Project, keys: &[NodeKey]) -> Vec<NodeKey> {
    let graph = dag(db, project);
    let position: std::collections::HashMap<&str, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.unique_id(db).as_str(), i))
        .collect();
    let mut waiting_on = vec![0usize; keys.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (i, key) in keys.iter().enumerate() {
        for parent in graph.parents.get(key.unique_id(db)).into_iter().flatten() {
            if let Some(&p) = position.get(parent.as_str())
                && p != i
            {
                waiting_on[i] += 1;
                children[p].push(i);
            }
        }
    }
    let mut level: Vec<usize> = (0..keys.len()).filter(|&i| waiting_on[i] == 0).collect();
    let mut placed = vec![false; keys.len()];
    let mut out = Vec::with_capacity(keys.len());
    while !level.is_empty() {
        let mut next = Vec::new();
        for &i in &level {
            out.push(keys[i]);
            placed[i] = true;
            for &c in &children[i] {
                waiting_on[c] -= 1;
                if waiting_on[c] == 0 {
                    next.push(c);
                }
            }
        }
        next.sort_unstable();
        level = next;
    }
    out.extend((0..keys.len()).filter(|&i| !placed[i]).map(|i| keys[i]));
    out
}

/// Runs `f` on every key on `threads` database clones. Threads take small batches from a
/// shared counter rather than one fixed slice each: nodes differ a lot in cost (models
/// come before tests in the key order), and fixed halves left one core idle for much of
/// a phase.
fn run_chunks(db: &RootDb, keys: &[NodeKey], threads: usize, f: impl Fn(&RootDb, NodeKey) + Sync) {
    const BATCH: usize = 32;
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let db = db.clone();
            let (f, next) = (&f, &next);
            scope.spawn(move || {
                loop {
                    let start = next.fetch_add(BATCH, std::sync::atomic::Ordering::Relaxed);
                    if start >= keys.len() {
                        break;
                    }
                    for key in &keys[start..(start + BATCH).min(keys.len())] {
                        f(&db, *key);
                    }
                }
            });
        }
    });
}

/// The number of worker threads: `DBTC_THREADS`, or the machine's parallelism.
pub fn default_threads() -> usize {
    std::env::var("DBTC_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}
