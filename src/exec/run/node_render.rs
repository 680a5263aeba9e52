//! Rendering a text other than the node's own SQL (a hook) in a node's compile-time
//! context, as dbt renders hooks inside the materialization: `this`, `ref`/`source`
//! (the node's own and any the text names), `config`, `model`, macros and
//! `is_incremental()`.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::db::{Db, NodeKey, Project};
use crate::jinja::context::{Phase, RefTarget};
use crate::jinja::live::Live;
use crate::jinja::nodes::{base_input, node_config, node_info, node_relation, raw_code};
use crate::jinja::relation::RelationData;
use crate::jinja::render::{TemplateOrigin, render};
use crate::project::config::project_config;
use crate::project::nodes::node_index;

/// Renders `text` as part of node `key`; `this_exists`: its relation exists (what
/// `is_incremental()` asks); `live`: the run's connection answers the render's queries
/// (`run_query`, statements, `adapter.get_relation`, ...), as dbt renders a hook just
/// before it runs. Ahead of the run (`live` None), a text that queries the database
/// renders to None: it is to be rendered live. The error is the render's message.
pub fn render_in_node(
    db: &dyn Db,
    project: Project,
    key: NodeKey,
    text: &str,
    this_exists: bool,
    live: Option<Live>,
) -> Result<Option<String>, String> {
    let node = node_info(db, project, key)
        .clone()
        .ok_or_else(|| "unknown node".to_string())?;
    // Seeds have no template: errors point at their file.
    let origin = raw_code(db, &node).map_or_else(
        || TemplateOrigin {
            file: node.file.map_or_else(
                || node.original_file_path.clone().into(),
                |f| f.path(db).clone(),
            ),
            line_offset: 1,
            locate: None,
            source_file: None,
        },
        |(_, origin)| origin,
    );
    let config = (**node_config(db, project, key)).clone();
    let name = format!("{}#hook", node.unique_id);
    let parse_input = base_input(db, project, &node, Phase::Parse, config.clone());
    let parsed = render(db, project, parse_input, &name, text, &origin);
    parsed.output.map_err(|d| d.message)?;
    let mut input = base_input(db, project, &node, Phase::Compile, config.clone());
    let this = node_relation(db, project, key).clone();
    if this_exists && let Some(t) = &this {
        input.existing_relations = Arc::new(BTreeSet::from([t.render()]));
    }
    input.model = crate::jinja::to_value(model_json(&node, &config, this.as_ref()));
    let is_live = live.is_some();
    input.live = live;
    input.this = this;
    let index = node_index(db, project);
    let root = project_config(db, project).root.name.clone();
    for call in &parsed.collected.refs {
        let local = (node.package != root).then_some(node.package.as_str());
        let version = call.version.as_deref();
        let target = index
            .find_ref(
                &root,
                call.package.as_deref().or(local),
                &call.name,
                version,
            )
            .or_else(|| index.find_ref(&root, call.package.as_deref(), &call.name, version))
            .ok_or_else(|| {
                format!(
                    "{} '{}' depends on a node named '{}' which was not found",
                    node.resource_type.as_str(),
                    node.name,
                    call.name
                )
            })?;
        let pkey = NodeKey::new(db, target.unique_id.clone());
        let Some(mut relation) = node_relation(db, project, pkey).clone() else {
            continue;
        };
        let materialized = node_config(db, project, pkey)
            .get("materialized")
            .and_then(Value::as_str);
        let ephemeral = (materialized == Some("ephemeral")).then(|| target.unique_id.clone());
        if ephemeral.is_some() {
            relation.cte_name = crate::jinja::nodes::ephemeral_cte_name(db, project, pkey);
        }
        input.refs.insert(
            call.clone(),
            RefTarget {
                relation,
                ephemeral,
            },
        );
    }
    for (source, table) in &parsed.collected.sources {
        let target = index.find_source(source, table).ok_or_else(|| {
            format!(
                "{} '{}' depends on a source named '{source}.{table}' which was not found",
                node.resource_type.as_str(),
                node.name
            )
        })?;
        let skey = NodeKey::new(db, target.unique_id.clone());
        if let Some(relation) = node_relation(db, project, skey) {
            input
                .sources
                .insert((source.clone(), table.clone()), relation.clone());
        }
    }
    let compiled = render(db, project, input, &name, text, &origin);
    if compiled.collected.introspective && !is_live {
        // Rendered ahead of the run, a query's answer is empty (and what the text does
        // with it may fail): the text is rendered again when it runs.
        return Ok(None);
    }
    compiled.output.map(Some).map_err(|d| d.message)
}

/// `model` as a hook sees it: the node's main properties.
fn model_json(
    node: &crate::project::nodes::NodeInfo,
    config: &Map<String, Value>,
    relation: Option<&RelationData>,
) -> Value {
    let mut model = json!({
        "unique_id": node.unique_id,
        "name": node.name,
        "package_name": node.package,
        "resource_type": node.resource_type.as_str(),
        "original_file_path": node.original_file_path,
        "path": node.path,
        "fqn": node.fqn,
        "config": config,
        "tags": config.get("tags").cloned().unwrap_or(json!([])),
        "meta": config.get("meta").cloned().unwrap_or(json!({})),
        "description": node.patch.description,
        "language": "sql",
        "columns": columns_json(&node.patch.columns),
    });
    if let Some(r) = relation {
        model["database"] = json!(r.database);
        model["schema"] = json!(r.schema);
        model["alias"] = json!(r.identifier);
    }
    model
}

/// The yml columns as dbt's `model.columns`: by name, each with its name, description,
/// data_type, constraints, quote and meta.
fn columns_json(columns: &Value) -> Value {
    let mut out = Map::new();
    for c in columns.as_array().into_iter().flatten() {
        let Some(name) = c.get("name").and_then(Value::as_str) else {
            continue;
        };
        let field = |key: &str, default: Value| c.get(key).cloned().unwrap_or(default);
        out.insert(
            name.to_string(),
            json!({
                "name": name,
                "description": field("description", json!("")),
                "data_type": field("data_type", Value::Null),
                "constraints": field("constraints", json!([])),
                "quote": field("quote", Value::Null),
                "meta": field("meta", json!({})),
            }),
        );
    }
    Value::Object(out)
}
