//! `dbtc ls`: the selected nodes, one per line (dbt's default `selector` output).

use super::{Common, Session};
use crate::db::NodeKey;
use crate::graph::select;
use crate::jinja::nodes::node_info;

pub fn run(common: &Common) -> i32 {
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    for uid in select(db, project, &common.select, &common.exclude) {
        if let Some(node) = node_info(db, project, NodeKey::new(db, uid.clone())) {
            match node.source.as_ref() {
                Some(s) => println!("source:{}.{}.{}", node.package, s.source_name, s.table_name),
                None => println!("{}", node.fqn.join(".")),
            }
        }
    }
    0
}
