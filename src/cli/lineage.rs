//! `dbtc lineage MODEL[.COLUMN] [--upstream|--downstream] [--format text|json|dot|mermaid]`.

use clap::ValueEnum;
use serde_json::json;

use super::{Common, Session};
use crate::artifacts::lineage::{ColumnRef, Edge, start_columns, walk};
use crate::compile::{default_threads, warm_parallel};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    Dot,
    Mermaid,
}

pub fn run(common: &Common, target: &str, upstream: bool, downstream: bool, format: Format) -> i32 {
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    warm_parallel(db, project, default_threads());
    let Some((uid, column)) = resolve(db, project, target) else {
        eprintln!("error: no model, seed, snapshot or source named `{target}`");
        return 2;
    };
    let Some(start) = start_columns(db, project, &uid, column.as_deref()) else {
        eprintln!(
            "error: {uid} has no known column{} (not analyzed, or the column does not exist)",
            column.map(|c| format!(" `{c}`")).unwrap_or_default()
        );
        return 1;
    };
    let (up, down) = if upstream || downstream {
        (upstream, downstream)
    } else {
        (true, true)
    };
    let edges = walk(db, project, &start, up, down);
    print!("{}", render(&start, &edges, format));
    std::mem::forget(session);
    0
}

/// `name`, `name.column`, `package.name.column` or a unique_id (with `.column`).
fn resolve(
    db: &dyn crate::db::Db,
    project: crate::db::Project,
    target: &str,
) -> Option<(String, Option<String>)> {
    let nodes = &crate::project::nodes::node_index(db, project).nodes;
    let find = |name: &str| -> Option<String> {
        if nodes.contains_key(name) {
            return Some(name.to_string());
        }
        nodes
            .values()
            .find(|n| {
                n.name == name
                    || n.source
                        .as_ref()
                        .is_some_and(|_| n.unique_id.ends_with(&format!(".{name}")))
            })
            .map(|n| n.unique_id.clone())
    };
    if let Some(uid) = find(target) {
        return Some((uid, None));
    }
    let (node, column) = target.rsplit_once('.')?;
    find(node).map(|uid| (uid, Some(column.to_string())))
}

fn label(c: &ColumnRef) -> String {
    format!("{}.{}", c.node, c.column)
}

fn render(start: &[ColumnRef], edges: &[Edge], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Text => {
            for s in start {
                out.push_str(&format!("{}\n", label(s)));
            }
            for e in edges {
                out.push_str(&format!(
                    "  {} --{}--> {}\n",
                    label(&e.upstream),
                    e.kind.as_str(),
                    label(&e.downstream)
                ));
            }
        }
        Format::Json => {
            let value = json!({
                "columns": start.iter().map(|c| json!({"node": c.node, "column": c.column})).collect::<Vec<_>>(),
                "edges": edges.iter().map(|e| json!({
                    "from": {"node": e.upstream.node, "column": e.upstream.column},
                    "to": {"node": e.downstream.node, "column": e.downstream.column},
                    "kind": e.kind.as_str(),
                })).collect::<Vec<_>>(),
            });
            out = serde_json::to_string_pretty(&value).unwrap_or_default();
            out.push('\n');
        }
        Format::Dot => {
            out.push_str("digraph lineage {\n  rankdir=LR;\n");
            for e in edges {
                out.push_str(&format!(
                    "  \"{}\" -> \"{}\" [label=\"{}\"];\n",
                    label(&e.upstream),
                    label(&e.downstream),
                    e.kind.as_str()
                ));
            }
            out.push_str("}\n");
        }
        Format::Mermaid => {
            out.push_str("flowchart LR\n");
            let id = |c: &ColumnRef| {
                label(c)
                    .chars()
                    .map(|ch| if ch.is_alphanumeric() { ch } else { '_' })
                    .collect::<String>()
            };
            for e in edges {
                out.push_str(&format!(
                    "  {}[\"{}\"] -->|{}| {}[\"{}\"]\n",
                    id(&e.upstream),
                    label(&e.upstream),
                    e.kind.as_str(),
                    id(&e.downstream),
                    label(&e.downstream)
                ));
            }
        }
    }
    out
}
