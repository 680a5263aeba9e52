//! Keys dbt-core adds to a node when it compiles it: `extra_ctes` (every ephemeral model the
//! node reads, directly or through other ephemeral models, as the CTE dbt injects) and
//! `extra_ctes_injected`.

use serde_json::{Value, json};

use crate::db::{Db, NodeKey, Project};
use crate::jinja::nodes::{node_info, rendered_node};

/// How deep ephemeral models may nest before we stop (a ref cycle is reported by the DAG).
const MAX_DEPTH: usize = 64;

/// dbt's `extra_ctes` of a compiled node: for each ephemeral model it refs, in first-use
/// order, first that model's own extra_ctes, then `{"id", "sql": " __dbt__cte__<name> as
/// (\n<its SQL before injection>\n)"}`; each id once. Reads the compile-time renders of the
/// node and of the ephemeral models.
pub(super) fn extra_ctes(db: &dyn Db, project: Project, key: NodeKey) -> Value {
    let mut out: Vec<(String, String)> = Vec::new();
    collect(
        db,
        project,
        &rendered_node(db, project, key).ephemerals,
        &mut out,
        0,
    );
    Value::Array(
        out.into_iter()
            .map(|(id, sql)| json!({"id": id, "sql": sql}))
            .collect(),
    )
}

fn collect(
    db: &dyn Db,
    project: Project,
    ephemerals: &[String],
    out: &mut Vec<(String, String)>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for uid in ephemerals {
        let key = NodeKey::new(db, uid.clone());
        let rendered = rendered_node(db, project, key);
        collect(db, project, &rendered.ephemerals, out, depth + 1);
        let (Some(node), Some(sql)) = (node_info(db, project, key), &rendered.sql) else {
            continue;
        };
        if out.iter().any(|(id, _)| id == uid) {
            continue;
        }
        let sql = format!(" __dbt__cte__{} as (\n{sql}\n)", node.name);
        out.push((uid.clone(), sql));
    }
}
