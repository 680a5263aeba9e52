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

/// unique_id -> (compiled SQL, extra_ctes as (id, CTE)) of the nodes a compile rendered
/// again with the database (`crate::cli::compile_live`): their entries hold that render,
/// as dbt's manifest holds the one of target/compiled.
pub type Recompiled = std::collections::BTreeMap<String, (String, Vec<(String, String)>)>;

/// A serialized entry (`"uid":{...}`) with its compiled keys set to `sql` and `ctes`
/// (added when the ahead-of-time render had failed). Only entries in [`Recompiled`] pay
/// for this parse.
pub(super) fn recompiled_entry(
    db: &dyn Db,
    project: Project,
    entry: Vec<u8>,
    (sql, ctes): &(String, Vec<(String, String)>),
) -> Vec<u8> {
    let mut wrapped = Vec::with_capacity(entry.len() + 2);
    wrapped.push(b'{');
    wrapped.extend_from_slice(&entry);
    wrapped.push(b'}');
    let Ok(Value::Object(outer)) = serde_json::from_slice::<Value>(&wrapped) else {
        return entry;
    };
    let Some((uid, Value::Object(mut n))) = outer.into_iter().next() else {
        return entry;
    };
    n.insert("compiled".into(), Value::Bool(true));
    n.insert("compiled_code".into(), Value::String(sql.clone()));
    let ctes = ctes
        .iter()
        .map(|(id, sql)| json!({"id": id, "sql": sql}))
        .collect();
    n.insert("extra_ctes".into(), Value::Array(ctes));
    n.insert("extra_ctes_injected".into(), Value::Bool(true));
    // `dbt compile` leaves snapshots without a compiled file.
    if n.get("resource_type").and_then(Value::as_str) != Some("snapshot") {
        let path = super::file_keys::compiled_path(db, project, &uid);
        n.insert("compiled_path".into(), path);
    }
    let mut out = serde_json::to_vec(&uid).expect("a string serializes");
    out.push(b':');
    serde_json::to_writer(&mut out, &n).expect("a JSON value serializes");
    out
}
