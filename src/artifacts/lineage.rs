//! Column lineage across the DAG: `target/lineage.json` and the graph walks behind
//! `dbtc lineage`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::db::{Db, NodeKey, Project};
use crate::sql::analysis::model_schema;
use crate::sql::schema::LineageKind;

/// One column of one node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ColumnRef {
    pub node: String,
    pub column: String,
}

/// `upstream` column feeds `downstream` column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub upstream: ColumnRef,
    pub downstream: ColumnRef,
    pub kind: LineageKind,
}

/// Every node with a known schema, in DAG order.
fn schema_nodes(db: &dyn Db, project: Project) -> Vec<String> {
    crate::graph::dag(db, project)
        .parents
        .keys()
        .filter(|uid| model_schema(db, project, NodeKey::new(db, (*uid).clone())).is_some())
        .cloned()
        .collect()
}

/// `target/lineage.json`: per node, its columns in output order with their direct lineage,
/// serialized straight from the schemas (a `serde_json::Value` of a 10,000-model project
/// held about 240 MB at once).
pub fn lineage_json(db: &dyn Db, project: Project) -> Vec<u8> {
    let mut out = Vec::new();
    write_lineage_to(db, project, &mut out).expect("lineage serializes into memory");
    out
}

/// Writes `target/lineage.json` to `path`, streamed through a buffer: the 24 MB of a
/// 10,000-model project are never held (nor regrown) in memory.
pub fn write_lineage(db: &dyn Db, project: Project, path: &std::path::Path) -> Result<(), String> {
    crate::artifacts::write::write_streamed(path, |w| {
        write_lineage_to(db, project, w).map_err(std::io::Error::other)
    })
}

fn write_lineage_to(
    db: &dyn Db,
    project: Project,
    out: &mut dyn std::io::Write,
) -> serde_json::Result<()> {
    use serde::ser::{SerializeMap, Serializer};
    let mut ser = serde_json::Serializer::new(out);
    let mut top = (&mut ser).serialize_map(Some(1))?;
    top.serialize_entry("nodes", &NodesOut { db, project })?;
    top.end()
}

/// The `nodes` object of lineage.json, serialized node by node.
struct NodesOut<'a> {
    db: &'a dyn Db,
    project: Project,
}

impl serde::Serialize for NodesOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (db, project) = (self.db, self.project);
        let mut map = serializer.serialize_map(None)?;
        // One pass over the DAG: each node is interned and its schema looked up once.
        for uid in crate::graph::dag(db, project).parents.keys() {
            let Some(schema) = model_schema(db, project, NodeKey::new(db, uid.as_str())) else {
                continue;
            };
            let columns: Vec<ColumnOut<'_>> = schema
                .columns
                .iter()
                .map(|c| ColumnOut {
                    name: &c.name,
                    data_type: (!c.ty.is_unknown()).then(|| c.ty.to_string()),
                    lineage: c
                        .lineage
                        .iter()
                        .map(|e| EdgeOut {
                            node: &e.node,
                            column: &e.column,
                            kind: e.kind.as_str(),
                        })
                        .collect(),
                })
                .collect();
            map.serialize_entry(uid, &NodeOut { columns })?;
        }
        map.end()
    }
}

#[derive(serde::Serialize)]
struct NodeOut<'a> {
    columns: Vec<ColumnOut<'a>>,
}

#[derive(serde::Serialize)]
struct ColumnOut<'a> {
    name: &'a str,
    data_type: Option<String>,
    lineage: Vec<EdgeOut<'a>>,
}

#[derive(serde::Serialize)]
struct EdgeOut<'a> {
    node: &'a str,
    column: &'a str,
    kind: &'static str,
}

/// Every direct edge of the project.
fn all_edges(db: &dyn Db, project: Project) -> Vec<Edge> {
    let mut edges = Vec::new();
    for uid in schema_nodes(db, project) {
        let Some(schema) = model_schema(db, project, NodeKey::new(db, uid.clone())) else {
            continue;
        };
        for c in &schema.columns {
            for e in &c.lineage {
                edges.push(Edge {
                    upstream: ColumnRef {
                        node: e.node.to_string(),
                        column: e.column.to_string(),
                    },
                    downstream: ColumnRef {
                        node: uid.clone(),
                        column: c.name.clone(),
                    },
                    kind: e.kind,
                });
            }
        }
    }
    edges
}

/// The edges reachable from `start` (columns of one node), walking up and/or down.
pub fn walk(
    db: &dyn Db,
    project: Project,
    start: &[ColumnRef],
    upstream: bool,
    downstream: bool,
) -> Vec<Edge> {
    let edges = all_edges(db, project);
    let mut by_down: BTreeMap<&ColumnRef, Vec<&Edge>> = BTreeMap::new();
    let mut by_up: BTreeMap<&ColumnRef, Vec<&Edge>> = BTreeMap::new();
    for e in &edges {
        by_down.entry(&e.downstream).or_default().push(e);
        by_up.entry(&e.upstream).or_default().push(e);
    }
    let mut out: BTreeSet<Edge> = BTreeSet::new();
    for (enabled, index, up) in [(upstream, &by_down, true), (downstream, &by_up, false)] {
        if !enabled {
            continue;
        }
        let mut seen: BTreeSet<ColumnRef> = start.iter().cloned().collect();
        let mut queue: VecDeque<ColumnRef> = start.iter().cloned().collect();
        while let Some(col) = queue.pop_front() {
            for e in index.get(&col).into_iter().flatten() {
                out.insert((*e).clone());
                let next = if up { &e.upstream } else { &e.downstream };
                if seen.insert(next.clone()) {
                    queue.push_back(next.clone());
                }
            }
        }
    }
    out.into_iter().collect()
}

/// The columns of a node (all of them when `column` is None); None if the node has no
/// known schema or no such column.
pub fn start_columns(
    db: &dyn Db,
    project: Project,
    uid: &str,
    column: Option<&str>,
) -> Option<Vec<ColumnRef>> {
    let schema = model_schema(db, project, NodeKey::new(db, uid.to_string())).as_ref()?;
    let cols: Vec<ColumnRef> = schema
        .columns
        .iter()
        .filter(|c| column.is_none_or(|n| c.name.eq_ignore_ascii_case(n)))
        .map(|c| ColumnRef {
            node: uid.to_string(),
            column: c.name.clone(),
        })
        .collect();
    (!cols.is_empty()).then_some(cols)
}
