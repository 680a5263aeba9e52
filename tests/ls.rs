//! `dbtc ls` selection against `dbt ls` goldens (fixtures/*/expected/ls/*.txt: the first
//! line holds the arguments, the rest dbt-core's sorted output).

mod common;

use dbtc::db::NodeKey;
use dbtc::graph::{select, selector_name};
use dbtc::jinja::nodes::node_info;

/// Parses `dbt ls` arguments: -s/--select, --exclude, --resource-type.
fn parse_args(line: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut select, mut exclude, mut types) = (Vec::new(), Vec::new(), Vec::new());
    let mut target: Option<&mut Vec<String>> = None;
    for word in line.split_whitespace() {
        match word {
            "-s" | "--select" => target = Some(&mut select),
            "--exclude" => target = Some(&mut exclude),
            "--resource-type" => target = Some(&mut types),
            w => target
                .as_mut()
                .expect("a flag before values")
                .push(w.to_string()),
        }
    }
    (select, exclude, types)
}

#[test]
fn shop_selection_matches_dbt_ls() {
    let root = common::fixture_dir("shop");
    let (db, project) = common::load_fixture("shop");
    let mut checked = 0;
    let mut problems = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("expected/ls"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines = text.lines();
        let args = lines.next().unwrap();
        let expected: Vec<&str> = lines.collect();
        let (sel, exc, types) = parse_args(args);
        let mut ours: Vec<String> = select(&db, project, &sel, &exc)
            .into_iter()
            .filter_map(|uid| node_info(&db, project, NodeKey::new(&db, uid)).clone())
            .filter(|n| dbtc::graph::ls_includes(&types, n.resource_type))
            .map(|n| selector_name(&n))
            .collect();
        ours.sort();
        if ours != expected {
            problems.push(format!(
                "dbt ls {args}\n  dbt : {expected:?}\n  dbtc: {ours:?}"
            ));
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} selector goldens");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
