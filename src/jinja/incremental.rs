//! The render of an incremental model for a run where its relation already exists:
//! `is_incremental()` is true there, so the model's SQL differs from the one compiled
//! ahead of time (where no relation exists yet). The runner asks for it just in time,
//! after checking the relation in the database.

use crate::db::{Db, NodeKey, Project};

use std::sync::Arc;

use super::nodes::{
    RenderedNode, rendered_node, rendered_node_impl, with_ephemerals, with_live_ephemerals,
};

/// The compiled SQL of a node rendered with its own relation existing (`is_incremental()`
/// true for an incremental model unless its `full_refresh` config is true), ephemeral CTEs
/// injected. Reads what `rendered_node` reads; memoized so that a watch session or a
/// second run in one process renders it once.
#[salsa::tracked(returns(ref))]
pub fn incremental_sql(db: &dyn Db, project: Project, key: NodeKey) -> RenderedNode {
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
    let rendered = rendered_node_impl(db, project, key, this_exists, Some(Arc::clone(&live)));
    with_live_ephemerals(db, project, rendered, Some(&live))
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
