//! Rendering SQL that is not a node of the project (`dbtc show --inline`): the text is
//! rendered once at parse time to find its refs and sources, which are resolved as a root
//! project model's would be, then at compile time; ephemeral models become CTEs.

use std::path::PathBuf;

use serde_json::Map;

use super::context::{Phase, RefTarget};
use super::nodes::{
    RenderedNode, base_input, ephemeral_cte_name, node_config, node_relation, with_ephemerals,
};
use super::render::{TemplateOrigin, render};
use crate::db::{Db, NodeKey, Project};
use crate::project::config::project_config;
use crate::project::nodes::{NodeInfo, ResourceType, node_index};

/// The compiled SQL of `sql` rendered as a model of the root project named
/// `inline_query`, or the render's error message.
pub fn render_inline(db: &dyn Db, project: Project, sql: &str) -> Result<String, String> {
    let root = project_config(db, project).root.name.clone();
    let node = NodeInfo {
        unique_id: format!("sql_operation.{root}.inline_query"),
        resource_type: ResourceType::Model,
        package: root.clone(),
        name: "inline_query".into(),
        path: "inline_query.sql".into(),
        original_file_path: "inline_query.sql".into(),
        file: None,
        fqn: vec![root.clone(), "inline_query".into()],
        block: None,
        patch: Default::default(),
        source: None,
        test: None,
        version: None,
        is_latest: false,
    };
    let origin = TemplateOrigin {
        file: PathBuf::from("inline_query.sql"),
        line_offset: 1,
        locate: None,
        source_file: None,
    };
    let message = |d: crate::diagnostics::Diagnostic| d.message;
    let parse_input = base_input(db, project, &node, Phase::Parse, Map::new());
    let parsed = render(db, project, parse_input, "inline_query", sql, &origin);
    parsed.output.map_err(message)?;
    let mut input = base_input(db, project, &node, Phase::Compile, Map::new());
    let index = node_index(db, project);
    let mut ephemerals = Vec::new();
    for call in &parsed.collected.refs {
        let target = index
            .find_ref(
                &root,
                call.package.as_deref(),
                &call.name,
                call.version.as_deref(),
            )
            .ok_or_else(|| {
                format!(
                    "Model 'inline_query' depends on a node named '{}' which was not found",
                    call.name
                )
            })?;
        let key = NodeKey::new(db, target.unique_id.clone());
        let Some(mut relation) = node_relation(db, project, key).clone() else {
            continue;
        };
        let materialized = node_config(db, project, key)
            .get("materialized")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let ephemeral = (materialized == "ephemeral").then(|| target.unique_id.clone());
        if let Some(uid) = &ephemeral {
            relation.cte_name = ephemeral_cte_name(db, project, key);
            ephemerals.push(uid.clone());
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
            format!("Model 'inline_query' depends on a source named '{source}.{table}' which was not found")
        })?;
        let key = NodeKey::new(db, target.unique_id.clone());
        if let Some(relation) = node_relation(db, project, key) {
            input
                .sources
                .insert((source.clone(), table.clone()), relation.clone());
        }
    }
    let compiled = render(db, project, input, "inline_query", sql, &origin);
    let sql = compiled.output.map_err(message)?;
    let rendered = with_ephemerals(
        db,
        project,
        RenderedNode {
            sql: Some(sql.into()),
            ephemerals,
            ..RenderedNode::default()
        },
    );
    Ok(rendered.sql.as_deref().unwrap_or_default().to_string())
}
