//! Static analysis in the salsa pipeline: every eligible node's compiled SQL (models,
//! snapshots, analyses, data tests) is bound against its parents' schemas.
//!
//! - `node_analysis(node)`: the binder's result for one node, with diagnostics mapped to
//!   the template's file:line:col (a generic test's to its yml entry, `test_origin`).
//!   Reads `upstream_columns(parent)` for each ref/source. Tests have no schema.
//! - `model_schema(node)`: output columns, types and lineage (for lineage.json, manifest).
//! - `upstream_columns(node)`: names and types only, the firewall children read: an edit
//!   that keeps a node's columns and types leaves its children's analyses untouched.
//! - `analysis_mode(node)`: `static_analysis` from `--static-analysis`, else the node's
//!   config (default `on`), weakened to the weakest mode among its parents.
//! - `JustInTime`: during a run, introspective nodes and their descendants, analyzed with
//!   the schemas their just-in-time renders give.

mod data_tests;
mod just_in_time;
pub use just_in_time::JustInTime;
mod provider;
pub mod sourcemap;
mod syntax;
pub mod test_origin;
pub mod upstream;

use std::sync::Arc;

use crate::db::{Db, NodeKey, Project};
use crate::diagnostics::{Diagnostic, Span, codes};
use crate::jinja::nodes::{
    active_target, node_config, node_info, raw_code, rendered_node, resolved_parents,
};
use crate::project::nodes::ResourceType;
use crate::sql::schema::{Column, RelationSchema};
use crate::sql::{Dialect, analyze_query};

/// `static_analysis`, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Off,
    Baseline,
    Unsafe,
    On,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text.to_ascii_lowercase().as_str() {
            "on" | "strict" => Some(Mode::On),
            "unsafe" => Some(Mode::Unsafe),
            "baseline" => Some(Mode::Baseline),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Baseline => "baseline",
            Mode::Unsafe => "unsafe",
            Mode::On => "on",
        }
    }
}

/// Why a node has no analysis.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    Analyzed,
    /// Not analyzed ahead of time; the reason is shown by `dbtc compile -v`-like output.
    Skipped(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeAnalysis {
    pub status: Option<Status>,
    pub schema: Option<Arc<RelationSchema>>,
    pub diagnostics: Vec<Diagnostic>,
    /// Part of the schema is UNKNOWN (an opaque parent or an unmodelled construct).
    pub opaque: bool,
}

impl NodeAnalysis {
    fn skipped(reason: &'static str) -> NodeAnalysis {
        NodeAnalysis {
            status: Some(Status::Skipped(reason)),
            ..NodeAnalysis::default()
        }
    }
}

crate::db::node_query! {
    /// Whether the node lies on a ref cycle: it is then not analyzed, and never recursed
    /// through (a cycle of schema reads would be a salsa cycle).
    pub fn on_ref_cycle -> copy bool = on_ref_cycle_body
}

fn on_ref_cycle_body(db: &dyn Db, project: Project, key: NodeKey) -> bool {
    // Most nodes are proven off every cycle by their own ancestors; only the nodes of a
    // cycle and their descendants ask the project-wide set, which reads every node's refs
    // (verifying it after an edit walked all 23,664 nodes' memos of the 10k project).
    !acyclic_refs(db, key) && ref_cycle_members(db, project).contains(&key)
}

/// Whether the node and all of its ancestors (through resolved refs) are off every ref
/// cycle. A recursion that comes back to itself stops with `false` for every query of the
/// cycle (salsa's `cycle_result`), and descendants inherit it.
#[salsa::tracked(returns(copy), cycle_result = cycle_found)]
fn acyclic_refs(db: &dyn Db, key: NodeKey) -> bool {
    let project = Project::get(db);
    resolved_parents(db, project, key)
        .refs
        .iter()
        .all(|(_, target)| match target {
            Some((uid, _)) => {
                let parent = NodeKey::new(db, uid.as_str());
                parent != key && acyclic_refs(db, parent)
            }
            None => true,
        })
}

fn cycle_found(_db: &dyn Db, _id: salsa::Id, _key: NodeKey) -> bool {
    false
}

/// Every node on a ref cycle (a strongly connected component of the ref graph with more
/// than one node, or a node that refs itself). One pass over all nodes' resolved refs:
/// walking each node's ancestors instead cost O(nodes x ancestors) on a cold compile. An
/// edit that keeps every node's refs never re-executes it, and one that changes refs
/// but not the cycles leaves `on_ref_cycle` untouched (the set is backdated).
#[salsa::tracked(returns(ref))]
fn ref_cycle_members(db: &dyn Db, project: Project) -> Vec<NodeKey> {
    let keys = crate::jinja::nodes::all_nodes(db, project);
    let index: std::collections::HashMap<NodeKey, petgraph::graph::NodeIndex> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, petgraph::graph::NodeIndex::new(i)))
        .collect();
    let mut graph = petgraph::graph::DiGraph::<NodeKey, ()>::with_capacity(keys.len(), 0);
    for key in keys {
        graph.add_node(*key);
    }
    // Positions in discovery order, so the result compares equal when the cycles do.
    let mut members = std::collections::BTreeSet::new();
    for key in keys {
        for (_, target) in &resolved_parents(db, project, *key).refs {
            let Some((uid, _)) = target else { continue };
            let parent = NodeKey::new(db, uid.as_str());
            if parent == *key {
                members.insert(index[key]);
            } else if let Some(p) = index.get(&parent) {
                graph.add_edge(*p, index[key], ());
            }
        }
    }
    for scc in petgraph::algo::tarjan_scc(&graph) {
        if scc.len() > 1 {
            members.extend(scc);
        }
    }
    members.into_iter().map(|i| graph[i]).collect()
}

fn analyzable(rt: ResourceType) -> bool {
    matches!(
        rt,
        ResourceType::Model | ResourceType::Snapshot | ResourceType::Analysis | ResourceType::Test
    )
}

crate::db::node_query! {
    pub fn analysis_mode -> copy Mode = analysis_mode_body
}

fn analysis_mode_body(db: &dyn Db, project: Project, key: NodeKey) -> Mode {
    let Some(node) = node_info(db, project, key) else {
        return Mode::Off;
    };
    if node.resource_type == ResourceType::Source || node.resource_type == ResourceType::Seed {
        return Mode::On;
    }
    let own = project
        .settings(db)
        .static_analysis
        .as_deref()
        .and_then(Mode::parse)
        .or_else(|| {
            node_config(db, project, key)
                .get("static_analysis")
                .and_then(|v| v.as_str())
                .and_then(Mode::parse)
        })
        .unwrap_or(Mode::On);
    if on_ref_cycle(db, project, key) {
        return own;
    }
    let mut mode = own;
    for (_, target) in &resolved_parents(db, project, key).refs {
        if let Some((uid, _)) = target {
            mode = mode.min(analysis_mode(db, project, NodeKey::new(db, uid.as_str())));
        }
    }
    mode
}

crate::db::node_query! {
    /// The binder's result for one node.
    pub fn node_analysis -> ref NodeAnalysis = node_analysis_body
}

fn node_analysis_body(db: &dyn Db, project: Project, key: NodeKey) -> NodeAnalysis {
    let Some(node) = node_info(db, project, key) else {
        return NodeAnalysis::default();
    };
    if !analyzable(node.resource_type) {
        return NodeAnalysis::skipped("not a SQL node");
    }
    let _span = tracing::debug_span!("analyze", node = %node.unique_id).entered();
    let mode = analysis_mode(db, project, key);
    if mode == Mode::Off {
        return NodeAnalysis::skipped("static_analysis is off");
    }
    if on_ref_cycle(db, project, key) {
        return NodeAnalysis::skipped("it is on a ref cycle");
    }
    let rendered = rendered_node(db, project, key);
    let Some(sql) = rendered.sql.clone() else {
        return NodeAnalysis::skipped("it does not render");
    };
    if rendered.introspective {
        return NodeAnalysis::skipped("introspective: rendered and analyzed just in time");
    }
    let Some(dialect) = Dialect::for_adapter(&active_target(db, project).adapter_type) else {
        return NodeAnalysis::skipped("no SQL dialect for this adapter");
    };
    let provider = provider::NodeProvider::new(db, project, key);
    let analysis = analyze_query(&sql, dialect, &provider);
    // DuckDB's parser descends from Postgres' grammar: on Postgres targets it stands in
    // for the server's (a model it parses is not flagged when sqlparser cannot parse it).
    if matches!(dialect, Dialect::DuckDb | Dialect::Postgres)
        && analysis
            .diagnostics
            .iter()
            .any(|d| d.code == codes::SQL_SYNTAX)
        && syntax::duckdb_parses(&sql) == Some(true)
    {
        return NodeAnalysis {
            status: Some(Status::Skipped(
                "sqlparser cannot parse it (DuckDB's parser can): not analyzed",
            )),
            opaque: true,
            ..NodeAnalysis::default()
        };
    }
    let mut schema = analysis.schema.map(|mut s| {
        // The relation dbt creates renames repeated names (`id`, `id_1`).
        crate::sql::schema::dedup_names(s.columns.iter_mut().map(|c| &mut c.name));
        Arc::new(s)
    });
    if node.resource_type == ResourceType::Snapshot
        && let Some(s) = &schema
    {
        schema = Some(Arc::new(snapshot_schema(s, node_config(db, project, key))));
    }
    let severity_error = mode >= Mode::Unsafe;
    if node.resource_type == ResourceType::Test {
        // A test's rows are its failures, not a relation anything reads.
        let diagnostics = if node.test.is_some() {
            data_tests::generic_test_diagnostics(
                db,
                node,
                &sql,
                &analysis.diagnostics,
                severity_error,
            )
        } else {
            template_diagnostics(db, node, &sql, &analysis.diagnostics, severity_error)
        };
        return NodeAnalysis {
            status: Some(Status::Analyzed),
            schema: None,
            diagnostics,
            opaque: analysis.opaque,
        };
    }
    let diagnostics = template_diagnostics(db, node, &sql, &analysis.diagnostics, severity_error);
    NodeAnalysis {
        status: Some(Status::Analyzed),
        schema,
        diagnostics,
        opaque: analysis.opaque,
    }
}

/// Findings on `sql`, placed in the node's own template (models, analyses, snapshots,
/// singular tests) through the source map.
fn template_diagnostics(
    db: &dyn Db,
    node: &crate::project::nodes::NodeInfo,
    sql: &str,
    found: &[crate::sql::SqlDiagnostic],
    severity_error: bool,
) -> Vec<Diagnostic> {
    // The template is only needed to place findings: a clean model does not copy it.
    let template = if found.is_empty() {
        None
    } else {
        raw_code(db, node)
    };
    found
        .iter()
        .map(|d| {
            let compiled = Span::from_range(sql, d.start, d.end);
            let message = format!(
                "{} (compiled SQL {}:{})",
                d.message, compiled.line, compiled.column
            );
            let mut diag = if severity_error {
                Diagnostic::error(d.code, message)
            } else {
                Diagnostic::warning(d.code, message)
            }
            .for_node(node.unique_id.clone());
            if let Some((text, origin)) = &template {
                let span = sourcemap::template_span(text, sql, d.start, d.end)
                    .unwrap_or_else(|| Span::from_range(text, 0, 0));
                let span = Span {
                    line: span.line + origin.line_offset - 1,
                    ..span
                };
                diag = diag.at(origin.file.clone(), Some(span));
            }
            if let Some(h) = &d.hint {
                diag = diag.with_hint(h.clone());
            }
            diag
        })
        .collect()
}

/// A snapshot's table: the query's columns plus dbt's snapshot meta columns, named as
/// `snapshot_meta_column_names` says, with `dbt_is_deleted` under `hard_deletes:
/// new_record`.
fn snapshot_schema(
    s: &RelationSchema,
    config: &serde_json::Map<String, serde_json::Value>,
) -> RelationSchema {
    use crate::sql::types::SqlType;
    let renames = config
        .get("snapshot_meta_column_names")
        .and_then(|v| v.as_object());
    let mut meta = vec![
        ("dbt_scd_id", SqlType::Varchar),
        ("dbt_updated_at", SqlType::Unknown),
        ("dbt_valid_from", SqlType::Unknown),
        ("dbt_valid_to", SqlType::Unknown),
    ];
    if config.get("hard_deletes").and_then(|v| v.as_str()) == Some("new_record") {
        meta.push(("dbt_is_deleted", SqlType::Varchar));
    }
    let mut columns = s.columns.clone();
    for (name, ty) in meta {
        let name = renames
            .and_then(|r| r.get(name))
            .and_then(|v| v.as_str())
            .unwrap_or(name);
        columns.push(Column {
            name: name.to_string(),
            ty,
            lineage: Vec::new(),
        });
    }
    RelationSchema { columns }
}

crate::db::node_query! {
    /// A node's output schema with lineage: inferred for analyzed nodes, from the CSV for
    /// seeds, declared (`columns:` with `data_type`) for sources and unanalyzed nodes.
    pub fn model_schema -> ref Option<Arc<RelationSchema>> = model_schema_body
}

fn model_schema_body(db: &dyn Db, project: Project, key: NodeKey) -> Option<Arc<RelationSchema>> {
    let node = node_info(db, project, key).as_ref()?;
    let dialect = || Dialect::for_adapter(&active_target(db, project).adapter_type);
    match node.resource_type {
        ResourceType::Seed => {
            let text = node.file?.contents(db)?;
            upstream::seed_schema(&text, node_config(db, project, key), dialect()).map(Arc::new)
        }
        ResourceType::Source => {
            upstream::source_schema(db, project, key, &node.patch.columns, dialect())
        }
        _ => node_analysis(db, project, key)
            .schema
            .clone()
            .or_else(|| upstream::declared_schema(&node.patch.columns, dialect())),
    }
}

/// What children bind against: names and types only, and whether the list is complete.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UpstreamColumns {
    pub schema: Arc<RelationSchema>,
    /// False for declared columns: the relation may have more.
    pub complete: bool,
}

crate::db::node_query! {
    /// Names and types only: what children bind against.
    pub fn upstream_columns -> ref Option<UpstreamColumns> = upstream_columns_body
}

fn upstream_columns_body(db: &dyn Db, project: Project, key: NodeKey) -> Option<UpstreamColumns> {
    let schema = model_schema(db, project, key).as_ref()?;
    let node = node_info(db, project, key).as_ref()?;
    let complete = match node.resource_type {
        ResourceType::Seed => true,
        ResourceType::Source => upstream::source_complete(db, project, key, &node.patch.columns),
        _ => node_analysis(db, project, key).schema.is_some(),
    };
    Some(UpstreamColumns {
        schema: Arc::new(RelationSchema {
            columns: schema
                .columns
                .iter()
                .map(|c| Column {
                    name: c.name.clone(),
                    ty: c.ty.clone(),
                    lineage: Vec::new(),
                })
                .collect(),
        }),
        complete,
    })
}
