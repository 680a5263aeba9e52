//! Applying properties yml to the node index: patches for models/seeds/snapshots/analyses
//! and new source nodes.

use serde_json::Value;

use super::config::PackageConfig;
use super::nodes::{NodeIndex, NodeInfo, Patch, ResourceType, SourceInfo};
use super::properties::Properties;
use crate::db::{Db, File};
use crate::diagnostics::{Diagnostic, codes};

fn resource_of(key: &str) -> ResourceType {
    match key {
        "seeds" => ResourceType::Seed,
        "snapshots" => ResourceType::Snapshot,
        "analyses" => ResourceType::Analysis,
        _ => ResourceType::Model,
    }
}

pub fn apply_properties(
    db: &dyn Db,
    pkg: &PackageConfig,
    file: File,
    props: &Properties,
    index: &mut NodeIndex,
) {
    let path = file.path(db);
    let rel = path.strip_prefix(&pkg.root).unwrap_or(path);
    let original = rel.to_string_lossy().replace('\\', "/");
    for (key, entry) in &props.patches {
        let Some(name) = entry.get("name").and_then(Value::as_str) else {
            continue;
        };
        let rt = resource_of(key);
        if rt == ResourceType::Model
            && let Some(Value::Array(versions)) = entry.get("versions")
        {
            apply_versions(pkg, name, entry, versions, path, index);
            continue;
        }
        let uid = format!("{}.{}.{}", rt.as_str(), pkg.name, name);
        match index.nodes.get_mut(&uid).map(std::sync::Arc::make_mut) {
            Some(node) => {
                node.patch = Patch::from_entry(path, entry);
            }
            None => {
                // dbt warns about patches for nodes that do not exist (and disabled ones).
                index.diagnostics.push(
                    Diagnostic::warning(
                        codes::PROPERTIES,
                        format!(
                            "{original} describes {} `{name}`, which was not found",
                            rt.as_str()
                        ),
                    )
                    .at(path, super::yaml::find_line(file.text(db), name))
                    .with_hint("check the name, or remove the entry"),
                );
            }
        }
    }
    let comps: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let dirs: Vec<String> = if comps.len() > 2 {
        comps[1..comps.len() - 1].to_vec()
    } else {
        Vec::new()
    };
    for source in &props.sources {
        let Some(source_name) = source.get("name").and_then(Value::as_str) else {
            continue;
        };
        let schema = source
            .get("schema")
            .and_then(Value::as_str)
            .unwrap_or(source_name)
            .to_string();
        let database = source
            .get("database")
            .and_then(Value::as_str)
            .map(str::to_string);
        let loader = source
            .get("loader")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Some(Value::Array(tables)) = source.get("tables") else {
            continue;
        };
        for table in tables {
            let Some(table_name) = table.get("name").and_then(Value::as_str) else {
                continue;
            };
            let mut fqn = vec![pkg.name.clone()];
            fqn.extend(dirs.iter().cloned());
            fqn.push(source_name.to_string());
            fqn.push(table_name.to_string());
            let mut source_props = source.clone();
            if let Value::Object(map) = &mut source_props {
                map.shift_remove("tables");
            }
            let node = NodeInfo {
                unique_id: format!("source.{}.{}.{}", pkg.name, source_name, table_name),
                resource_type: ResourceType::Source,
                package: pkg.name.clone(),
                name: table_name.to_string(),
                path: original.clone(),
                original_file_path: original.clone(),
                file: Some(file),
                fqn,
                block: None,
                patch: Patch::from_entry(path, table),
                source: Some(SourceInfo {
                    source_name: source_name.to_string(),
                    table_name: table_name.to_string(),
                    identifier: table
                        .get("identifier")
                        .and_then(Value::as_str)
                        .unwrap_or(table_name)
                        .to_string(),
                    schema: schema.clone(),
                    database: database.clone(),
                    loader: loader.clone(),
                    source_props,
                    table_props: table.clone(),
                }),
                test: None,
                version: None,
                is_latest: true,
            };
            if index.nodes.contains_key(&node.unique_id) {
                index.diagnostics.push(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!("source `{source_name}.{table_name}` is declared twice"),
                    )
                    .at(path, None),
                );
                continue;
            }
            index
                .nodes
                .insert(node.unique_id.clone(), std::sync::Arc::new(node));
        }
    }
}

fn version_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A model with `versions:`: each version's file (`<name>_v<v>.sql` or `defined_in`)
/// becomes `model.<pkg>.<name>.v<v>`, named `<name>`; the latest one answers `ref(name)`.
fn apply_versions(
    pkg: &PackageConfig,
    name: &str,
    entry: &Value,
    versions: &[Value],
    yml: &std::path::Path,
    index: &mut NodeIndex,
) {
    let listed: Vec<String> = versions
        .iter()
        .filter_map(|v| v.get("v").and_then(version_str))
        .collect();
    let latest = entry
        .get("latest_version")
        .and_then(version_str)
        .or_else(|| {
            listed
                .iter()
                .max_by(|a, b| {
                    a.parse::<f64>()
                        .unwrap_or(0.0)
                        .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
                })
                .cloned()
        });
    for version in versions {
        let Some(v) = version.get("v").and_then(version_str) else {
            continue;
        };
        let file_name = version
            .get("defined_in")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{name}_v{}", v.replace('.', "_")));
        let old_uid = format!("model.{}.{}", pkg.name, file_name);
        let Some(node) = index.nodes.shift_remove(&old_uid) else {
            continue;
        };
        let mut node = std::sync::Arc::unwrap_or_clone(node);
        node.unique_id = format!("model.{}.{}.v{}", pkg.name, name, v);
        node.name = name.to_string();
        if let Some(last) = node.fqn.last_mut() {
            *last = name.to_string();
        }
        node.fqn.push(format!("v{v}"));
        node.is_latest = latest.as_deref() == Some(v.as_str());
        node.version = Some(v.clone());
        let mut props = Patch::from_entry(yml, entry).props;
        if let Value::Object(m) = &mut props {
            m.shift_remove("versions");
        }
        node.patch = Patch {
            // A version's own config replaces the model's.
            config: version
                .get("config")
                .or_else(|| entry.get("config"))
                .cloned()
                .unwrap_or(Value::Null),
            props,
            ..Patch::from_entry(yml, entry)
        };
        index
            .nodes
            .insert(node.unique_id.clone(), std::sync::Arc::new(node));
    }
}
