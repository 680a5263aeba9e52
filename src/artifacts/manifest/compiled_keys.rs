//! Keys dbt-core adds to a node when it compiles it: `extra_ctes` (every ephemeral model the
//! node reads, directly or through other ephemeral models, as the CTE dbt injects) and
//! `extra_ctes_injected`.

use serde_json::{Value, json};

use crate::db::{Db, NodeKey, Project};
use crate::jinja::nodes::{ephemeral_ctes, rendered_node};

/// dbt's `extra_ctes` of a compiled node: for each ephemeral model it refs, in first-use
/// order, first that model's own extra_ctes, then `{"id", "sql": " __dbt__cte__<alias> as
/// (\n<its SQL before injection>\n)"}`; each id once (the CTEs its compiled SQL holds, see
/// `crate::jinja::nodes::ephemeral_ctes`). Reads the compile-time renders of the node and of
/// the ephemeral models.
pub(super) fn extra_ctes(db: &dyn Db, project: Project, key: NodeKey) -> Value {
    let ephemerals = &rendered_node(db, project, key).ephemerals;
    let ctes = ephemeral_ctes(db, project, ephemerals, None, &mut Vec::new());
    Value::Array(
        ctes.into_iter()
            .map(|(id, sql)| json!({"id": id, "sql": sql}))
            .collect(),
    )
}
