//! Config resolution as dbt does it: dbt_project.yml path configs (the node's own package
//! first, then the root project; the most specific folder wins) < properties yml `config:`
//! < in-file `{{ config(...) }}`. Tags and hooks append, meta/docs/grants merge by key,
//! everything else is replaced. Unknown keys are kept.

use serde_json::{Map, Value};

use super::config::{PackageConfig, ProjectConfig};
use super::nodes::{NodeInfo, ResourceType};

/// Config keys whose values are mappings (so a non-`+` mapping key in dbt_project.yml with
/// one of these names is a config, not a folder).
const DICT_CONFIGS: &[&str] = &[
    "meta",
    "docs",
    "persist_docs",
    "grants",
    "quoting",
    "column_types",
    "contract",
    "labels",
];

fn append_list(base: &mut Map<String, Value>, key: &str, v: &Value) {
    let items: Vec<Value> = match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    let entry = base
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(vec![entry.clone()]);
    }
    let list = entry.as_array_mut().expect("array");
    for item in items {
        if key != "tags" || !list.contains(&item) {
            list.push(item);
        }
    }
}

/// Normalizes `pre_hook` to `pre-hook` (and post).
fn canonical(key: &str) -> &str {
    match key {
        "pre_hook" => "pre-hook",
        "post_hook" => "post-hook",
        k => k,
    }
}

/// Merges `overlay` into `base` with dbt's per-key rules.
pub fn merge_config(base: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    for (key, value) in overlay {
        let key = canonical(key);
        match key {
            "tags" | "pre-hook" | "post-hook" => append_list(base, key, value),
            "meta" | "docs" | "grants" | "persist_docs" | "quoting" | "column_types" | "labels" => {
                match (base.get_mut(key), value) {
                    (Some(Value::Object(existing)), Value::Object(new)) => {
                        for (k, v) in new {
                            existing.insert(k.clone(), v.clone());
                        }
                    }
                    _ => {
                        base.insert(key.to_string(), value.clone());
                    }
                }
            }
            _ => {
                base.insert(key.to_string(), value.clone());
            }
        }
    }
}

fn level_configs(level: &Map<String, Value>, next_part: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in level {
        if let Some(stripped) = k.strip_prefix('+') {
            out.insert(stripped.to_string(), v.clone());
        } else if Some(k.as_str()) == next_part {
            continue;
        } else if !v.is_object() || DICT_CONFIGS.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// Configs from one project's section for a node's fqn, from the least to the most specific.
pub(crate) fn tree_configs(tree: &Value, fqn: &[String], out: &mut Map<String, Value>) {
    let Value::Object(mut level) = tree.clone() else {
        return;
    };
    merge_config(out, &level_configs(&level, fqn.first().map(String::as_str)));
    for (i, part) in fqn.iter().enumerate() {
        match level.get(part) {
            Some(Value::Object(next)) => {
                level = next.clone();
                merge_config(
                    out,
                    &level_configs(&level, fqn.get(i + 1).map(String::as_str)),
                );
            }
            _ => break,
        }
    }
}

fn section(pkg: &PackageConfig, rt: ResourceType) -> Option<&Value> {
    match rt {
        ResourceType::Test => pkg.section("data_tests").or_else(|| pkg.section("tests")),
        other => pkg.section(other.config_section()),
    }
}

/// The defaults dbt gives every node of a resource type.
pub fn defaults(rt: ResourceType) -> Map<String, Value> {
    let v = match rt {
        ResourceType::Model | ResourceType::Analysis => serde_json::json!({
            "enabled": true, "tags": [], "meta": {}, "materialized": "view",
            "persist_docs": {}, "quoting": {}, "column_types": {}, "on_schema_change": "ignore",
            "grants": {}, "docs": {"show": true, "node_color": null}, "pre-hook": [], "post-hook": [],
        }),
        ResourceType::Seed => serde_json::json!({
            "enabled": true, "tags": [], "meta": {}, "materialized": "seed", "persist_docs": {},
            "quoting": {}, "column_types": {}, "delimiter": ",", "grants": {}, "on_schema_change": "ignore",
            "docs": {"show": true, "node_color": null}, "pre-hook": [], "post-hook": [],
        }),
        ResourceType::Snapshot => serde_json::json!({
            "enabled": true, "tags": [], "meta": {}, "materialized": "snapshot", "persist_docs": {},
            "quoting": {}, "column_types": {}, "grants": {}, "on_schema_change": "ignore",
            "docs": {"show": true, "node_color": null}, "pre-hook": [], "post-hook": [],
        }),
        ResourceType::Test => serde_json::json!({
            "enabled": true, "tags": [], "meta": {}, "materialized": "test", "severity": "ERROR",
            "schema": "dbt_test__audit", "fail_calc": "count(*)", "warn_if": "!= 0", "error_if": "!= 0",
        }),
        ResourceType::Source => serde_json::json!({"enabled": true, "tags": [], "meta": {}}),
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// dbt_project.yml configs (the node's package, then the root project) and properties yml
/// `config:` for a node, on top of the defaults. `config` is the rendered project
/// (`super::render::rendered_project_config`): dbt renders dbt_project.yml at load.
pub fn path_config(config: &ProjectConfig, node: &NodeInfo) -> Map<String, Value> {
    let mut out = defaults(node.resource_type);
    let own = config.package(&node.package);
    let projects: Vec<&PackageConfig> = match own {
        Some(pkg) if !pkg.is_root => vec![pkg, &config.root],
        _ => vec![&config.root],
    };
    for pkg in projects {
        if let Some(tree) = section(pkg, node.resource_type) {
            let mut level = Map::new();
            tree_configs(tree, &node.fqn, &mut level);
            merge_config(&mut out, &level);
        }
    }
    if let Some(src) = &node.source {
        // dbt takes a source's tags and meta from its yml, replacing dbt_project.yml's.
        out.insert("tags".into(), Value::Array(Vec::new()));
        out.insert("meta".into(), Value::Object(Map::new()));
        for props in [&src.source_props, &src.table_props] {
            if let Some(Value::Object(cfg)) = props.get("config") {
                merge_config(&mut out, cfg);
            }
            for key in ["tags", "meta"] {
                if let Some(v) = props.get(key) {
                    let mut m = Map::new();
                    m.insert(key.to_string(), v.clone());
                    merge_config(&mut out, &m);
                }
            }
        }
        // dbt stores a source's tags as a sorted set.
        if let Some(Value::Array(tags)) = out.get_mut("tags") {
            tags.sort_by_key(|t| t.to_string());
            tags.dedup();
        }
        return out;
    }
    if let Value::Object(cfg) = &node.patch.config {
        merge_config(&mut out, cfg);
    }
    if let Some(test) = &node.test {
        let cfg: Map<String, Value> = test
            .config
            .iter()
            .filter(|(k, _)| !k.starts_with("__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        merge_config(&mut out, &cfg);
    }
    if let Value::Object(props) = &node.patch.props {
        // Top-level `tags`/`meta` in properties are configs too.
        for key in ["tags", "meta", "docs"] {
            if let Some(v) = props.get(key) {
                let mut m = Map::new();
                m.insert(key.to_string(), v.clone());
                merge_config(&mut out, &m);
            }
        }
    }
    out
}

/// One shared copy of each distinct config. At 10,000 models every node held its own
/// config map twice (project/yml config and final config), about 100 MB, although most
/// nodes of a folder have identical ones. Values are compared by their JSON text; entries
/// whose configs were all dropped are pruned as the pool grows.
pub fn shared_config(config: Map<String, Value>) -> std::sync::Arc<Map<String, Value>> {
    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, Mutex, Weak};
    type Pool = HashMap<String, Weak<Map<String, Value>>>;
    static POOL: LazyLock<Mutex<(Pool, usize)>> =
        LazyLock::new(|| Mutex::new((HashMap::new(), 1024)));
    let Ok(text) = serde_json::to_string(&config) else {
        return Arc::new(config);
    };
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let (pool, prune_at) = &mut *guard;
    if let Some(found) = pool.get(&text).and_then(Weak::upgrade) {
        return found;
    }
    if pool.len() >= *prune_at {
        pool.retain(|_, w| w.strong_count() > 0);
        *prune_at = (pool.len() * 2).max(1024);
    }
    let shared = Arc::new(config);
    pool.insert(text, Arc::downgrade(&shared));
    shared
}
