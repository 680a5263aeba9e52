//! What a build does beyond creating its relation, planned before the run from the node's
//! config and properties: its pre- and post-hooks (rendered in the node's context),
//! `persist_docs` comments and an enforced `contract`.

use crate::db::{Db, NodeKey, Project};

/// The planned extras of one node.
#[derive(Debug, Clone, Default)]
pub struct Extras {}

impl Extras {
    /// Plans the extras of a node.
    pub fn plan(_db: &dyn Db, _project: Project, _key: NodeKey) -> Extras {
        Extras::default()
    }
}
