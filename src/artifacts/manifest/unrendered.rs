//! `unrendered_config`: the configs a node was given, as written (Jinja not rendered),
//! without defaults, layered as dbt-core does it with plain key replacement:
//! dbt_project.yml levels of the node's package < properties yml `config:` < in-file
//! `config()` (generic tests: their yml config) < the root project's levels for a package
//! node. Sources: dbt_project.yml levels, then `loaded_at_*` and the merged `meta`/`tags`.

use serde_json::{Map, Value};

use crate::project::config::{PackageConfig, ProjectConfig};
use crate::project::nodes::{NodeInfo, ResourceType};

/// The dbt_project.yml section dbt reads unrendered configs from (analyses: `models`).
fn section(pkg: &PackageConfig, rt: ResourceType) -> Option<&Value> {
    match rt {
        ResourceType::Test => pkg.section("data_tests").or_else(|| pkg.section("tests")),
        ResourceType::Analysis => pkg.section("models"),
        other => pkg.section(other.config_section()),
    }
}

/// dbt's spelling of a config key (`post_hook` is `post-hook`).
fn canonical(key: &str) -> String {
    match key {
        "pre_hook" => "pre-hook".into(),
        "post_hook" => "post-hook".into(),
        k => k.to_string(),
    }
}

/// One package's dbt_project.yml levels for `fqn`: `+key`s, and plain keys whose value is
/// not a mapping (mappings are folders), from the top level to the most specific folder.
fn project_levels(pkg: &PackageConfig, node: &NodeInfo, out: &mut Map<String, Value>) {
    let Some(Value::Object(root)) = section(pkg, node.resource_type) else {
        return;
    };
    let mut level = root;
    let mut take = |level: &Map<String, Value>| {
        for (k, v) in level {
            if let Some(key) = k.strip_prefix('+') {
                out.insert(key.trim().to_string(), v.clone());
            } else if !v.is_object() {
                out.insert(k.clone(), v.clone());
            }
        }
    };
    take(level);
    for part in &node.fqn {
        match level.get(part) {
            Some(Value::Object(next)) => {
                level = next;
                take(level);
            }
            _ => break,
        }
    }
}

fn update(out: &mut Map<String, Value>, overlay: impl IntoIterator<Item = (String, Value)>) {
    for (k, v) in overlay {
        out.insert(canonical(&k), v);
    }
}

/// The node's `unrendered_config`. `config_calls` are its in-file `config()` arguments and
/// `config` its final config (for a source's meta and tags).
pub(super) fn unrendered_config(
    project: &ProjectConfig,
    node: &NodeInfo,
    config_calls: &Map<String, Value>,
    config: &Map<String, Value>,
) -> Value {
    let mut out = Map::new();
    let own = project.package(&node.package);
    if let Some(pkg) = own {
        project_levels(pkg, node, &mut out);
    }
    if let Some(src) = &node.source {
        for props in [&src.source_props, &src.table_props] {
            if let Some(Value::Object(cfg)) = props.get("config") {
                update(&mut out, cfg.clone());
            }
        }
        for key in ["loaded_at_field", "loaded_at_query"] {
            out.entry(key).or_insert(Value::Null);
        }
        let meta = config.get("meta").cloned();
        out.insert("meta".into(), meta.unwrap_or(Value::Object(Map::new())));
        let tags = config.get("tags").cloned();
        out.insert("tags".into(), tags.unwrap_or(Value::Array(Vec::new())));
        return Value::Object(out);
    }
    if let Value::Object(patch) = &node.patch.config {
        update(&mut out, patch.clone());
    }
    if let Some(test) = &node.test {
        let cfg = test.config.iter().filter(|(k, _)| !k.starts_with("__"));
        update(&mut out, cfg.map(|(k, v)| (k.clone(), v.clone())));
    }
    update(&mut out, config_calls.clone());
    if own.is_none_or(|p| !p.is_root) {
        project_levels(&project.root, node, &mut out);
    }
    Value::Object(out)
}
