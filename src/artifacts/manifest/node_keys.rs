//! More per-node keys of manifest.json that dbt-core writes, with dbt's values: `refs`,
//! `sources`, `patch_path`, `docs`, `group`, `metrics`, `functions`, `contract`, and for
//! models `access`, `constraints`, `version`, `latest_version`, `deprecation_date`,
//! `time_spine`; for generic tests `file_key_name`.

use serde_json::{Map, Value, json};

use crate::jinja::nodes::ParsedNode;
use crate::project::config::ProjectConfig;
use crate::project::nodes::{NodeInfo, ResourceType};

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

/// Adds the keys to `n`. `attached` is a generic test's node unique_id.
pub(super) fn add_node_keys(
    n: &mut Value,
    project: &ProjectConfig,
    node: &NodeInfo,
    parsed: &ParsedNode,
    cfg: &Map<String, Value>,
    attached: Option<&str>,
) {
    let rt = node.resource_type;
    n["patch_path"] = patch_path(project, node);
    n["docs"] = cfg
        .get("docs")
        .cloned()
        .unwrap_or_else(|| json!({"show": true, "node_color": null}));
    n["group"] = cfg.get("group").cloned().unwrap_or(Value::Null);
    if rt == ResourceType::Seed {
        return;
    }
    n["refs"] = parsed
        .refs
        .iter()
        .map(|r| json!({"name": r.name, "package": r.package, "version": r.version.as_deref().map(version_value)}))
        .collect();
    n["sources"] = parsed.sources.iter().map(|(s, t)| json!([s, t])).collect();
    n["metrics"] = json!([]);
    n["functions"] = json!([]);
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
    n["contract"] = json!({"enforced": enforced, "alias_types": alias_types, "checksum": null});
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
        n["file_key_name"] = key.into();
    }
    if rt == ResourceType::Model {
        let props = |k: &str| node.patch.props.get(k).cloned().unwrap_or(Value::Null);
        n["access"] = cfg
            .get("access")
            .cloned()
            .or_else(|| node.patch.props.get("access").cloned())
            .unwrap_or_else(|| "protected".into());
        n["constraints"] = node
            .patch
            .props
            .get("constraints")
            .cloned()
            .unwrap_or_else(|| json!([]));
        n["version"] = node.version.as_deref().map_or(Value::Null, version_value);
        n["latest_version"] = props("latest_version");
        n["deprecation_date"] = props("deprecation_date");
        n["time_spine"] = Value::Null;
    }
}
