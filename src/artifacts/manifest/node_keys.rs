//! More per-node keys of manifest.json that dbt-core writes, with dbt's values: `refs`,
//! `sources`, `patch_path`, `docs`, `group`, `metrics`, `functions`, `contract`, and for
//! models `access`, `constraints`, `version`, `latest_version`, `deprecation_date`,
//! `time_spine`, `primary_key`; for generic tests `file_key_name`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::db::{Db, Project};

use crate::jinja::nodes::ParsedNode;
use crate::project::config::ProjectConfig;
use crate::project::nodes::{NodeInfo, ResourceType, SourceInfo};

/// `package://path` of the properties yml that describes the node (none for tests).
fn patch_path(project: &ProjectConfig, node: &NodeInfo) -> Value {
    let Some(yml) = node.patch.yml.as_ref().filter(|_| node.test.is_none()) else {
        return Value::Null;
    };
    let rel = project
        .package(&node.package)
        .and_then(|p| yml.strip_prefix(&p.root).ok())
        .unwrap_or(yml);
    format!("{}://{}", node.package, rel.display()).into()
}

fn version_value(v: &str) -> Value {
    v.parse::<i64>().map_or_else(|_| v.into(), Value::from)
}

/// Per model unique_id: the columns of its `unique` / `unique_combination_of_columns` tests
/// and of its `not_null` tests (dbt's inputs to `primary_key`).
#[salsa::tracked(returns(ref))]
pub(super) fn tested_columns(
    db: &dyn Db,
    project: Project,
) -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let index = crate::project::nodes::node_index(db, project);
    for node in index.nodes.values() {
        let Some(test) = &node.test else { continue };
        let unique = matches!(
            test.test_name.as_str(),
            "unique" | "unique_combination_of_columns"
        );
        if !unique && test.test_name != "not_null" {
            continue;
        }
        let columns: Vec<String> = match (
            test.kwargs.get("column_name"),
            test.kwargs.get("combination_of_columns"),
        ) {
            (Some(Value::String(c)), _) => vec![c.clone()],
            (_, Some(Value::Array(cols))) => cols
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect(),
            _ => continue,
        };
        let Some(model) = super::attached_node(db, project, test) else {
            continue;
        };
        let entry = out.entry(model).or_default();
        let set = if unique { &mut entry.0 } else { &mut entry.1 };
        set.extend(columns);
    }
    out
}

/// dbt's `primary_key` of a model: a primary_key constraint (model, then column level),
/// else the columns with both unique and not_null tests, else those with unique tests;
/// sorted.
fn primary_key(node: &NodeInfo, tested: Option<&(BTreeSet<String>, BTreeSet<String>)>) -> Value {
    let is_pk = |c: &Value| c.get("type").and_then(Value::as_str) == Some("primary_key");
    if let Some(Value::Array(constraints)) = node.patch.props.get("constraints")
        && let Some(pk) = constraints.iter().find(|c| is_pk(c))
    {
        let mut cols: Vec<Value> = pk
            .get("columns")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        cols.sort_by_key(|c| c.to_string());
        return Value::Array(cols);
    }
    for col in node.patch.columns.as_array().into_iter().flatten() {
        if let Some(Value::Array(constraints)) = col.get("constraints")
            && constraints.iter().any(is_pk)
        {
            return json!([col.get("name")]);
        }
    }
    let Some((unique, not_null)) = tested else {
        return json!([]);
    };
    let both: Vec<&String> = not_null.intersection(unique).collect();
    if both.is_empty() {
        json!(unique)
    } else {
        json!(both)
    }
}

/// Adds the keys to `n`. `attached` is a generic test's node unique_id.
pub(super) fn add_node_keys(
    n: &mut super::EntryOut,
    tested: &BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
    project: &ProjectConfig,
    node: &NodeInfo,
    parsed: &ParsedNode,
    cfg: &Map<String, Value>,
    attached: Option<&str>,
) {
    let rt = node.resource_type;
    n.set("patch_path", &patch_path(project, node));
    n.set(
        "docs",
        &cfg.get("docs")
            .cloned()
            .unwrap_or_else(|| json!({"show": true, "node_color": null})),
    );
    n.set("group", &cfg.get("group").cloned().unwrap_or(Value::Null));
    if rt == ResourceType::Seed {
        return;
    }
    n.set("refs", &parsed
        .refs
        .iter()
        .map(|r| json!({"name": r.name, "package": r.package, "version": r.version.as_deref().map(version_value)}))
        .collect::<Value>());
    n.set(
        "sources",
        &parsed
            .sources
            .iter()
            .map(|(s, t)| json!([s, t]))
            .collect::<Value>(),
    );
    n.set("metrics", &json!([]));
    n.set("functions", &json!([]));
    let enforced = cfg
        .get("contract")
        .and_then(|c| c.get("enforced"))
        .cloned()
        .unwrap_or(Value::Bool(false));
    let alias_types = cfg
        .get("contract")
        .and_then(|c| c.get("alias_types"))
        .cloned()
        .unwrap_or(Value::Bool(true));
    n.set(
        "contract",
        &json!({"enforced": enforced, "alias_types": alias_types, "checksum": null}),
    );
    if let Some(test) = &node.test {
        let key = if test.attached_is_source {
            let source = test.attached_name.split('.').next().unwrap_or_default();
            format!("sources.{source}")
        } else {
            let kind = match attached.and_then(|a| a.split('.').next()) {
                Some("seed") => "seeds",
                Some("snapshot") => "snapshots",
                Some("analysis") => "analyses",
                _ => "models",
            };
            format!("{kind}.{}", test.attached_name)
        };
        n.set("file_key_name", &key);
    }
    if rt == ResourceType::Model {
        let props = |k: &str| node.patch.props.get(k).cloned().unwrap_or(Value::Null);
        n.set(
            "access",
            &cfg.get("access")
                .cloned()
                .or_else(|| node.patch.props.get("access").cloned())
                .unwrap_or_else(|| "protected".into()),
        );
        n.set(
            "constraints",
            &node
                .patch
                .props
                .get("constraints")
                .cloned()
                .unwrap_or_else(|| json!([])),
        );
        n.set(
            "version",
            &node.version.as_deref().map_or(Value::Null, version_value),
        );
        n.set("latest_version", &props("latest_version"));
        n.set("deprecation_date", &props("deprecation_date"));
        n.set("time_spine", &Value::Null);
        n.set(
            "primary_key",
            &primary_key(node, tested.get(&node.unique_id)),
        );
    }
}

/// A `warn_after`/`error_after` threshold as dbt writes it.
fn threshold(v: Option<&Value>) -> Value {
    let get = |k: &str| v.and_then(|t| t.get(k)).cloned().unwrap_or(Value::Null);
    json!({"count": get("count"), "period": get("period")})
}

/// A source table's `freshness`: the source's, updated by the table's (an explicit null
/// on the table turns it off), thresholds spelled out.
fn freshness(src: &SourceInfo) -> Value {
    if src.table_props.get("freshness").is_some_and(Value::is_null) {
        return Value::Null;
    }
    let mut merged = Map::new();
    for props in [&src.source_props, &src.table_props] {
        if let Some(Value::Object(f)) = props.get("freshness") {
            for (k, v) in f {
                merged.insert(k.clone(), v.clone());
            }
        }
    }
    json!({
        "warn_after": threshold(merged.get("warn_after")),
        "error_after": threshold(merged.get("error_after")),
        "filter": merged.get("filter").cloned().unwrap_or(Value::Null),
    })
}

/// The source keys dbt writes besides identity and relation: `source_meta`,
/// `loaded_at_field`, `loaded_at_query`, `external`, `freshness`, `patch_path`,
/// `unrendered_schema`, `unrendered_database`.
pub(super) fn add_source_keys(n: &mut super::EntryOut, src: &SourceInfo) {
    let table_or_source = |k: &str| {
        src.table_props
            .get(k)
            .or_else(|| src.source_props.get(k))
            .cloned()
            .unwrap_or(Value::Null)
    };
    // The source's own meta: `meta:` and `config: meta:` of the source entry.
    let mut meta = Map::new();
    let config_meta = src.source_props.get("config").and_then(|c| c.get("meta"));
    for m in [src.source_props.get("meta"), config_meta] {
        if let Some(Value::Object(m)) = m {
            meta.extend(m.clone());
        }
    }
    n.set("source_meta", &Value::Object(meta));
    n.set("loaded_at_field", &table_or_source("loaded_at_field"));
    n.set("loaded_at_query", &table_or_source("loaded_at_query"));
    n.set(
        "external",
        &src.table_props
            .get("external")
            .cloned()
            .unwrap_or(Value::Null),
    );
    n.set("freshness", &freshness(src));
    n.set("patch_path", &Value::Null);
    let raw = |k: &str| {
        let written = format!("{}{k}", crate::project::yml_render::UNRENDERED_PREFIX);
        src.source_props
            .get(&written)
            .or_else(|| src.source_props.get(k))
            .cloned()
            .unwrap_or(Value::Null)
    };
    n.set("unrendered_schema", &raw("schema"));
    n.set("unrendered_database", &raw("database"));
}
