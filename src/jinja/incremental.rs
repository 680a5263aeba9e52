//! The render of an incremental model for a run where its relation already exists:
//! `is_incremental()` is true there, so the model's SQL differs from the one compiled
//! ahead of time (where no relation exists yet). The runner asks for it just in time,
//! after checking the relation in the database.

use crate::db::{Db, NodeKey, Project};

use std::sync::Arc;

use super::nodes::{
    RenderedNode, ephemeral_ctes, inject_ctes, rendered_node, rendered_node_impl, with_ephemerals,
};

crate::db::node_query! {
    /// The compiled SQL of a node rendered with its own relation existing (`is_incremental()`
    /// true for an incremental model unless its `full_refresh` config is true), ephemeral CTEs
    /// injected. Reads what `rendered_node` reads; memoized so that a watch session or a
    /// second run in one process renders it once.
    pub fn incremental_sql -> ref RenderedNode = incremental_sql_body
}

fn incremental_sql_body(db: &dyn Db, project: Project, key: NodeKey) -> RenderedNode {
    with_ephemerals(
        db,
        project,
        rendered_node_impl(db, project, key, true, None),
    )
}

/// The compiled SQL of an introspective node rendered just in time during a run, its
/// queries answered by `live` (see `crate::jinja::live`), ephemeral CTEs injected.
/// `this_exists` as for [`incremental_sql`]. Not memoized: the database it reads is not a
/// salsa input and changes during the run.
pub fn live_sql(
    db: &dyn Db,
    project: Project,
    key: NodeKey,
    this_exists: bool,
    live: super::live::Live,
) -> RenderedNode {
    live_render(db, project, key, this_exists, Some(&live)).node
}

/// A render other than the ahead-of-time one, with what the manifest keeps of it.
#[derive(Debug, Clone, Default)]
pub struct Rerendered {
    /// The render, ephemeral CTEs injected.
    pub node: RenderedNode,
    /// dbt's `extra_ctes` of this render: (unique_id, CTE) of each ephemeral model it
    /// inlines, dependencies first (see `crate::jinja::nodes::ephemeral_ctes`).
    pub extra_ctes: Vec<(String, String)>,
}

/// The render of a node with `this_exists` (as for [`incremental_sql`]) and, when given,
/// its queries answered by `live`, including the ephemeral models it inlines: the SQL
/// `dbt compile` writes for it when the target holds data. Without `live`, the render is
/// [`incremental_sql`]'s (memoized).
pub fn live_render(
    db: &dyn Db,
    project: Project,
    key: NodeKey,
    this_exists: bool,
    live: Option<&super::live::Live>,
) -> Rerendered {
    let rendered = match live {
        Some(live) => rendered_node_impl(db, project, key, this_exists, Some(Arc::clone(live))),
        None if this_exists => {
            let node = incremental_sql(db, project, key).clone();
            let mut diagnostics = Vec::new();
            let extra_ctes = ephemeral_ctes(db, project, &node.ephemerals, None, &mut diagnostics);
            return Rerendered { node, extra_ctes };
        }
        None => rendered_node(db, project, key).clone(),
    };
    let Some(sql) = &rendered.sql else {
        return Rerendered {
            node: rendered,
            extra_ctes: Vec::new(),
        };
    };
    if rendered.ephemerals.is_empty() {
        return Rerendered {
            node: rendered,
            extra_ctes: Vec::new(),
        };
    }
    let mut diagnostics = Vec::new();
    let extra_ctes = ephemeral_ctes(db, project, &rendered.ephemerals, live, &mut diagnostics);
    let ctes: Vec<String> = extra_ctes.iter().map(|(_, cte)| cte.clone()).collect();
    let sql = inject_ctes(sql, &ctes);
    Rerendered {
        node: RenderedNode {
            sql: Some(Arc::from(sql)),
            diagnostics: [rendered.diagnostics, diagnostics].concat(),
            ..rendered
        },
        extra_ctes,
    }
}

/// Whether a node must render just in time: its own render queries data, or that of an
/// ephemeral model it inlines (at any depth).
pub fn renders_live(db: &dyn Db, project: Project, key: NodeKey) -> bool {
    fn walk(db: &dyn Db, project: Project, key: NodeKey, depth: usize) -> bool {
        let rendered = rendered_node(db, project, key);
        rendered.introspective
            || (depth < 64
                && rendered
                    .ephemerals
                    .iter()
                    .any(|uid| walk(db, project, NodeKey::new(db, uid.as_str()), depth + 1)))
    }
    walk(db, project, key, 0)
}
