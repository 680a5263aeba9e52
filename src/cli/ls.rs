//! `dbtc ls`: the selected nodes, one per line (dbt's default `selector` output).

use super::{Common, Session};
use crate::db::NodeKey;
use crate::graph::{select, selector_name};
use crate::jinja::nodes::node_info;

pub fn run(common: &Common, resource_types: &[String]) -> i32 {
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    let mut lines: Vec<String> = select(db, project, &common.select, &common.exclude)
        .into_iter()
        .filter_map(|uid| node_info(db, project, NodeKey::new(db, uid)).clone())
        .filter(|node| crate::graph::ls_includes(resource_types, node.resource_type))
        .map(|node| selector_name(&node))
        .collect();
    if crate::project::unit_test_select::ls_lists_unit_tests(resource_types) {
        let units = crate::project::unit_test_select::select_unit_tests(
            db,
            project,
            &common.select,
            &common.exclude,
        );
        lines.extend(
            units
                .iter()
                .map(|t| crate::project::unit_test_select::selector_name(t)),
        );
    }
    lines.sort();
    for line in lines {
        println!("{line}");
    }
    0
}
