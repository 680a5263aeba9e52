//! The `model` and `graph` objects of the dbt context.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::nodes::{node_config, node_info, node_relation};
use super::relation::RelationData;
use crate::db::{Db, NodeKey, Project};
use crate::project::nodes::NodeInfo;

/// The `model` object of the context.
pub(super) fn model_value(
    node: &Arc<NodeInfo>,
    config: &Arc<Map<String, Value>>,
    relation: Option<&RelationData>,
    raw: &Arc<str>,
) -> minijinja::Value {
    minijinja::Value::from_object(ModelObj {
        node: Arc::clone(node),
        config: Arc::clone(config),
        relation: relation.cloned(),
        raw: Arc::clone(raw),
    })
}

/// `model` in the context, built on access: most templates never read it, and building
/// it eagerly for every render was a measurable share of a cold compile.
#[derive(Debug)]
struct ModelObj {
    node: Arc<NodeInfo>,
    config: Arc<Map<String, Value>>,
    relation: Option<RelationData>,
    raw: Arc<str>,
}

impl minijinja::value::Object for ModelObj {
    fn get_value(self: &Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        let node = &self.node;
        let v = |x: Value| crate::jinja::to_value(x);
        let s = |x: &str| minijinja::Value::from(x.to_string());
        Some(match key.as_str()? {
            "unique_id" => s(&node.unique_id),
            "name" => s(&node.name),
            "package_name" => s(&node.package),
            "resource_type" => s(node.resource_type.as_str()),
            "original_file_path" => s(&node.original_file_path),
            "path" => s(&node.path),
            "fqn" => v(Value::from(node.fqn.clone())),
            "config" => v(Value::Object((*self.config).clone())),
            "tags" => v(self
                .config
                .get("tags")
                .cloned()
                .unwrap_or(Value::Array(vec![]))),
            "meta" => v(self
                .config
                .get("meta")
                .cloned()
                .unwrap_or(Value::Object(Map::new()))),
            "description" => s(&node.patch.description),
            "raw_code" | "raw_sql" => s(&self.raw),
            "language" => s("sql"),
            "columns" => v(Value::Object(Map::new())),
            "version" => node
                .version
                .as_deref()
                .map_or(minijinja::Value::from(()), s),
            "database" => minijinja::Value::from(self.relation.as_ref()?.database.clone()),
            "schema" => minijinja::Value::from(self.relation.as_ref()?.schema.clone()),
            "alias" | "identifier" => {
                minijinja::Value::from(self.relation.as_ref()?.identifier.clone())
            }
            "test_metadata" => {
                let test = node.test.as_ref()?;
                v(serde_json::json!({
                    "name": test.test_name, "namespace": test.namespace,
                    "kwargs": Value::Object(test.kwargs.clone().into_iter().collect()),
                }))
            }
            "column_name" => minijinja::Value::from(node.test.as_ref()?.column_name.clone()),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Str(&[
            "unique_id",
            "name",
            "package_name",
            "resource_type",
            "original_file_path",
            "path",
            "fqn",
            "config",
            "tags",
            "meta",
            "description",
            "raw_code",
            "language",
            "columns",
        ])
    }
}

/// dbt's `graph` context variable: every enabled node and source with its config, tags,
/// relation and dependencies (the keys macros commonly read). Reads the DAG and every
/// node's config and relation, so only templates that mention `graph` depend on it.
#[salsa::tracked(returns(clone))]
pub fn flat_graph(db: &dyn Db, project: Project) -> Arc<Value> {
    let dag = crate::graph::dag(db, project);
    let mut nodes = Map::new();
    let mut sources = Map::new();
    for (uid, parents) in &dag.parents {
        let key = NodeKey::new(db, uid.as_str());
        let Some(node) = node_info(db, project, key) else {
            continue;
        };
        let config = node_config(db, project, key);
        let relation = node_relation(db, project, key);
        let mut entry = serde_json::json!({
            "unique_id": uid,
            "name": node.name,
            "resource_type": node.resource_type.as_str(),
            "package_name": node.package,
            "original_file_path": node.original_file_path,
            "path": node.path,
            "fqn": node.fqn,
            "config": config,
            "tags": config.get("tags").cloned().unwrap_or(Value::Array(Vec::new())),
            "meta": config.get("meta").cloned().unwrap_or(Value::Object(Map::new())),
            "description": node.patch.description,
            "depends_on": {"nodes": parents},
            "columns": node.patch.columns.as_array().map(|cols| {
                cols.iter().filter_map(|c| Some((c.get("name")?.as_str()?.to_string(), c.clone()))).collect::<Map<String, Value>>()
            }).unwrap_or_default(),
        });
        if let Some(rel) = relation {
            entry["database"] = rel.database.clone().into();
            entry["schema"] = rel.schema.clone().into();
            entry["alias"] = rel.identifier.clone().into();
            entry["relation_name"] = rel.render().into();
        }
        if let Some(test) = &node.test {
            entry["test_metadata"] = serde_json::json!({
                "name": test.test_name, "namespace": test.namespace,
                "kwargs": Value::Object(test.kwargs.clone().into_iter().collect()),
            });
            entry["column_name"] = test.column_name.clone().into();
        }
        match &node.source {
            Some(src) => {
                entry["source_name"] = src.source_name.clone().into();
                entry["identifier"] = src.identifier.clone().into();
                sources.insert(uid.clone(), entry);
            }
            None => {
                nodes.insert(uid.clone(), entry);
            }
        }
    }
    Arc::new(serde_json::json!({"nodes": nodes, "sources": sources, "macros": {}, "exposures": {}}))
}
