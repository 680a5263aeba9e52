//! Drivers (verbs) over the queries: compile the whole project, collect diagnostics.

use crate::db::{Db, NodeKey, Project};
use crate::diagnostics::Diagnostic;
use crate::graph::{dag, nodes_in_cycles};
use crate::jinja::macros::macro_index;
use crate::jinja::nodes::{compiled_sql, node_info, parsed_node};
use crate::project::config::project_config;
use crate::project::nodes::{ResourceType, node_index};
use crate::project::profiles::target;

/// One compiled node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledNode {
    pub unique_id: String,
    pub sql: Option<String>,
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
    if let Err(d) = target(db, project) {
        out.push(d.clone());
    }
    out.extend(node_index(db, project).diagnostics.iter().cloned());
    out.extend(macro_index(db, project).diagnostics.iter().cloned());
    out.extend(dag(db, project).diagnostics.iter().cloned());
    out
}

/// Which resource types `dbtc compile` renders.
pub fn compiles(rt: ResourceType) -> bool {
    matches!(
        rt,
        ResourceType::Model | ResourceType::Test | ResourceType::Analysis | ResourceType::Snapshot
    )
}

/// Renders every selected node (all enabled nodes when `selected` is None).
pub fn compile_project(
    db: &dyn Db,
    project: Project,
    selected: Option<&[String]>,
) -> CompileOutput {
    let mut out = CompileOutput {
        diagnostics: project_diagnostics(db, project),
        ..CompileOutput::default()
    };
    let graph = dag(db, project);
    let cyclic = nodes_in_cycles(graph);
    let ids: Vec<String> = match selected {
        Some(s) => s.to_vec(),
        None => graph.parents.keys().cloned().collect(),
    };
    for uid in ids {
        let key = NodeKey::new(db, uid.clone());
        let Some(node) = node_info(db, project, key) else {
            continue;
        };
        out.diagnostics
            .extend(parsed_node(db, project, key).diagnostics.iter().cloned());
        if !compiles(node.resource_type) || cyclic.contains(&uid) {
            continue;
        }
        let compiled = compiled_sql(db, project, key);
        for d in &compiled.diagnostics {
            if !out.diagnostics.contains(d) {
                out.diagnostics.push(d.clone());
            }
        }
        out.nodes.push(CompiledNode {
            unique_id: uid,
            sql: compiled.sql.clone(),
        });
    }
    out
}
